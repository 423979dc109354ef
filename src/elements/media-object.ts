/**
 * Base of every object implemented in a media worker, and the host interface the worker gives
 * every object: what an element may ask of the process it lives in.
 *
 * Operations reach an object by name: the control process has already resolved the operation
 * against the API catalog and validated its parameters, so the worker only has to find the
 * handler. A handler is a method named exactly like the API operation that takes the decoded
 * parameter object (`connect(params)`, `getStats(params)`). Property accessors without a handler
 * fall back to a property store seeded with the catalog's defaults, so every declared property
 * can be read and written even before an element gives it behaviour.
 *
 * Objects depend on `ElementHost` only, never on the worker's own classes: the worker implements
 * the interface (`worker/object-host.ts`), and an element is one file plus one registration.
 */
import type { Socket } from 'node:net';
import type { ServerConfig } from '../config.js';
import { KurentoError } from '../errors.js';

export type Params = Record<string, unknown>;

/** What a media worker offers the objects it holds. */
export interface ElementHost {
  /** The server configuration (port range, ICE defaults, ...). */
  readonly config: ServerConfig;
  /** Raises an event of an object; the control process delivers it to subscribed sessions. */
  emitEvent(objectId: string, type: string, data: Params): void;
  /** A live object of this worker, or undefined (released, or in another worker). */
  find(id: string): MediaObjectImpl | undefined;
  /** The catalog default of a property, as the generic accessor returns it. */
  propertyDefault(className: string, property: string): unknown;
}

/**
 * Counters of one RTP stream of an endpoint, cumulative over the stream's life, for the worker's
 * metrics. They are the counters the RTP path keeps anyway, read when metrics are scraped.
 */
export interface StreamTotals {
  /** Identifies the stream within its object (direction, kind and SSRC). */
  readonly key: string;
  readonly kind: 'AUDIO' | 'VIDEO';
  /** inbound: what the peer sends us; outbound: what we send it. */
  readonly direction: 'inbound' | 'outbound';
  readonly packets: number;
  readonly bytes: number;
  readonly packetsLost: number;
  /** NACKs and PLIs: sent to the peer for an inbound stream, received from it for an outbound one. */
  readonly nacks: number;
  readonly plis: number;
}

/** What an object reports for the worker's metrics (see `MediaObjectImpl.mediaCounters`). */
export interface MediaCounters {
  readonly streams: readonly StreamTotals[];
  /** Decoders and encoders of the decoded-media layer the object runs now. */
  readonly decoders: number;
  readonly encoders: number;
}

/** An object that serves HTTP connections the control process routes to it (HttpPostEndpoint). */
export interface ConnectionTaker {
  /** Takes a connection, `head` being the bytes already read from it (the request's start). */
  acceptConnection(socket: Socket, head: Buffer): void;
}

export function isConnectionTaker(object: MediaObjectImpl): object is MediaObjectImpl & ConnectionTaker {
  return typeof (object as Partial<ConnectionTaker>).acceptConnection === 'function';
}

/**
 * An element whose remote peer's session can be ended without releasing the element: a WHIP or
 * WHEP client's DELETE (the control process serves those) closes the WebRTC connection, and the
 * element stays the application's to release.
 */
export interface PeerSessionOwner {
  endPeerSession(): Promise<void>;
}

export function isPeerSessionOwner(object: MediaObjectImpl): object is MediaObjectImpl & PeerSessionOwner {
  return typeof (object as Partial<PeerSessionOwner>).endPeerSession === 'function';
}

/** What every implementation's constructor receives. */
export interface ObjectInit {
  readonly id: string;
  /** Bare class name (`PassThrough`). */
  readonly className: string;
  readonly params: Params;
  readonly host: ElementHost;
  readonly parentId?: string;
  readonly pipelineId: string;
}

/** How a class is built: one entry per implemented class, registered in `elements/index.ts`. */
export interface ElementFactory {
  /** Module-qualified class name, as the API description names it (`kurento.PassThrough`). */
  readonly type: string;
  /** May load the class's code first (`elements/index.ts`): creation is then asynchronous. */
  create(init: ObjectInit): MediaObjectImpl | Promise<MediaObjectImpl>;
}

export abstract class MediaObjectImpl {
  readonly id: string;
  readonly className: string;
  readonly host: ElementHost;
  readonly parentId: string | undefined;
  readonly pipelineId: string;
  private readonly propertyStore = new Map<string, unknown>();
  private released = false;

  constructor(init: ObjectInit) {
    this.id = init.id;
    this.className = init.className;
    this.host = init.host;
    this.parentId = init.parentId;
    this.pipelineId = init.pipelineId;
  }

  get isReleased(): boolean {
    return this.released;
  }

  /** Raises an event; the control process delivers it to subscribed sessions. */
  protected emit(type: string, data: Params = {}): void {
    if (!this.released) this.host.emitEvent(this.id, type, data);
  }

  /** Raises Kurento's `Error` event. */
  protected emitError(type: string, errorCode: number, description: string): void {
    this.emit('Error', { type, errorCode, description });
  }

  /** Calls the handler of an operation, or the generic property accessor. */
  async invoke(kind: 'method' | 'get' | 'set', operation: string, member: string, params: Params): Promise<unknown> {
    // Operations are methods named after them (`setOverlayedImage(params)`), found by name: the
    // API description, not the class's type, says which exist.
    const handler = (this as unknown as Record<string, unknown>)[operation];
    if (typeof handler === 'function') {
      return (handler as (p: Params) => unknown).call(this, params);
    }
    if (kind === 'get') return this.storedProperty(member);
    if (kind === 'set') {
      this.propertyStore.set(member, params[member]);
      return null;
    }
    throw new KurentoError('NOT_IMPLEMENTED', `${this.className}.${operation} is not implemented yet in Kuroshio`);
  }

  /** Reads a property through its handler-less store (for implementations that need the value). */
  protected storedProperty<T>(name: string): T | undefined {
    return (this.propertyStore.has(name) ? this.propertyStore.get(name) : this.host.propertyDefault(this.className, name)) as T | undefined;
  }

  /** Counters for the worker's metrics; objects without media have none. Read on scrape, not per packet. */
  mediaCounters(): MediaCounters | undefined {
    return undefined;
  }

  /** Frees everything the object holds. Called once, children before parents. */
  release(): void | Promise<void> {
    this.released = true;
  }
}
