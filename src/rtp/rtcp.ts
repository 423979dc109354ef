/**
 * RTCP, the parts a media server needs: sender and receiver reports (RFC 3550 §6.4), SDES CNAME,
 * BYE, generic NACK (RFC 4585 §6.2.1), PLI (§6.3.1), FIR (RFC 5104 §4.3.1), REMB
 * (draft-alvestrand-rmcat-remb) and transport-wide feedback (`transport-feedback.ts`). Parsing
 * turns a compound packet into plain records; building writes one packet at a time, ready to be
 * concatenated into a compound.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |V=2|P| RC/FMT  |      PT       |             length            |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

import { parseTransportFeedback, TRANSPORT_FEEDBACK_FORMAT, type TransportFeedback } from './transport-feedback.js';

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;
export const RTCP_RTPFB = 205;
export const RTCP_PSFB = 206;

export interface ReportBlock {
  ssrc: number;
  /** Fraction lost since the last report, 0..255 (x/256). */
  fractionLost: number;
  /** Cumulative packets lost (24-bit signed). */
  packetsLost: number;
  highestSequence: number;
  jitter: number;
  /** Middle 32 bits of the NTP time of the last SR received from this source. */
  lastSr: number;
  /** Delay since that SR, in 1/65536 s. */
  delaySinceLastSr: number;
}

export type RtcpRecord =
  | { type: 'sr'; ssrc: number; ntpSeconds: number; ntpFraction: number; rtpTimestamp: number; packetCount: number; octetCount: number; reports: ReportBlock[] }
  | { type: 'rr'; ssrc: number; reports: ReportBlock[] }
  | { type: 'nack'; senderSsrc: number; mediaSsrc: number; lost: number[] }
  | { type: 'pli'; senderSsrc: number; mediaSsrc: number }
  | { type: 'fir'; senderSsrc: number; entries: { ssrc: number; sequence: number }[] }
  | { type: 'remb'; senderSsrc: number; bitrate: number; ssrcs: number[] }
  | ({ type: 'twcc' } & TransportFeedback)
  | { type: 'bye'; ssrcs: number[] }
  | { type: 'other'; packetType: number; format: number };

function readReports(buf: Buffer, offset: number, count: number, end: number): ReportBlock[] {
  const reports: ReportBlock[] = [];
  for (let i = 0; i < count && offset + 24 <= end; i++, offset += 24) {
    const lostField = buf.readUInt32BE(offset + 4) & 0xffffff;
    reports.push({
      ssrc: buf.readUInt32BE(offset),
      fractionLost: buf[offset + 4]!,
      packetsLost: lostField & 0x800000 ? lostField - 0x1000000 : lostField,
      highestSequence: buf.readUInt32BE(offset + 8),
      jitter: buf.readUInt32BE(offset + 12),
      lastSr: buf.readUInt32BE(offset + 16),
      delaySinceLastSr: buf.readUInt32BE(offset + 20),
    });
  }
  return reports;
}

/** Splits a compound RTCP packet into records. Malformed tails are ignored (returns what parsed). */
export function parseRtcp(buf: Buffer, length = buf.length): RtcpRecord[] {
  const records: RtcpRecord[] = [];
  let offset = 0;
  while (offset + 4 <= length) {
    const first = buf[offset]!;
    if (first >> 6 !== 2) break;
    const count = first & 0x1f;
    const packetType = buf[offset + 1]!;
    const end = offset + (buf.readUInt16BE(offset + 2) + 1) * 4;
    if (end > length) break;
    const body = offset + 4;
    switch (packetType) {
      case RTCP_SR:
        if (body + 24 <= end) {
          records.push({
            type: 'sr',
            ssrc: buf.readUInt32BE(body),
            ntpSeconds: buf.readUInt32BE(body + 4),
            ntpFraction: buf.readUInt32BE(body + 8),
            rtpTimestamp: buf.readUInt32BE(body + 12),
            packetCount: buf.readUInt32BE(body + 16),
            octetCount: buf.readUInt32BE(body + 20),
            reports: readReports(buf, body + 24, count, end),
          });
        }
        break;
      case RTCP_RR:
        if (body + 4 <= end) records.push({ type: 'rr', ssrc: buf.readUInt32BE(body), reports: readReports(buf, body + 4, count, end) });
        break;
      case RTCP_BYE: {
        const ssrcs: number[] = [];
        for (let i = 0; i < count && body + i * 4 + 4 <= end; i++) ssrcs.push(buf.readUInt32BE(body + i * 4));
        records.push({ type: 'bye', ssrcs });
        break;
      }
      case RTCP_RTPFB:
        if (count === 1 && body + 8 <= end) {
          const lost: number[] = [];
          for (let p = body + 8; p + 4 <= end; p += 4) {
            const pid = buf.readUInt16BE(p);
            const blp = buf.readUInt16BE(p + 2);
            lost.push(pid);
            for (let bit = 0; bit < 16; bit++) if (blp & (1 << bit)) lost.push((pid + bit + 1) & 0xffff);
          }
          records.push({ type: 'nack', senderSsrc: buf.readUInt32BE(body), mediaSsrc: buf.readUInt32BE(body + 4), lost });
        } else if (count === TRANSPORT_FEEDBACK_FORMAT) {
          const feedback = parseTransportFeedback(buf, body, end);
          records.push(feedback ? { type: 'twcc', ...feedback } : { type: 'other', packetType, format: count });
        } else records.push({ type: 'other', packetType, format: count });
        break;
      case RTCP_PSFB:
        if (body + 8 > end) break;
        if (count === 1) {
          records.push({ type: 'pli', senderSsrc: buf.readUInt32BE(body), mediaSsrc: buf.readUInt32BE(body + 4) });
        } else if (count === 4) {
          const entries: { ssrc: number; sequence: number }[] = [];
          for (let p = body + 8; p + 8 <= end; p += 8) entries.push({ ssrc: buf.readUInt32BE(p), sequence: buf[p + 4]! });
          records.push({ type: 'fir', senderSsrc: buf.readUInt32BE(body), entries });
        } else if (count === 15 && body + 16 <= end && buf.toString('latin1', body + 8, body + 12) === 'REMB') {
          const numSsrc = buf[body + 12]!;
          const exponent = buf[body + 13]! >> 2;
          const mantissa = ((buf[body + 13]! & 0x03) << 16) | buf.readUInt16BE(body + 14);
          const ssrcs: number[] = [];
          for (let i = 0; i < numSsrc && body + 16 + i * 4 + 4 <= end; i++) ssrcs.push(buf.readUInt32BE(body + 16 + i * 4));
          records.push({ type: 'remb', senderSsrc: buf.readUInt32BE(body), bitrate: mantissa * 2 ** exponent, ssrcs });
        } else records.push({ type: 'other', packetType, format: count });
        break;
      default:
        records.push({ type: 'other', packetType, format: count });
    }
    offset = end;
  }
  return records;
}

function header(buf: Buffer, count: number, packetType: number): void {
  buf[0] = 0x80 | (count & 0x1f);
  buf[1] = packetType;
  buf.writeUInt16BE(buf.length / 4 - 1, 2);
}

function writeReport(buf: Buffer, offset: number, r: ReportBlock): void {
  buf.writeUInt32BE(r.ssrc >>> 0, offset);
  const lost = Math.max(-0x800000, Math.min(0x7fffff, r.packetsLost)) & 0xffffff;
  buf.writeUInt32BE(((r.fractionLost & 0xff) << 24 | lost) >>> 0, offset + 4);
  buf.writeUInt32BE(r.highestSequence >>> 0, offset + 8);
  buf.writeUInt32BE(r.jitter >>> 0, offset + 12);
  buf.writeUInt32BE(r.lastSr >>> 0, offset + 16);
  buf.writeUInt32BE(r.delaySinceLastSr >>> 0, offset + 20);
}

export function buildReceiverReport(ssrc: number, reports: readonly ReportBlock[]): Buffer {
  const buf = Buffer.alloc(8 + reports.length * 24);
  header(buf, reports.length, RTCP_RR);
  buf.writeUInt32BE(ssrc >>> 0, 4);
  reports.forEach((r, i) => writeReport(buf, 8 + i * 24, r));
  return buf;
}

export function buildSenderReport(
  ssrc: number,
  info: { ntpSeconds: number; ntpFraction: number; rtpTimestamp: number; packetCount: number; octetCount: number },
  reports: readonly ReportBlock[] = [],
): Buffer {
  const buf = Buffer.alloc(28 + reports.length * 24);
  header(buf, reports.length, RTCP_SR);
  buf.writeUInt32BE(ssrc >>> 0, 4);
  buf.writeUInt32BE(info.ntpSeconds >>> 0, 8);
  buf.writeUInt32BE(info.ntpFraction >>> 0, 12);
  buf.writeUInt32BE(info.rtpTimestamp >>> 0, 16);
  buf.writeUInt32BE(info.packetCount >>> 0, 20);
  buf.writeUInt32BE(info.octetCount >>> 0, 24);
  reports.forEach((r, i) => writeReport(buf, 28 + i * 24, r));
  return buf;
}

/** SDES with one CNAME chunk (required in every compound RTCP packet, RFC 3550 §6.1). */
export function buildSdesCname(ssrc: number, cname: string): Buffer {
  const text = Buffer.from(cname, 'utf8').subarray(0, 255);
  const chunk = 4 + 2 + text.length + 1; // ssrc, type+len, text, end item
  const padded = Math.ceil(chunk / 4) * 4;
  const buf = Buffer.alloc(4 + padded);
  header(buf, 1, RTCP_SDES);
  buf.writeUInt32BE(ssrc >>> 0, 4);
  buf[8] = 1; // CNAME
  buf[9] = text.length;
  text.copy(buf, 10);
  return buf;
}

/** Generic NACK for a list of lost sequence numbers, packed as PID + bitmask pairs. */
export function buildNack(senderSsrc: number, mediaSsrc: number, lost: readonly number[]): Buffer {
  const sorted = [...new Set(lost)].sort((a, b) => ((a - lost[0]!) & 0xffff) - ((b - lost[0]!) & 0xffff));
  const pairs: [number, number][] = [];
  for (const seq of sorted) {
    const last = pairs[pairs.length - 1];
    const delta = last ? (seq - last[0]) & 0xffff : 0;
    if (last && delta >= 1 && delta <= 16) last[1] |= 1 << (delta - 1);
    else pairs.push([seq, 0]);
  }
  const buf = Buffer.alloc(12 + pairs.length * 4);
  header(buf, 1, RTCP_RTPFB);
  buf.writeUInt32BE(senderSsrc >>> 0, 4);
  buf.writeUInt32BE(mediaSsrc >>> 0, 8);
  pairs.forEach(([pid, blp], i) => {
    buf.writeUInt16BE(pid, 12 + i * 4);
    buf.writeUInt16BE(blp, 14 + i * 4);
  });
  return buf;
}

export function buildPli(senderSsrc: number, mediaSsrc: number): Buffer {
  const buf = Buffer.alloc(12);
  header(buf, 1, RTCP_PSFB);
  buf.writeUInt32BE(senderSsrc >>> 0, 4);
  buf.writeUInt32BE(mediaSsrc >>> 0, 8);
  return buf;
}

export function buildFir(senderSsrc: number, mediaSsrc: number, sequence: number): Buffer {
  const buf = Buffer.alloc(20);
  header(buf, 4, RTCP_PSFB);
  buf.writeUInt32BE(senderSsrc >>> 0, 4);
  buf.writeUInt32BE(0, 8);
  buf.writeUInt32BE(mediaSsrc >>> 0, 12);
  buf[16] = sequence & 0xff;
  return buf;
}

/** REMB with an 18-bit mantissa and 6-bit exponent. */
export function buildRemb(senderSsrc: number, bitrate: number, ssrcs: readonly number[]): Buffer {
  let mantissa = Math.max(0, Math.round(bitrate));
  let exponent = 0;
  while (mantissa >= 1 << 18) {
    mantissa = Math.floor(mantissa / 2);
    exponent++;
  }
  const buf = Buffer.alloc(20 + ssrcs.length * 4);
  header(buf, 15, RTCP_PSFB);
  buf.writeUInt32BE(senderSsrc >>> 0, 4);
  buf.writeUInt32BE(0, 8);
  buf.write('REMB', 12, 'latin1');
  buf[16] = ssrcs.length;
  buf[17] = (exponent << 2) | (mantissa >> 16);
  buf.writeUInt16BE(mantissa & 0xffff, 18);
  ssrcs.forEach((s, i) => buf.writeUInt32BE(s >>> 0, 20 + i * 4));
  return buf;
}

/** Is this datagram RTCP rather than RTP? (RFC 5761 §4: payload types 192-223 on a muxed port.) */
export function isRtcpPacket(buf: Buffer): boolean {
  const pt = buf[1]!;
  return buf.length >= 8 && pt >= 192 && pt <= 223;
}

const NTP_EPOCH_OFFSET = 2208988800;

/** Wall-clock milliseconds as an NTP timestamp (RFC 3550 §4). */
export function toNtp(ms: number): { ntpSeconds: number; ntpFraction: number } {
  const seconds = Math.floor(ms / 1000);
  return { ntpSeconds: (seconds + NTP_EPOCH_OFFSET) >>> 0, ntpFraction: Math.floor(((ms % 1000) / 1000) * 0x100000000) >>> 0 };
}
