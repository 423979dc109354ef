/**
 * Puts the RTP timestamps of several streams from one sender on a common clock, so their frames
 * can be written side by side in a file.
 *
 * Each stream's timestamps are unwrapped (32-bit) and anchored to the local clock. The anchor is
 * the sender's own clock when an RTCP sender report pairs an RTP timestamp with NTP time (every
 * stream of a sender shares that clock: exact lip sync); until then, and for senders that send
 * none, it
 * is the arrival time of the stream's first packet. That anchor is never moved afterwards: moving
 * it to remove jitter would bunch the frames up where it moves, and players then misjudge the
 * frame rate. On a good network the first packets of a sender's streams arrive within a few
 * milliseconds of their capture, which keeps its streams within a frame of each other.
 */

/** Where a sender report places an RTP timestamp on the sender's wall clock. */
export interface SenderClock {
  /** NTP time of the report, in milliseconds. */
  readonly ntpMs: number;
  readonly rtpTimestamp: number;
}

export class RtpClock {
  private lastRtp: number | undefined;
  private extended = 0;
  /** Local time (ms) at which extended timestamp 0 would have arrived, from the first packet. */
  private arrivalAnchor: number | undefined;
  /** Sender's NTP time (ms) at extended timestamp 0, from the latest sender report. */
  private senderAnchor: number | undefined;

  constructor(readonly clockRate: number) {}

  /** Unwraps one timestamp and returns it in milliseconds on the stream's own scale. */
  private unwrap(rtpTimestamp: number): number {
    if (this.lastRtp === undefined) this.extended = rtpTimestamp;
    else {
      const delta = ((rtpTimestamp - this.lastRtp + 0x80000000) >>> 0) - 0x80000000;
      this.extended += delta;
    }
    this.lastRtp = rtpTimestamp;
    return (this.extended / this.clockRate) * 1000;
  }

  /** Records a packet's arrival; returns its time on the local clock (ms). */
  onPacket(rtpTimestamp: number, arrivalMs: number): number {
    const mediaMs = this.unwrap(rtpTimestamp);
    this.arrivalAnchor ??= arrivalMs - mediaMs;
    return this.toLocal(mediaMs);
  }

  /** A sender report for this stream: from now on the sender's clock places its frames. */
  onSenderReport(report: SenderClock, senderToLocalMs: number): void {
    if (this.lastRtp === undefined) return;
    const delta = ((report.rtpTimestamp - this.lastRtp + 0x80000000) >>> 0) - 0x80000000;
    const mediaMs = ((this.extended + delta) / this.clockRate) * 1000;
    this.senderAnchor = report.ntpMs + senderToLocalMs - mediaMs;
  }

  private toLocal(mediaMs: number): number {
    return (this.senderAnchor ?? this.arrivalAnchor ?? 0) + mediaMs;
  }
}
