/**
 * One media worker process, seen from the control process: typed requests with their pending
 * responses, the events it raises, and its death. Requests still pending when the worker dies
 * fail with UNEXPECTED_ERROR, so no caller waits forever.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { KurentoError, errorFromBody, type RpcErrorBody } from '../errors.js';
import type { EventMessage, FromWorkerMessage, RequestMessage, WorkerMethod, WorkerRequestMap } from '../ipc/protocol.js';
import type { Logger } from '../log.js';
import { TypedEmitter } from '../typed-emitter.js';

const WORKER_ENTRY = fileURLToPath(new URL('../worker/main.js', import.meta.url));

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

export interface MediaWorkerEvents {
  event: [EventMessage];
  /** The process ended; `expected` is false for a crash or a kill. */
  exit: [{ code: number | null; signal: NodeJS.Signals | null; expected: boolean }];
}

export class MediaWorker extends TypedEmitter<MediaWorkerEvents> {
  readonly index: number;
  /** Pipelines placed on this worker (the placement load). */
  pipelines = 0;
  /** Elements placed on this worker. */
  elements = 0;
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closing = false;
  private alive = true;
  readonly ready: Promise<void>;

  constructor(index: number, env: NodeJS.ProcessEnv, private readonly log: Logger) {
    super();
    this.index = index;
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
    this.child.on('message', (message: FromWorkerMessage) => {
      if (message.kind === 'ready') markReady();
      else if (message.kind === 'response') this.settle(message.id, message.result, message.error);
      else this.emit('event', message);
    });
    this.child.on('error', (err) => this.log.error('media worker process error', { worker: index, error: err.message }));
    this.child.on('exit', (code, signal) => {
      this.alive = false;
      failReady(new Error(`media worker ${index} exited before it was ready`));
      const failure = new KurentoError('UNEXPECTED_ERROR', `Media worker ${index} died while processing the request`);
      for (const p of this.pending.values()) p.reject(failure);
      this.pending.clear();
      this.emit('exit', { code, signal, expected: this.closing });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get isAlive(): boolean {
    return this.alive;
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

  /** Asks the worker to end (it releases its objects first) and waits, killing it after a grace period. */
  async close(graceMs = 5000): Promise<void> {
    if (!this.alive) return;
    this.closing = true;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  private settle(id: number, result: unknown, error: RpcErrorBody | undefined): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    if (error) entry.reject(errorFromBody(error));
    else entry.resolve(result);
  }
}
