/**
 * One media worker process, seen from the control process: typed requests with their pending
 * responses, the events it raises, and its death. Requests still pending when the worker dies
 * fail with UNEXPECTED_ERROR, so no caller waits forever.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { KurentoError, errorFromBody, type RpcErrorBody } from '../errors.js';
import type { Socket } from 'node:net';
import type { ConnectionMessage, EventMessage, FromWorkerMessage, RequestMessage, WorkerMethod, WorkerRequestMap } from '../ipc/protocol.js';
import type { Logger } from '../log.js';
import { TypedEmitter } from '../typed-emitter.js';

const WORKER_ENTRY = fileURLToPath(new URL('../worker/main.js', import.meta.url));

/**
 * A worker that has not said `ready` by then is killed (and replaced by the pool): a worker hung
 * at boot would otherwise hold every `create` placed on it forever.
 */
const START_TIMEOUT_MS = 15_000;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** False for a crash or a kill; true when the control process asked the worker to end. */
  expected: boolean;
  /** Whether the worker had become ready before it ended. */
  wasReady: boolean;
  /** Milliseconds between `ready` and the end (0 if it never became ready). */
  readyForMs: number;
}

export interface MediaWorkerEvents {
  event: [EventMessage];
  exit: [WorkerExit];
}

export class MediaWorker extends TypedEmitter<MediaWorkerEvents> {
  readonly index: number;
  /** Pipelines placed on this worker (the placement load). */
  pipelines = 0;
  /** Elements placed on this worker. */
  elements = 0;
  /** Module-qualified names of the classes the worker can build, as it announced them when ready. */
  factories: ReadonlySet<string> = new Set();
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closing = false;
  private alive = true;
  private readyAt: number | undefined;
  private readonly startTimer: NodeJS.Timeout;
  readonly ready: Promise<void>;

  constructor(index: number, env: NodeJS.ProcessEnv, private readonly log: Logger) {
    super();
    this.index = index;
    const startedAt = Date.now();
    this.child = fork(WORKER_ENTRY, [], {
      serialization: 'advanced',
      env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let markReady: () => void = () => {};
    let failReady: (err: Error) => void = () => {};
    this.ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    // Callers that never await `ready` (a worker that dies at boot) must not leave an unhandled rejection.
    this.ready.catch(() => undefined);
    this.startTimer = setTimeout(() => {
      this.log.error('media worker did not start in time; killing it', { worker: index, pid: this.child.pid, timeoutMs: START_TIMEOUT_MS });
      this.child.kill('SIGKILL');
    }, START_TIMEOUT_MS);
    this.startTimer.unref();
    this.child.on('message', (message: FromWorkerMessage) => {
      if (message.kind === 'ready') {
        clearTimeout(this.startTimer);
        this.readyAt = Date.now();
        this.factories = new Set(message.factories);
        this.log.debug('media worker started', { worker: index, workerPid: this.child.pid, bootMs: this.readyAt - startedAt });
        markReady();
      } else if (message.kind === 'response') this.settle(message.id, message.result, message.error);
      else this.emit('event', message);
    });
    this.child.on('error', (err) => {
      this.log.error('media worker process error', { worker: index, error: err.message });
      // A fork that failed (no pid: EAGAIN, ENOMEM) may never emit 'exit'; treat it as one.
      if (this.child.pid === undefined) this.onExit(null, null, failReady);
    });
    this.child.on('exit', (code, signal) => this.onExit(code, signal, failReady));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get isAlive(): boolean {
    return this.alive;
  }

  /** Alive and past its boot: requests are answered without waiting. */
  get isReady(): boolean {
    return this.alive && this.readyAt !== undefined;
  }

  request<M extends WorkerMethod>(method: M, params: WorkerRequestMap[M]['params']): Promise<WorkerRequestMap[M]['result']> {
    if (!this.alive) return Promise.reject(new KurentoError('UNEXPECTED_ERROR', `Media worker ${this.index} is not running`));
    const id = this.nextId++;
    const message: RequestMessage<M> = { kind: 'request', id, method, params };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send(message, (err) => {
        if (err && this.pending.delete(id)) reject(new KurentoError('UNEXPECTED_ERROR', `Media worker ${this.index} unreachable: ${err.message}`));
      });
    });
  }

  /**
   * Hands an HTTP connection to the worker holding `objectId`, with the bytes already read from it.
   * The socket leaves this process; if the worker is gone, it is closed.
   */
  handOver(objectId: string, socket: Socket, head: Buffer): void {
    if (!this.alive || !this.child.connected) {
      socket.destroy();
      return;
    }
    const message: ConnectionMessage = { kind: 'connection', objectId, head };
    this.child.send(message, socket, (err) => {
      if (err) socket.destroy();
    });
  }

  /** Asks the worker to end (it releases its objects first) and waits, killing it after a grace period. */
  async close(graceMs = 5000): Promise<void> {
    if (!this.alive) return;
    this.closing = true;
    const exited = new Promise<void>((resolve) => this.once('exit', () => resolve()));
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => {
      this.log.warn('media worker did not end in time; killing it', { worker: this.index, pid: this.child.pid, graceMs });
      this.child.kill('SIGKILL');
    }, graceMs);
    await exited;
    clearTimeout(timer);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, failReady: (err: Error) => void): void {
    if (!this.alive) return;
    this.alive = false;
    clearTimeout(this.startTimer);
    failReady(new KurentoError('UNEXPECTED_ERROR', `Media worker ${this.index} exited before it was ready`));
    const failure = new KurentoError('UNEXPECTED_ERROR', `Media worker ${this.index} died while processing the request`);
    for (const p of this.pending.values()) p.reject(failure);
    this.pending.clear();
    const readyAt = this.readyAt;
    this.emit('exit', { code, signal, expected: this.closing, wasReady: readyAt !== undefined, readyForMs: readyAt === undefined ? 0 : Date.now() - readyAt });
  }

  private settle(id: number, result: unknown, error: RpcErrorBody | undefined): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    if (error) entry.reject(errorFromBody(error));
    else entry.resolve(result);
  }
}
