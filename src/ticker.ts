/**
 * One timer per period for the whole process, running every periodic task of that period: the
 * reports, REMB and liveness checks of each peer every second, the NACK checks every 20 ms.
 *
 * Node groups timers of one duration in one list, but timers started at different moments still
 * expire at different moments: a worker with 30 peers woke up 30 times a second for their
 * reports and 1,500 times a second for their NACK checks, each wake-up a trip through the event
 * loop. Here they share one wake-up per period, whose cost grows with the work done, not with
 * the number of peers.
 */

type Task = () => void;

export class Ticker {
  private readonly tasks = new Set<Task>();
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly periodMs: number) {}

  /** Runs `task` every period from the next tick on; returns what stops it. */
  add(task: Task): () => void {
    this.tasks.add(task);
    if (!this.timer) {
      this.timer = setInterval(() => this.run(), this.periodMs);
      this.timer.unref(); // periodic upkeep never keeps a process alive
    }
    return () => this.remove(task);
  }

  get size(): number {
    return this.tasks.size;
  }

  private remove(task: Task): void {
    this.tasks.delete(task);
    if (this.tasks.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private run(): void {
    for (const task of this.tasks) {
      try {
        task();
      } catch (err) {
        // One task's failure must not starve the others; it still reaches the process's
        // uncaught-exception handling, as its own timer's would have.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}

const tickers = new Map<number, Ticker>();

/** The process's ticker of this period. */
export function ticker(periodMs: number): Ticker {
  let found = tickers.get(periodMs);
  if (!found) tickers.set(periodMs, (found = new Ticker(periodMs)));
  return found;
}
