/**
 * The clock that drives a mixer: a tick every period, on a schedule that does not drift (each
 * tick is planned from the start time, not from the previous tick, so timer lateness never
 * accumulates), stamped with the time it stands for in microseconds on the worker's clock
 * (`Date.now()` scale, the clock decoded frames are stamped on).
 *
 * When the event loop was held up past several periods, the clock either catches up — one tick
 * per period missed, up to `maxCatchUp`, for sound, whose output must stay continuous — or skips
 * to the present (pictures: only the newest matters).
 */

export type TickHandler = (timeUs: number) => void;

export class MediaClock {
  private timer: NodeJS.Timeout | undefined;
  private startMs = 0;
  private index = 0;
  /** Ticks given up because the event loop was late (statistics). */
  ticksSkipped = 0;

  constructor(
    private periodMs: number,
    private readonly onTick: TickHandler,
    /** How many late ticks are still run (0: skip to now). */
    private readonly maxCatchUp = 0,
  ) {}

  get running(): boolean {
    return this.timer !== undefined;
  }

  get period(): number {
    return this.periodMs;
  }

  start(): void {
    if (this.timer) return;
    this.startMs = performance.now();
    this.index = 0;
    this.schedule();
  }

  /** A new period, from the next tick on (a frame rate change). */
  setPeriod(periodMs: number): void {
    if (periodMs === this.periodMs) return;
    this.periodMs = periodMs;
    if (!this.timer) return;
    this.stop();
    this.start();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    const due = this.startMs + this.index * this.periodMs;
    this.timer = setTimeout(() => this.run(), Math.max(0, due - performance.now()));
  }

  private run(): void {
    const now = performance.now();
    const late = Math.floor((now - (this.startMs + this.index * this.periodMs)) / this.periodMs);
    if (late > this.maxCatchUp) {
      // Too far behind: skip the missed ticks rather than run a burst of them.
      const skipped = late - this.maxCatchUp;
      this.ticksSkipped += skipped;
      this.index += skipped;
    }
    while (this.timer && this.startMs + this.index * this.periodMs <= now) {
      const tickMs = this.startMs + this.index * this.periodMs;
      this.index++;
      this.onTick(Math.round((performance.timeOrigin + tickMs) * 1000));
    }
    if (this.timer) this.schedule();
  }
}
