/**
 * One outgoing RTP stream (one SSRC towards one peer): the mapping from the source's sequence
 * numbers and timestamps to ours, kept continuous when the source changes (a new publisher, a
 * restarted one), and the counters our sender reports need.
 *
 * The mapping is an offset per source epoch, so a NACKed sequence number maps back to the
 * source's own number, and the packet is fetched from the source's shared history.
 */
import { seqDelta } from './rtp-header.js';

/** Numbers remembered once packets are skipped (`skip`); a power of two. */
const SENT_MEMORY = 1024;
/** Resends remembered per stream (`mayRetransmit`); a power of two. */
const RESEND_MEMORY = 256;
/** How far ahead the first timestamp after a source switch lands, in ms of media time. */
const SWITCH_GAP_MS = 33;

export class SendStream {
  private seqOffset = 0;
  private tsOffset = 0;
  private sourceSsrc: number | undefined;
  private lastSeq: number;
  private lastTs: number;
  private lastSendMs = 0;
  private started = false;
  packetCount = 0;
  octetCount = 0;
  /** Sequence number sent for the last packet. */
  get highestSeq(): number {
    return this.lastSeq;
  }
  /** RTP timestamp and wall clock of the last packet sent (for sender reports). */
  lastTimestamp = 0;
  lastWallMs = 0;
  nackCount = 0;
  pliCount = 0;
  firCount = 0;
  retransmitted = 0;
  /** Latest REMB from the peer for this stream, bits/s (0 = none yet). */
  remb = 0;
  rtxSequence: number;

  constructor(
    readonly ssrc: number,
    readonly clockRate: number,
    readonly rtxSsrc: number | undefined,
  ) {
    this.lastSeq = Math.floor(Math.random() * 0x8000);
    this.lastTs = Math.floor(Math.random() * 0x7fffffff);
    this.rtxSequence = Math.floor(Math.random() * 0x8000);
  }

  /**
   * Maps a source packet's sequence number and timestamp to ours. A new source SSRC starts a new
   * epoch: our numbering carries on from where it was.
   */
  /** Results of the last `map` (fields rather than a returned object: this runs per packet). */
  mappedSeq = 0;
  mappedTs = 0;

  /**
   * A source packet left out of this stream (a layer the peer does not get): the numbering
   * closes over it, so the peer sees no loss. From the first one on, each number sent is
   * remembered with the source's, so a NACK still finds the packet it names.
   */
  skip(): void {
    this.seqOffset = (this.seqOffset - 1) & 0xffff;
    this.sentFrom ??= new Float64Array(SENT_MEMORY).fill(Number.NaN);
  }

  /** The source number behind each of the last numbers sent (`out * 65536 + source`), once skipping started. */
  private sentFrom: Float64Array | undefined;

  map(sourceSsrc: number, seq: number, ts: number, nowMs: number): void {
    if (sourceSsrc !== this.sourceSsrc) {
      this.sourceSsrc = sourceSsrc;
      const nextSeq = this.started ? (this.lastSeq + 1) & 0xffff : this.lastSeq;
      this.seqOffset = (nextSeq - seq) & 0xffff;
      const elapsed = this.started ? Math.max(SWITCH_GAP_MS, nowMs - this.lastSendMs) : 0;
      const nextTs = (this.lastTs + Math.round((elapsed * this.clockRate) / 1000)) >>> 0;
      this.tsOffset = (nextTs - ts) >>> 0;
      this.started = true;
    }
    const outSeq = (seq + this.seqOffset) & 0xffff;
    const outTs = (ts + this.tsOffset) >>> 0;
    if (this.sentFrom) this.sentFrom[outSeq & (SENT_MEMORY - 1)] = outSeq * 65536 + seq;
    if (seqDelta(this.lastSeq, outSeq) > 0) {
      this.lastSeq = outSeq;
      this.lastTs = outTs;
    }
    this.lastSendMs = nowMs;
    this.mappedSeq = outSeq;
    this.mappedTs = outTs;
  }

  /** Our timestamp for a source timestamp, in the current epoch. */
  outTimestamp(sourceTs: number): number {
    return (sourceTs + this.tsOffset) >>> 0;
  }

  /** The source sequence number behind one of ours, in the current epoch. */
  sourceSeq(outSeq: number): number | undefined {
    if (this.sourceSsrc === undefined) return undefined;
    if (this.sentFrom) {
      const entry = this.sentFrom[outSeq & (SENT_MEMORY - 1)]!;
      return Math.floor(entry / 65536) === outSeq ? entry % 65536 : undefined;
    }
    return (outSeq - this.seqOffset) & 0xffff;
  }

  get currentSource(): number | undefined {
    return this.sourceSsrc;
  }

  /** Distinct RTP timestamps sent: frames, for video (getStats and the console). */
  frames = 0;

  /** Counts a packet sent (sender report counters). */
  sent(payloadBytes: number, rtpTimestamp: number, nowMs: number): void {
    if (rtpTimestamp !== this.lastTimestamp || this.packetCount === 0) this.frames++;
    this.packetCount = (this.packetCount + 1) >>> 0;
    this.octetCount = (this.octetCount + payloadBytes) >>> 0;
    this.lastTimestamp = rtpTimestamp;
    this.lastWallMs = nowMs;
  }

  /**
   * Whether a NACKed packet may go again: not if it was resent less than `spacingMs` ago (a
   * round trip). A receiver behind a full queue repeats its NACKs before the first resend can
   * arrive; answering each one multiplies the traffic on the link that is already too small.
   * Remembers the last 256 resends, from the first NACK on.
   */
  mayRetransmit(seq: number, nowMs: number, spacingMs: number): boolean {
    const slot = seq & (RESEND_MEMORY - 1);
    this.resentSeq ??= new Int32Array(RESEND_MEMORY).fill(-1);
    this.resentAtMs ??= new Float64Array(RESEND_MEMORY);
    if (this.resentSeq[slot] === seq && nowMs - this.resentAtMs[slot]! < spacingMs) return false;
    this.resentSeq[slot] = seq;
    this.resentAtMs[slot] = nowMs;
    return true;
  }

  private resentSeq: Int32Array | undefined;
  private resentAtMs: Float64Array | undefined;

  nextRtxSequence(): number {
    this.rtxSequence = (this.rtxSequence + 1) & 0xffff;
    return this.rtxSequence;
  }
}
