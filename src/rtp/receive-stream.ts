/**
 * One incoming RTP stream (one SSRC): sequence tracking and jitter per RFC 3550 Appendix A.1/A.8,
 * the receiver-report block that follows from them, loss detection for NACK (RFC 4585), and a
 * history of recent packets that every forwarded copy shares — a subscriber's NACK is answered
 * from here instead of each subscriber keeping its own copy.
 */
import { seqDelta } from './rtp-header.js';
import type { ReportBlock } from './rtcp.js';
import type { SimulcastLayer } from './simulcast-group.js';

const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
/** Packets kept for retransmission (about 2.5 s of 640x480 video at 200 packets/s). */
export const HISTORY_SIZE = 512;
/** A lost packet is asked for again at most this many times. */
const NACK_MAX_TRIES = 5;
/** Loss older than this is given up on (the decoder has moved on). */
const NACK_MAX_AGE_MS = 1000;
/** Give reordered packets this long before calling them lost. */
const NACK_REORDER_GRACE_MS = 15;
const NACK_RETRY_MIN_MS = 40;

interface Missing {
  firstSeenMs: number;
  lastAskedMs: number;
  tries: number;
}

export class ReceiveStream {
  private baseSeq = 0;
  private maxSeq = 0;
  private cycles = 0;
  private received = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private transit: number | undefined;
  private jitterUnits = 0;
  private started = false;
  private lastSrMiddle = 0;
  private lastSrArrivalMs = 0;
  /** Bytes of payload received (statistics). */
  bytes = 0;
  /** The simulcast layer this stream carries, when its sender sends several (RID). */
  layer: SimulcastLayer | undefined;
  readonly history: (Buffer | undefined)[] = new Array(HISTORY_SIZE);
  private readonly historyLength = new Uint16Array(HISTORY_SIZE);
  private readonly historySeq = new Int32Array(HISTORY_SIZE).fill(-1);
  private readonly missing = new Map<number, Missing>();
  nackCount = 0;
  pliCount = 0;
  /** Distinct RTP timestamps seen: frames, for video (the frame rate in getStats and the console). */
  frames = 0;
  private lastFrameTimestamp = -1;

  constructor(
    readonly ssrc: number,
    readonly clockRate: number,
  ) {}

  get packetsReceived(): number {
    return this.received;
  }

  /** Highest sequence number seen, extended with the wrap-around count. */
  get extendedHighest(): number {
    return this.cycles + this.maxSeq;
  }

  get cumulativeLost(): number {
    if (!this.started) return 0;
    return this.extendedHighest - this.baseSeq + 1 - this.received;
  }

  get jitter(): number {
    return Math.round(this.jitterUnits / 16);
  }

  /**
   * Accounts for one packet. Returns false for a packet too far outside the sequence window to be
   * believed (it is then dropped by the caller).
   */
  update(seq: number, rtpTimestamp: number, arrivalMs: number): boolean {
    if (rtpTimestamp !== this.lastFrameTimestamp) {
      this.frames++;
      this.lastFrameTimestamp = rtpTimestamp;
    }
    if (!this.started) {
      this.started = true;
      this.baseSeq = seq;
      this.maxSeq = seq;
      this.received = 1;
      this.transit = undefined;
      this.updateJitter(rtpTimestamp, arrivalMs);
      return true;
    }
    const delta = seqDelta(this.maxSeq, seq);
    if (delta > 0 && delta < MAX_DROPOUT) {
      if (seq < this.maxSeq) this.cycles += 0x10000;
      for (let s = (this.maxSeq + 1) & 0xffff; s !== seq; s = (s + 1) & 0xffff) {
        if (this.missing.size < MAX_MISORDER * 5) this.missing.set(s, { firstSeenMs: arrivalMs, lastAskedMs: 0, tries: 0 });
      }
      this.maxSeq = seq;
    } else if (delta <= 0 && -delta < MAX_MISORDER) {
      this.missing.delete(seq); // late or retransmitted
    } else {
      // A jump this large is a restarted source: start counting again.
      this.started = false;
      this.missing.clear();
      return this.update(seq, rtpTimestamp, arrivalMs);
    }
    this.received++;
    this.updateJitter(rtpTimestamp, arrivalMs);
    return true;
  }

  /** Keeps the (decrypted) packet for retransmission to subscribers. */
  remember(seq: number, packet: Buffer, length: number): void {
    const slot = seq % HISTORY_SIZE;
    this.history[slot] = packet;
    this.historyLength[slot] = length;
    this.historySeq[slot] = seq;
  }

  /** A packet from the history, if still there. */
  recall(seq: number): { packet: Buffer; length: number } | undefined {
    const slot = seq % HISTORY_SIZE;
    const packet = this.history[slot];
    return packet && this.historySeq[slot] === seq ? { packet, length: this.historyLength[slot]! } : undefined;
  }

  /** Sequence numbers to NACK now; each is asked for a few times, spaced by `rttMs`. */
  lostToRequest(nowMs: number, rttMs: number): number[] {
    const out: number[] = [];
    const spacing = Math.max(NACK_RETRY_MIN_MS, rttMs);
    for (const [seq, m] of this.missing) {
      if (nowMs - m.firstSeenMs > NACK_MAX_AGE_MS || m.tries >= NACK_MAX_TRIES) {
        this.missing.delete(seq);
        continue;
      }
      if (nowMs - m.firstSeenMs < NACK_REORDER_GRACE_MS) continue;
      if (m.tries > 0 && nowMs - m.lastAskedMs < spacing) continue;
      m.tries++;
      m.lastAskedMs = nowMs;
      out.push(seq);
    }
    if (out.length > 0) this.nackCount++;
    return out;
  }

  get hasMissing(): boolean {
    return this.missing.size > 0;
  }

  /**
   * The source's latest sender report: its wall clock (NTP, as Unix ms) at an RTP timestamp.
   * Streams of one source share that clock, so recorders use it to keep audio and video in sync.
   */
  senderReport: { ntpMs: number; rtpTimestamp: number; arrivalMs: number } | undefined;

  /** Notes a sender report from this source (for LSR/DLSR in our receiver reports, and sync). */
  onSenderReport(ntpSeconds: number, ntpFraction: number, arrivalMs: number, rtpTimestamp = 0): void {
    this.lastSrMiddle = ((ntpSeconds & 0xffff) << 16 | ntpFraction >>> 16) >>> 0;
    this.lastSrArrivalMs = arrivalMs;
    const ntpMs = (ntpSeconds - 2208988800) * 1000 + (ntpFraction / 0x100000000) * 1000;
    this.senderReport = { ntpMs, rtpTimestamp, arrivalMs };
  }

  /** The report block for our next receiver report. */
  report(nowMs: number): ReportBlock {
    const expected = this.started ? this.extendedHighest - this.baseSeq + 1 : 0;
    const expectedInterval = expected - this.expectedPrior;
    const receivedInterval = this.received - this.receivedPrior;
    this.expectedPrior = expected;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    const fraction = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval << 8) / expectedInterval);
    return {
      ssrc: this.ssrc,
      fractionLost: Math.min(255, fraction),
      packetsLost: this.cumulativeLost,
      highestSequence: this.extendedHighest >>> 0,
      jitter: this.jitter,
      lastSr: this.lastSrMiddle,
      delaySinceLastSr: this.lastSrArrivalMs === 0 ? 0 : Math.round(((nowMs - this.lastSrArrivalMs) / 1000) * 65536),
    };
  }

  private updateJitter(rtpTimestamp: number, arrivalMs: number): void {
    const arrival = Math.round((arrivalMs * this.clockRate) / 1000);
    const transit = (arrival - rtpTimestamp) | 0;
    if (this.transit !== undefined) {
      const d = Math.abs((transit - this.transit) | 0);
      // RFC 3550 A.8, in units of 1/16 timestamp unit.
      this.jitterUnits += d - ((this.jitterUnits + 8) >> 4);
    }
    this.transit = transit;
  }
}
