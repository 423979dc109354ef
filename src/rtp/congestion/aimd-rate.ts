/**
 * The rate controller of send-side estimation (draft-ietf-rmcat-gcc-02 §5.5): on overuse the
 * estimate drops to 85 % of what the receiver got (its acknowledged rate); otherwise it grows,
 * by 8 % a second while the link's capacity is unknown, and by about a packet per round trip
 * near the capacity the last drops revealed, but not while we send well under it. Underuse holds
 * it (the queue is draining).
 */
import type { DelaySignal } from './delay-trend.js';

const BETA = 0.85;
const MULTIPLICATIVE_PER_SECOND = 1.08;
const MIN_INCREASE_BPS_PER_SECOND = 4000;
/**
 * The round trip the near-capacity increase assumes at least. A viewer a millisecond away would
 * otherwise gain 70 kbit/s a second at 500 kbit/s, and overshoot its link by a quarter before the
 * publisher's encoder (which follows what we ask of it with a delay) fills the queue enough to see.
 */
const MIN_RTT_MS = 100;
const FRAMES_PER_SECOND = 30;
const PACKET_BITS = 1200 * 8;
/** The estimate may not run ahead of what arrives by more than this (a sender that sends less learns nothing more). */
const ACKED_HEADROOM = 1.5;
const ACKED_HEADROOM_BPS = 10_000;
/** Under this share of the estimate arriving, the sender is limited by what it has to send, not by the link. */
const APP_LIMITED_SHARE = 0.65;
/** How far the acknowledged rate may stray from the capacity estimate before it is forgotten. */
const CAPACITY_DEVIATIONS = 3;

export class AimdRate {
  private state: 'hold' | 'increase' | 'decrease' = 'hold';
  private updatedMs = Number.NaN;
  private decreasedMs = Number.NEGATIVE_INFINITY;
  /** The link's capacity as drops showed it: mean (kbit/s, as the variance is normalised in) and variance. */
  private capacity: { mean: number; variance: number } | undefined;

  constructor(
    public estimateBps: number,
    private readonly minBps: number,
    private readonly maxBps: number,
  ) {}

  /** Sets the estimate outright (a probe measured the link). */
  set(bps: number): void {
    this.estimateBps = this.clamp(bps);
  }

  /** Applies the delay signal at `nowMs`, with what the receiver got lately (bps, 0 if unknown). */
  update(signal: DelaySignal, ackedBps: number, rttMs: number, nowMs: number): void {
    const elapsedMs = Number.isNaN(this.updatedMs) ? 0 : Math.min(nowMs - this.updatedMs, 1000);
    this.updatedMs = nowMs;
    if (signal === 'overusing') this.state = 'decrease';
    else if (signal === 'underusing') this.state = 'hold';
    else if (this.state === 'hold') this.state = 'increase';

    if (this.state === 'decrease') {
      this.state = 'hold';
      // Once per round trip at most: the first drop's effect has not reached the receiver yet.
      if (nowMs - this.decreasedMs < Math.min(Math.max(rttMs, 10), 200) || ackedBps <= 0) return;
      let lowered = BETA * ackedBps;
      if (lowered > this.estimateBps && this.capacity) lowered = BETA * this.capacity.mean * 1000;
      if (lowered < this.estimateBps) {
        this.estimateBps = this.clamp(lowered);
        this.decreasedMs = nowMs;
      }
      this.learnCapacity(ackedBps);
      return;
    }
    if (this.state !== 'increase' || elapsedMs <= 0) return;
    // Sending well under the estimate (a viewer on a low layer) tests nothing above what is sent:
    // growth there would be a guess. Probes raise it instead, by measuring.
    if (ackedBps > 0 && ackedBps < APP_LIMITED_SHARE * this.estimateBps) return;
    if (this.capacity && ackedBps / 1000 > this.capacity.mean + CAPACITY_DEVIATIONS * this.deviationKbps()) this.capacity = undefined;
    const increase = this.capacity
      ? (this.nearCapacityIncrease(rttMs) * elapsedMs) / 1000
      : Math.max(this.estimateBps * (MULTIPLICATIVE_PER_SECOND ** (elapsedMs / 1000) - 1), (1000 * elapsedMs) / 1000);
    let raised = this.estimateBps + increase;
    if (ackedBps > 0) raised = Math.min(raised, Math.max(this.estimateBps, ACKED_HEADROOM * ackedBps + ACKED_HEADROOM_BPS));
    this.estimateBps = this.clamp(raised);
  }

  /** About one packet per response time (a round trip, at least `MIN_RTT_MS`, and 100 ms), in bps per second. */
  private nearCapacityIncrease(rttMs: number): number {
    const frameBits = this.estimateBps / FRAMES_PER_SECOND;
    const packetBits = frameBits / Math.max(1, Math.ceil(frameBits / PACKET_BITS));
    return Math.max(MIN_INCREASE_BPS_PER_SECOND, (packetBits * 1000) / (Math.max(rttMs, MIN_RTT_MS) + 100));
  }

  private learnCapacity(ackedBps: number): void {
    const acked = ackedBps / 1000;
    if (!this.capacity) {
      this.capacity = { mean: acked, variance: 0.4 };
      return;
    }
    const alpha = 0.05;
    const mean = (1 - alpha) * this.capacity.mean + alpha * acked;
    const normalised = (mean - acked) ** 2 / Math.max(mean, 1);
    this.capacity = { mean, variance: Math.min(2.5, Math.max(0.4, (1 - alpha) * this.capacity.variance + alpha * normalised)) };
  }

  private deviationKbps(): number {
    return this.capacity ? Math.sqrt(this.capacity.variance * this.capacity.mean) : 0;
  }

  private clamp(bps: number): number {
    return Math.min(this.maxBps, Math.max(this.minBps, bps));
  }
}
