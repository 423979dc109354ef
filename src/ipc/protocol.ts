/**
 * The messages between the control process and a media worker.
 *
 * The control process sends requests addressed by object id; the worker answers each one
 * exactly once, and raises events (and load reports) on its own. Messages travel in order on one
 * channel, so an event a request caused reaches the control process before that request's
 * response — the same rule as mediasoup's worker channel.
 */
import type { RpcErrorBody } from '../errors.js';

/** Which accessor or method an `invoke` resolved to (the control process resolves it). */
export type OperationKind = 'method' | 'get' | 'set';

export interface WorkerRequestMap {
  /**
   * Creates an object. `type` is the module-qualified class name; `parentId` is absent for
   * pipelines; `params` are validated constructor params.
   */
  create: {
    params: { objectId: string; type: string; parentId?: string; pipelineId: string; params: Record<string, unknown> };
    result: null;
  };
  invoke: {
    params: { objectId: string; kind: OperationKind; operation: string; member: string; params: Record<string, unknown> };
    result: unknown;
  };
  /**
   * Ends the session with an endpoint's remote peer (a WHIP/WHEP DELETE): the connection closes,
   * the object stays. Not an API operation: applications cannot reach it through `invoke`.
   */
  endPeerSession: { params: { objectId: string }; result: null };
  /** Releases one object; the control process releases children before parents. */
  release: { params: { objectId: string }; result: null };
  /** Liveness and load probe. */
  ping: { params: Record<string, never>; result: WorkerLoad };
  /** The worker's figures for the metrics endpoint, read when it is scraped (`ops/metrics.ts`). */
  metrics: { params: Record<string, never>; result: WorkerMetrics };
}

export type WorkerMethod = keyof WorkerRequestMap;

export interface WorkerLoad {
  objects: number;
  rssBytes: number;
  /** CPU seconds (user+system) the worker has used so far. */
  cpuSeconds: number;
}

/** Cumulative RTP counters of one media kind, summed over a worker's endpoints (never decreasing). */
export interface RtpTotals {
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
  packetsLost: number;
  /** NACK messages sent to peers (for media they send us) and received from them. */
  nacksSent: number;
  nacksReceived: number;
  /** Keyframe requests (PLI) sent to peers, and received from them. */
  plisSent: number;
  plisReceived: number;
}

export interface WorkerMetrics {
  rssBytes: number;
  heapUsedBytes: number;
  /** CPU seconds (user+system) the worker has used so far. */
  cpuSeconds: number;
  /** Event-loop delay since the previous report, in seconds. */
  eventLoopDelay: { mean: number; p99: number; max: number };
  rtp: { AUDIO: RtpTotals; VIDEO: RtpTotals };
  /** Decoders and encoders of the decoded-media layer running now. */
  decoders: number;
  encoders: number;
}

export interface RequestMessage<M extends WorkerMethod = WorkerMethod> {
  kind: 'request';
  id: number;
  method: M;
  params: WorkerRequestMap[M]['params'];
}

export interface ResponseMessage {
  kind: 'response';
  id: number;
  result?: unknown;
  error?: RpcErrorBody;
}

/**
 * An event raised by an object in the worker. `data` holds the event's own fields (remote
 * objects as ids); the control process adds `source`, `timestampMillis`, `tags` and `type`.
 */
export interface EventMessage {
  kind: 'event';
  objectId: string;
  type: string;
  data: Record<string, unknown>;
  /** Milliseconds since the epoch when the event happened. */
  timestamp: number;
}

/** The worker announces it is ready to take requests, and which classes it can build. */
export interface ReadyMessage {
  kind: 'ready';
  pid: number;
  /** Module-qualified names of the classes the worker implements (`kurento.PassThrough`). */
  factories: string[];
}

/**
 * An HTTP connection for an object of the worker (an HttpPostEndpoint upload): the socket travels
 * as the message's handle, `head` holds the bytes the control process read to route it.
 */
export interface ConnectionMessage {
  kind: 'connection';
  objectId: string;
  head: Buffer;
}

export type ToWorkerMessage = RequestMessage | ConnectionMessage;
export type FromWorkerMessage = ResponseMessage | EventMessage | ReadyMessage;
