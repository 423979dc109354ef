/**
 * Puts the RTP timestamps of several streams from one sender on a common clock, so their frames
 * can be written side by side in a file.
 *
 * Each stream's timestamps are unwrapped (32-bit) and anchored to the local clock. Until the
 * sender's first RTCP sender report, the anchor is the arrival time of the stream's first packet:
 * on a good network the first packets of a sender's streams arrive within a few milliseconds of
 * their capture, which keeps them within a frame of each other, but a slow first key frame or a
 * congested path can put them 100 ms or more apart. A sender report pairs an RTP timestamp with
 * the sender's own wall clock (NTP), which all its streams share: from then on a stream's frames
 * are placed by that clock (`SenderTimeline`), so audio and video line up exactly whatever their
 * clock rates, RTP bases, packet loss and arrival jitter.
 *
 * Anchors are never moved to follow jitter: moving one would bunch the frames up where it moves,
 * and players then misjudge the frame rate. Only a sender report moves it, once a second, by the
 * sender's own correction.
 */

/** Where a sender report places an RTP timestamp on the sender's wall clock. */
export interface SenderClock {
  /** NTP time of the report, in milliseconds. */
  readonly ntpMs: number;
  readonly rtpTimestamp: number;
}

/**
 * A packet whose timestamp places it this much further from its arrival than the stream's packets
 * so far is off the timeline. Ahead of it, it is not believed at once: one stray timestamp (a
 * forged or corrupted packet) would otherwise move every later frame of the stream hours away.
 */
const JUMP_MS = 5000;
/** Packets in a row that agree on a jumped timeline make it the stream's timeline. */
const JUMP_CONFIRMATIONS = 3;

export class RtpClock {
  private lastRtp: number | undefined;
  private extended = 0;
  /** Local time (ms) at which extended timestamp 0 would have arrived, from the first packet. */
  private arrivalAnchor: number | undefined;
  /** Local time (ms) of extended timestamp 0 by the sender's clock, from the latest sender report. */
  private senderAnchor: number | undefined;
  /** Where the stream's packets are placed relative to their arrival (ms), as of the latest one on the timeline. */
  private skewMs = 0;
  /** Packets in a row off the timeline, and where the first of them was placed relative to its arrival. */
  private jumped: { count: number; skewMs: number } | undefined;
  /** Packets off the timeline so far (dropped ahead of it, or placed in the past, where callers clamp them). */
  strayPackets = 0;

  constructor(readonly clockRate: number) {}

  /** Whether a sender report places this stream (rather than its first packet's arrival). */
  get senderSynced(): boolean {
    return this.senderAnchor !== undefined;
  }

  /**
   * Records a packet's arrival; returns its time on the local clock (ms), or undefined for a
   * packet to drop.
   *
   * A packet far ahead of the timeline is dropped until three in a row agree on the new one (a
   * sender that restarted its clock): the stream then starts again from there, placed by arrival.
   * A packet far behind it is placed where its timestamp says (in the past: callers never let time
   * go back); three in a row that agree (a sender whose timestamps stood still while it paused)
   * become the timeline, still placed by the anchor, so the pause leaves no gap, as before.
   */
  onPacket(rtpTimestamp: number, arrivalMs: number): number | undefined {
    if (this.lastRtp === undefined) return this.startAt(rtpTimestamp, arrivalMs);
    const placedMs = this.toLocal(this.mediaMsNear(rtpTimestamp));
    const offMs = placedMs - arrivalMs - this.skewMs;
    if (Math.abs(offMs) > JUMP_MS) {
      if (!this.confirmsJump(placedMs - arrivalMs)) {
        this.strayPackets++;
        return offMs < 0 ? placedMs : undefined;
      }
      if (offMs > 0) return this.startAt(rtpTimestamp, arrivalMs);
    }
    this.jumped = undefined;
    const localMs = this.toLocal(this.unwrap(rtpTimestamp));
    this.skewMs = localMs - arrivalMs;
    return localMs;
  }

  /** The stream (re)starts at this packet, placed by its arrival until a sender report places it. */
  private startAt(rtpTimestamp: number, arrivalMs: number): number {
    this.jumped = undefined;
    this.lastRtp = undefined;
    this.senderAnchor = undefined;
    const mediaMs = this.unwrap(rtpTimestamp);
    this.arrivalAnchor = arrivalMs - mediaMs;
    this.skewMs = 0;
    return arrivalMs;
  }

  /** Whether a packet off the timeline is the last of enough in a row that agree among themselves. */
  private confirmsJump(skewMs: number): boolean {
    if (this.jumped && Math.abs(skewMs - this.jumped.skewMs) <= JUMP_MS) this.jumped.count++;
    else this.jumped = { count: 1, skewMs };
    return this.jumped.count >= JUMP_CONFIRMATIONS;
  }

  /**
   * Where an RTP timestamp near the latest packet lands on the local clock now, without moving
   * anything; undefined before the first packet.
   */
  localTimeOf(rtpTimestamp: number): number | undefined {
    if (this.lastRtp === undefined) return undefined;
    return this.toLocal(this.mediaMsNear(rtpTimestamp));
  }

  /** A sender report for this stream: from now on the sender's clock places its frames. */
  onSenderReport(report: SenderClock, senderToLocalMs: number): void {
    if (this.lastRtp === undefined) return;
    this.senderAnchor = report.ntpMs + senderToLocalMs - this.mediaMsNear(report.rtpTimestamp);
  }

  /** Unwraps one timestamp and returns it in milliseconds on the stream's own scale. */
  private unwrap(rtpTimestamp: number): number {
    if (this.lastRtp === undefined) this.extended = rtpTimestamp;
    else this.extended += wrapDelta(rtpTimestamp, this.lastRtp);
    this.lastRtp = rtpTimestamp;
    return (this.extended / this.clockRate) * 1000;
  }

  /** A timestamp within 2^31 of the latest one, on the unwrapped scale (ms). */
  private mediaMsNear(rtpTimestamp: number): number {
    return ((this.extended + wrapDelta(rtpTimestamp, this.lastRtp!)) / this.clockRate) * 1000;
  }

  private toLocal(mediaMs: number): number {
    return (this.senderAnchor ?? this.arrivalAnchor ?? 0) + mediaMs;
  }
}

/** Signed distance from `from` to `to` in 32-bit RTP timestamp arithmetic. */
function wrapDelta(to: number, from: number): number {
  return ((to - from + 0x80000000) >>> 0) - 0x80000000;
}

/**
 * A report that disagrees with a stream's current placement by more than this comes from a
 * different clock (a new sender behind the same pad): the timeline starts again from it.
 */
const NEW_SENDER_MS = 1000;

/**
 * The sender's wall clock on the local clock: one offset shared by every stream of a recording.
 * It is taken from the first report applied, chosen so that stream does not move at all; the
 * other streams then move onto the sender's clock by their arrival skew, which is exactly the
 * error the arrival anchors made.
 */
export class SenderTimeline {
  private offsetMs: number | undefined;

  /**
   * Places a stream by a sender report it carries. Returns false when the clock has seen no packet
   * yet (the report is then to be applied again later).
   */
  apply(clock: RtpClock, report: SenderClock): boolean {
    const current = clock.localTimeOf(report.rtpTimestamp);
    if (current === undefined) return false;
    if (this.offsetMs === undefined || Math.abs(report.ntpMs + this.offsetMs - current) > NEW_SENDER_MS) {
      this.offsetMs = current - report.ntpMs;
    }
    clock.onSenderReport(report, this.offsetMs);
    return true;
  }

  /**
   * A local time back on the sender's wall clock (NTP, in ms), once a report placed it; what a
   * stream made from this sender's media (a transcoding) reports as its own sender clock, so it
   * stays in step with the sender's other streams wherever they meet again.
   */
  senderTimeOf(localMs: number): number | undefined {
    return this.offsetMs === undefined ? undefined : localMs - this.offsetMs;
  }
}
