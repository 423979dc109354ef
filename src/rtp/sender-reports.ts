/**
 * The sender reports of an RTP session's outgoing streams (RFC 3550 §6.4.1), and the round-trip
 * time they give back: a report block about one of our streams names the last report it saw
 * (LSR) and how long the peer held it (DLSR).
 */
import { buildSenderReport, toNtp, type ReportBlock } from './rtcp.js';
import type { SendStream } from './send-stream.js';

export class SenderReports {
  /** Smoothed round trip to the peer, ms (100 until a report block says). */
  rttMs = 100;
  private readonly lastSent = new Map<number, number>();
  private readonly lastSentAt = new Map<number, number>();

  /** A sender report for `stream` at `now`, carrying `blocks` about what we receive. */
  build(stream: SendStream, now: number, blocks: ReportBlock[]): Buffer {
    const ntp = toNtp(now);
    // The RTP time of "now", extrapolated from the last packet sent.
    const rtpNow = (stream.lastTimestamp + Math.round(((now - stream.lastWallMs) * stream.clockRate) / 1000)) >>> 0;
    this.lastSent.set(stream.ssrc, (((ntp.ntpSeconds & 0xffff) << 16) | (ntp.ntpFraction >>> 16)) >>> 0);
    this.lastSentAt.set(stream.ssrc, now);
    return buildSenderReport(stream.ssrc, { ...ntp, rtpTimestamp: rtpNow, packetCount: stream.packetCount, octetCount: stream.octetCount }, blocks);
  }

  /** Updates the round trip from a report block about one of our streams. */
  onReportBlock(block: ReportBlock, now: number): void {
    const sentAt = this.lastSentAt.get(block.ssrc);
    if (sentAt === undefined || block.lastSr === 0 || block.lastSr !== this.lastSent.get(block.ssrc)) return;
    const rtt = now - sentAt - (block.delaySinceLastSr / 65536) * 1000;
    if (rtt >= 0 && rtt < 10_000) this.rttMs = 0.8 * this.rttMs + 0.2 * rtt;
  }
}
