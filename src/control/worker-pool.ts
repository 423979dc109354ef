/**
 * The media workers: started at boot, chosen for each new pipeline by load, and replaced when
 * one dies. The pool only keeps the processes running; what a death means for the objects a
 * worker held is decided by the media server (`worker-lost`).
 */
import type { EventMessage } from '../ipc/protocol.js';
import type { Logger } from '../log.js';
import { TypedEmitter } from '../typed-emitter.js';
import { MediaWorker } from './media-worker.js';

export interface WorkerPoolEvents {
  event: [MediaWorker, EventMessage];
  'worker-lost': [MediaWorker, { code: number | null; signal: NodeJS.Signals | null }];
}

export class WorkerPool extends TypedEmitter<WorkerPoolEvents> {
  private readonly workers: MediaWorker[] = [];
  private closed = false;

  constructor(
    private readonly size: number,
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: Logger,
  ) {
    super();
  }

  async start(): Promise<void> {
    for (let i = 0; i < this.size; i++) this.workers.push(this.spawn(i));
    await Promise.all(this.workers.map((w) => w.ready));
  }

  get all(): readonly MediaWorker[] {
    return this.workers;
  }

  /**
   * The worker a new pipeline goes to: fewest elements, then fewest pipelines. Element count is
   * what costs CPU and memory; counting in the control process keeps placement free of IPC.
   */
  async leastLoaded(): Promise<MediaWorker> {
    const alive = this.workers.filter((w) => w.isAlive);
    if (alive.length === 0) throw new Error('no media worker is running');
    alive.sort((a, b) => a.elements - b.elements || a.pipelines - b.pipelines || a.index - b.index);
    const chosen = alive[0]!;
    await chosen.ready;
    return chosen;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.close()));
  }

  private spawn(index: number): MediaWorker {
    const worker = new MediaWorker(index, this.env, this.log.child(`worker${index}`));
    worker.on('event', (message) => this.emit('event', worker, message));
    worker.on('exit', ({ code, signal, expected }) => {
      if (expected || this.closed) return;
      this.log.error('media worker died; replacing it', { worker: index, pid: worker.pid, code, signal });
      const replacement = this.spawn(index);
      this.workers[this.workers.indexOf(worker)] = replacement;
      replacement.ready.catch((err: Error) => this.log.error('replacement worker failed to start', { error: err.message }));
      this.emit('worker-lost', worker, { code, signal });
    });
    return worker;
  }
}
