/**
 * A seeded, bounded fuzz of the Kurento Protocol, as a careless or hostile client would send it:
 * requests for every method, and invokes of every operation of every class the server describes
 * (read from its own `getKmd`), with parameters of the declared types or mutated into others;
 * broken envelopes; unparsable, binary, huge, deeply nested and unicode frames. Meanwhile a
 * well-behaved client pings. The same seed sends the same frames (`fuzz-frames.ts` makes them).
 * Shared by the CI test (a few thousand frames) and `bench/fuzz` (20,000).
 */
import { Worker } from 'node:worker_threads';
import WebSocket from 'ws';
import { FrameMaker, type FuzzApi, type FuzzTargets } from './fuzz-frames.js';
import { RawClient } from './raw-client.js';

export interface FuzzOptions {
  frames: number;
  seed: number;
  /** Sockets sending fuzz frames at once. */
  clients: number;
  /** Requests each of them has unanswered at most. */
  inFlight: number;
  /** The bound every request with an id must be answered within (ms). */
  answerBoundMs: number;
}

export interface FuzzResult {
  frames: number;
  /** Requests sent with an id of ours, and how many of them were answered within their bound. */
  tracked: number;
  answeredInTime: number;
  /** The longest a tracked request waited for its answer (ms). */
  maxAnswerMs: number;
  /** What the requests answered late or never were (at most 10). */
  failures: string[];
  /** Distinct messages of -32603 (unexpected error) answers. */
  internalErrors: string[];
  /** Round-trip times of the well-behaved client's pings (ms). */
  pingP50Ms: number;
  pingP99Ms: number;
  pingMaxMs: number;
  pings: number;
}

const INTERNAL_ERROR = -32603;

interface Pending {
  sentAt: number;
  boundMs: number;
  text: string;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** What the server describes: classes with their operations and constructors, complex types. */
async function readApi(client: RawClient): Promise<FuzzApi> {
  const info = await client.call('invoke', { object: 'manager_ServerManager', operation: 'getInfo' });
  const api: FuzzApi = { classes: [], types: new Map() };
  for (const module of info.value.modules as { name: string }[]) {
    const kmd = JSON.parse((await client.call('invoke', { object: 'manager_ServerManager', operation: 'getKmd', operationParams: { moduleName: module.name } })).value as string);
    for (const c of kmd.remoteClasses ?? []) api.classes.push(c);
    for (const t of kmd.complexTypes ?? []) api.types.set(t.name, t);
  }
  return api;
}

async function makeTargets(client: RawClient): Promise<FuzzTargets> {
  const pipeline = (await client.call('create', { type: 'MediaPipeline' })).value as string;
  const element = async (type: string): Promise<string> => (await client.call('create', { type, constructorParams: { mediaPipeline: pipeline } })).value as string;
  return { pipeline, elements: [await element('PassThrough'), await element('WebRtcEndpoint'), await element('RtpEndpoint')] };
}

/** One fuzzing socket: sends frames, keeps `inFlight` tracked requests at most, times their answers. */
class FuzzSocket {
  private readonly pending = new Map<string, Pending>();
  private readonly socket: WebSocket;
  readonly opened: Promise<void>;
  private drained: (() => void) | undefined;
  maxAnswerMs = 0;
  answeredInTime = 0;
  failureCount = 0;
  /** Messages of the -32603 answers: failures the server did not foresee. */
  readonly internalErrors = new Set<string>();
  readonly failures: string[] = [];

  constructor(url: string) {
    this.socket = new WebSocket(url, { perMessageDeflate: false });
    this.opened = new Promise((resolve, reject) => this.socket.once('open', () => resolve()).once('error', reject));
    this.socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { id?: unknown; error?: { code?: number; message?: string } };
      if (message.error?.code === INTERNAL_ERROR) this.internalErrors.add(String(message.error.message));
      const key = typeof message.id === 'string' ? message.id : undefined;
      const entry = key === undefined ? undefined : this.pending.get(key);
      if (!entry) return;
      this.pending.delete(key!);
      const waited = performance.now() - entry.sentAt;
      this.maxAnswerMs = Math.max(this.maxAnswerMs, waited);
      if (waited <= entry.boundMs) this.answeredInTime++;
      else this.fail(`answered after ${waited.toFixed(0)} ms: ${entry.text.slice(0, 300)}`);
      this.drained?.();
    });
    this.socket.on('close', (code) => {
      for (const entry of this.pending.values()) this.fail(`socket closed (${code}) before the answer: ${entry.text.slice(0, 300)}`);
      this.pending.clear();
      this.drained?.();
    });
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  private fail(what: string): void {
    this.failureCount++;
    if (this.failures.length < 10) this.failures.push(what);
  }

  async send(frame: { data: string | Buffer; trackId?: string; boundMs: number }): Promise<void> {
    while (this.pending.size >= this.limit) await new Promise<void>((resolve) => (this.drained = resolve));
    if (frame.trackId !== undefined) this.pending.set(frame.trackId, { sentAt: performance.now(), boundMs: frame.boundMs, text: String(frame.data) });
    this.socket.send(frame.data);
  }

  limit = 8;

  /** Waits for the answers still due; those that never come count as failures. */
  async finish(graceMs: number): Promise<void> {
    const deadline = performance.now() + graceMs;
    while (this.pending.size > 0 && performance.now() < deadline && this.isOpen) {
      await new Promise<void>((resolve) => {
        this.drained = resolve;
        setTimeout(resolve, 100);
      });
    }
    for (const entry of this.pending.values()) this.fail(`never answered: ${entry.text.slice(0, 300)}`);
    this.pending.clear();
    this.socket.terminate();
  }

}

/** Pings from a client in its own thread every `everyMs` until `stop` is called; resolves with the round trips. */
function pingInThread(url: string, everyMs: number): { stop: () => Promise<number[]> } {
  const thread = new Worker(new URL('./ping-thread.js', import.meta.url), { workerData: { url, everyMs } });
  const times = new Promise<number[]>((resolve, reject) => {
    thread.once('message', (t: number[]) => resolve(t));
    thread.once('error', reject);
  });
  return {
    stop: async () => {
      thread.postMessage('stop');
      const result = await times;
      await thread.terminate();
      return result;
    },
  };
}

export async function fuzzProtocol(url: string, options: FuzzOptions): Promise<FuzzResult> {
  const setup = await RawClient.connect(url);
  const api = await readApi(setup);
  let targets = await makeTargets(setup);
  const maker = new FrameMaker(options.seed, api, () => targets);
  const sockets = Array.from({ length: options.clients }, () => new FuzzSocket(url));
  await Promise.all(sockets.map((s) => s.opened));
  for (const s of sockets) s.limit = options.inFlight;
  const pinger = pingInThread(url, 20);
  let times: number[];
  let sent = 0;
  let tracked = 0;
  try {
    for (let i = 0; i < options.frames; i++) {
      // Frames may release the targets (closeSession, release): give the fuzz new ones.
      if (i % 250 === 249 && (await setup.request('describe', { object: targets.pipeline })).error) targets = await makeTargets(setup);
      const frame = maker.next(options.answerBoundMs);
      let socket = sockets[i % sockets.length]!;
      if (!socket.isOpen) {
        // A frame far over the size limit closes its socket (1009): the fuzz goes on on a new one.
        const replacement = new FuzzSocket(url);
        replacement.limit = options.inFlight;
        await replacement.opened;
        sockets.push(replacement);
        sockets[i % options.clients] = replacement;
        socket = replacement;
      }
      if (frame.trackId !== undefined) tracked++;
      await socket.send(frame);
      sent++;
    }
    await Promise.all(sockets.map((s) => s.finish(options.answerBoundMs * 2)));
  } finally {
    times = (await pinger.stop()).sort((a, b) => a - b);
  }
  setup.close();
  const failures = sockets.flatMap((s) => s.failures);
  const failureCount = sockets.reduce((n, s) => n + s.failureCount, 0);
  return {
    frames: sent,
    tracked,
    answeredInTime: tracked - failureCount,
    maxAnswerMs: Math.max(...sockets.map((s) => s.maxAnswerMs)),
    failures,
    internalErrors: [...new Set(sockets.flatMap((s) => [...s.internalErrors]))],
    pingP50Ms: quantile(times, 0.5),
    pingP99Ms: quantile(times, 0.99),
    pingMaxMs: times[times.length - 1] ?? 0,
    pings: times.length,
  };
}

export function describeFuzz(result: FuzzResult): string {
  return [
    `${result.frames} frames, ${result.answeredInTime}/${result.tracked} requests answered in time, longest answer ${result.maxAnswerMs.toFixed(0)} ms`,
    `${result.internalErrors.length} distinct unexpected errors (-32603)`,
    `well-behaved ping p50 ${result.pingP50Ms.toFixed(1)} ms, p99 ${result.pingP99Ms.toFixed(1)} ms, max ${result.pingMaxMs.toFixed(1)} ms over ${result.pings} pings`,
  ].join('; ');
}
