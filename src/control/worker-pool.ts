/**
 * The media workers: started at boot, chosen for each new pipeline by load, and replaced when
 * one dies. The pool only keeps the processes running; what a death means for the objects a
 * worker held is decided by the media server (`worker-lost`).
 *
 * A worker that dies soon after it started (a bad build, a crash on load, a resource limit) would
 * be replaced at once and die again, over and over: consecutive early deaths of a slot delay its
 * next start exponentially, up to a ceiling, so a crash loop costs little CPU and floods no log.
 */
import { KurentoError } from '../errors.js';
import type { EventMessage } from '../ipc/protocol.js';
import type { Logger } from '../log.js';
import { TypedEmitter } from '../typed-emitter.js';
import { MediaWorker } from './media-worker.js';

export interface WorkerPoolEvents {
  event: [MediaWorker, EventMessage];
  'worker-lost': [MediaWorker, { code: number | null; signal: NodeJS.Signals | null }];
}

export interface RestartPolicy {
  /** A worker that lived at least this long after `ready` counts as stable: its death restarts it at once. */
  stableAfterMs: number;
  /** Delay before the second consecutive early restart; doubled for each further one. */
  firstDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { stableAfterMs: 10_000, firstDelayMs: 250, maxDelayMs: 8_000 };

interface Slot {
  worker: MediaWorker;
  /** Consecutive deaths of this slot's workers before they became stable. */
  earlyDeaths: number;
  /** Workers started in this slot to replace one that died (the metrics' restart count). */
  restarts: number;
  restartTimer: NodeJS.Timeout | undefined;
}

export class WorkerPool extends TypedEmitter<WorkerPoolEvents> {
  private readonly slots: Slot[] = [];
  private closed = false;

  constructor(
    private readonly size: number,
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: Logger,
    private readonly policy: RestartPolicy = DEFAULT_RESTART_POLICY,
  ) {
    super();
  }

  async start(): Promise<void> {
    for (let i = 0; i < this.size; i++) {
      const slot: Slot = { worker: this.spawn(i), earlyDeaths: 0, restarts: 0, restartTimer: undefined };
      this.slots.push(slot);
    }
    await Promise.all(this.slots.map((s) => s.worker.ready));
  }

  /** The current worker of every slot (a dead one while its replacement waits out a backoff). */
  get all(): readonly MediaWorker[] {
    return this.slots.map((s) => s.worker);
  }

  /** How many replacement workers each slot has started, by slot index. */
  get restartCounts(): readonly number[] {
    return this.slots.map((s) => s.restarts);
  }

  /**
   * Places a new pipeline: a ready worker before one still booting, then fewest elements, then
   * fewest pipelines. Element count is what costs CPU and memory; counting in the control process
   * keeps placement free of IPC. The pipeline is counted here, before anything is awaited, so
   * pipelines created in a burst spread over the workers; the caller uncounts it
   * (`worker.pipelines--`) if the creation fails.
   */
  placePipeline(): Promise<MediaWorker> {
    const alive = this.all.filter((w) => w.isAlive);
    if (alive.length === 0) return Promise.reject(new KurentoError('NOT_ENOUGH_RESOURCES', 'No media worker is running; a replacement is being started'));
    alive.sort((a, b) => Number(b.isReady) - Number(a.isReady) || a.elements - b.elements || a.pipelines - b.pipelines || a.index - b.index);
    const chosen = alive[0]!;
    chosen.pipelines++;
    return chosen.ready.then(
      () => chosen,
      (err: unknown) => {
        chosen.pipelines--;
        throw err;
      },
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const slot of this.slots) clearTimeout(slot.restartTimer);
    await Promise.all(this.slots.map((s) => s.worker.close()));
  }

  private spawn(index: number): MediaWorker {
    const worker = new MediaWorker(index, this.env, this.log.child(`worker${index}`));
    worker.on('event', (message) => this.emit('event', worker, message));
    worker.on('exit', (exit) => {
      if (exit.expected || this.closed) return;
      const slot = this.slots[index];
      const stable = exit.wasReady && exit.readyForMs >= this.policy.stableAfterMs;
      if (slot) {
        slot.earlyDeaths = stable ? 0 : slot.earlyDeaths + 1;
        this.scheduleRestart(slot, index, { pid: worker.pid, code: exit.code, signal: exit.signal, wasReady: exit.wasReady, readyForMs: exit.readyForMs });
      }
      this.emit('worker-lost', worker, { code: exit.code, signal: exit.signal });
    });
    return worker;
  }

  /** The first early death is replaced at once (a single crash must not slow recovery); later ones wait. */
  private scheduleRestart(slot: Slot, index: number, fields: Record<string, unknown>): void {
    const delayMs = slot.earlyDeaths <= 1 ? 0 : Math.min(this.policy.firstDelayMs * 2 ** (slot.earlyDeaths - 2), this.policy.maxDelayMs);
    this.log.error('media worker died; replacing it', { worker: index, ...fields, earlyDeaths: slot.earlyDeaths, restartInMs: delayMs });
    const restart = (): void => {
      slot.restartTimer = undefined;
      if (this.closed) return;
      slot.restarts++;
      slot.worker = this.spawn(index);
      slot.worker.ready.catch((err: Error) => this.log.error('replacement worker failed to start', { worker: index, error: err.message }));
    };
    if (delayMs === 0) restart();
    else slot.restartTimer = setTimeout(restart, delayMs);
  }
}
