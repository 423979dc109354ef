/**
 * The delay-based half of send-side estimation, in the manner of Google Congestion Control
 * (draft-ietf-rmcat-gcc-02 §5): packets sent within 5 ms of each other form a group; the growth
 * of one-way delay from group to group (arrival spacing minus send spacing) is accumulated,
 * smoothed, and its slope over the last 20 groups fitted by least squares. A slope clearly above
 * an adaptive threshold for more than 10 ms means a queue is building on the path (overuse);
 * clearly below, a queue draining (underuse).
 */

export type DelaySignal = 'normal' | 'overusing' | 'underusing';

const GROUP_SPAN_MS = 5;
const WINDOW = 20;
const SMOOTHING = 0.9;
const TREND_GAIN = 4;
const MAX_DELTAS_COUNTED = 60;
const OVERUSE_TIME_MS = 10;
/** The threshold adapts to the trend: quickly up (k_up), slowly down (k_down), within bounds. */
const THRESHOLD_START = 12.5;
const THRESHOLD_MIN = 6;
const THRESHOLD_MAX = 600;
const K_UP = 0.0087;
const K_DOWN = 0.039;
const THRESHOLD_JUMP_IGNORED = 15;

interface Group {
  firstSendMs: number;
  lastSendMs: number;
  lastArrivalMs: number;
}

export class DelayTrend {
  private current: Group | undefined;
  private previous: Group | undefined;
  private accumulated = 0;
  private smoothed = 0;
  private firstArrivalMs = Number.NaN;
  private readonly times: number[] = [];
  private readonly delays: number[] = [];
  private deltas = 0;
  private trend = 0;
  private previousTrend = 0;
  private threshold = THRESHOLD_START;
  private thresholdUpdatedMs = Number.NaN;
  private overuseMs = -1;
  private overuseCount = 0;
  /** The latest verdict. */
  signal: DelaySignal = 'normal';

  /** The trend as the detector compares it (ms), for diagnostics. */
  get modifiedTrend(): number {
    return Math.min(this.deltas, MAX_DELTAS_COUNTED) * this.trend * TREND_GAIN;
  }

  /** A packet feedback says arrived; packets must come in the order they were sent. */
  add(sendMs: number, arrivalMs: number): void {
    const group = this.current;
    if (!group) {
      this.current = { firstSendMs: sendMs, lastSendMs: sendMs, lastArrivalMs: arrivalMs };
      return;
    }
    if (sendMs - group.firstSendMs <= GROUP_SPAN_MS) {
      group.lastSendMs = Math.max(group.lastSendMs, sendMs);
      group.lastArrivalMs = Math.max(group.lastArrivalMs, arrivalMs);
      return;
    }
    if (this.previous) this.onDelta(group.lastSendMs - this.previous.lastSendMs, group.lastArrivalMs - this.previous.lastArrivalMs, group.lastArrivalMs);
    this.previous = group;
    this.current = { firstSendMs: sendMs, lastSendMs: sendMs, lastArrivalMs: arrivalMs };
  }

  private onDelta(sendDeltaMs: number, arrivalDeltaMs: number, arrivalMs: number): void {
    if (arrivalDeltaMs < 0) return; // reordered groups carry no trend
    this.deltas = Math.min(this.deltas + 1, 1000);
    this.accumulated += arrivalDeltaMs - sendDeltaMs;
    this.smoothed = SMOOTHING * this.smoothed + (1 - SMOOTHING) * this.accumulated;
    if (Number.isNaN(this.firstArrivalMs)) this.firstArrivalMs = arrivalMs;
    this.times.push(arrivalMs - this.firstArrivalMs);
    this.delays.push(this.smoothed);
    if (this.times.length > WINDOW) {
      this.times.shift();
      this.delays.shift();
    }
    if (this.times.length === WINDOW) this.trend = slope(this.times, this.delays) ?? this.trend;
    this.detect(sendDeltaMs, arrivalMs);
  }

  private detect(sendDeltaMs: number, nowMs: number): void {
    const modified = this.modifiedTrend;
    if (modified > this.threshold) {
      this.overuseMs = this.overuseMs < 0 ? sendDeltaMs / 2 : this.overuseMs + sendDeltaMs;
      this.overuseCount++;
      if (this.overuseMs > OVERUSE_TIME_MS && this.overuseCount > 1 && this.trend >= this.previousTrend) {
        this.overuseMs = 0;
        this.overuseCount = 0;
        this.signal = 'overusing';
      }
    } else if (modified < -this.threshold) {
      this.overuseMs = -1;
      this.overuseCount = 0;
      this.signal = 'underusing';
    } else {
      this.overuseMs = -1;
      this.overuseCount = 0;
      this.signal = 'normal';
    }
    this.previousTrend = this.trend;
    this.adaptThreshold(modified, nowMs);
  }

  private adaptThreshold(modified: number, nowMs: number): void {
    if (Number.isNaN(this.thresholdUpdatedMs)) this.thresholdUpdatedMs = nowMs;
    const size = Math.abs(modified);
    // A sudden spike (a route change, a burst) should not drag the threshold along.
    if (size > this.threshold + THRESHOLD_JUMP_IGNORED) {
      this.thresholdUpdatedMs = nowMs;
      return;
    }
    const k = size < this.threshold ? K_DOWN : K_UP;
    const elapsed = Math.min(nowMs - this.thresholdUpdatedMs, 100);
    this.threshold = Math.min(THRESHOLD_MAX, Math.max(THRESHOLD_MIN, this.threshold + k * (size - this.threshold) * elapsed));
    this.thresholdUpdatedMs = nowMs;
  }
}

/** Least-squares slope of y over x; undefined when x does not vary. */
function slope(x: readonly number[], y: readonly number[]): number | undefined {
  const n = x.length;
  let sumX = 0;
  let sumY = 0;
  for (let i = 0; i < n; i++) {
    sumX += x[i]!;
    sumY += y[i]!;
  }
  const meanX = sumX / n;
  const meanY = sumY / n;
  let numerator = 0;
  let denominator = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - meanX;
    numerator += dx * (y[i]! - meanY);
    denominator += dx * dx;
  }
  return denominator === 0 ? undefined : numerator / denominator;
}
