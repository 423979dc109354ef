/**
 * Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01
 * §3.1): RTCP RTPFB with FMT 15, by which a receiver reports, for each transport-wide sequence
 * number it saw in a range, whether the packet came and when it arrived (250 µs resolution).
 *
 *   base sequence number | packet status count
 *   reference time (24 bits, 64 ms units) | feedback packet count
 *   packet chunks (16 bits each), then receive deltas (1 byte, or 2 bytes signed), then padding
 *
 * A chunk is either a run (bit 15 = 0: a 2-bit status repeated up to 8191 times) or a status
 * vector (bit 15 = 1: fourteen 1-bit or seven 2-bit statuses). Status 0: not received; 1: received,
 * a small delta (one byte); 2: received, a large or negative delta (two bytes).
 */

export const TRANSPORT_CC_EXTENSION = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';
export const TRANSPORT_FEEDBACK_FORMAT = 15;
/** RTCP's transport-layer feedback packet type (RFC 4585), as in rtcp.ts (which imports this file). */
const RTPFB = 205;

/** The most statuses one feedback may announce; a receiver reports ~100 ms of packets at a time. */
const MAX_STATUS_COUNT = 8192;
const DELTA_UNIT_MS = 0.25;

export interface TransportFeedback {
  senderSsrc: number;
  baseSequence: number;
  /** The feedback's own counter (a gap means a feedback was lost). */
  feedbackCount: number;
  /**
   * Arrival time of the packet `baseSequence + i`, in ms on the receiver's clock (the reference
   * time plus the deltas); NaN for a packet that did not arrive.
   */
  arrivalMs: Float64Array;
}

/** Reads the body of an RTPFB FMT 15 packet (`body` is just after the 4-byte RTCP header). */
export function parseTransportFeedback(buf: Buffer, body: number, end: number): TransportFeedback | undefined {
  if (body + 16 > end) return undefined;
  const senderSsrc = buf.readUInt32BE(body);
  const baseSequence = buf.readUInt16BE(body + 8);
  const statusCount = buf.readUInt16BE(body + 10);
  if (statusCount === 0 || statusCount > MAX_STATUS_COUNT) return undefined;
  const reference = buf.readIntBE(body + 12, 3);
  const feedbackCount = buf[body + 15]!;
  const statuses = new Uint8Array(statusCount);
  let p = body + 16;
  let filled = 0;
  while (filled < statusCount) {
    if (p + 2 > end) return undefined;
    const chunk = buf.readUInt16BE(p);
    p += 2;
    if ((chunk & 0x8000) === 0) {
      const status = (chunk >> 13) & 0x03;
      const run = Math.min(chunk & 0x1fff, statusCount - filled);
      statuses.fill(status, filled, filled + run);
      filled += run;
    } else if ((chunk & 0x4000) === 0) {
      for (let bit = 13; bit >= 0 && filled < statusCount; bit--) statuses[filled++] = (chunk >> bit) & 0x01;
    } else {
      for (let shift = 12; shift >= 0 && filled < statusCount; shift -= 2) statuses[filled++] = (chunk >> shift) & 0x03;
    }
  }
  const arrivalMs = new Float64Array(statusCount).fill(Number.NaN);
  let time = reference * 64;
  for (let i = 0; i < statusCount; i++) {
    const status = statuses[i]!;
    if (status === 0) continue;
    if (status === 1) {
      if (p + 1 > end) return undefined;
      time += buf[p]! * DELTA_UNIT_MS;
      p += 1;
    } else if (status === 2) {
      if (p + 2 > end) return undefined;
      time += buf.readInt16BE(p) * DELTA_UNIT_MS;
      p += 2;
    } else return undefined;
    arrivalMs[i] = time;
  }
  return { senderSsrc, baseSequence, feedbackCount, arrivalMs };
}

/**
 * Builds one feedback packet for packets `baseSequence + i`, each arrived at `arrivalMs[i]` (ms on
 * our clock) or NaN. Status vectors of seven 2-bit statuses throughout: simple, and at most a few
 * bytes longer than the best packing. Deltas beyond the 16-bit range are clamped.
 */
export function buildTransportFeedback(senderSsrc: number, mediaSsrc: number, baseSequence: number, feedbackCount: number, arrivalMs: ArrayLike<number>): Buffer {
  const count = arrivalMs.length;
  const first = Array.prototype.findIndex.call(arrivalMs, (t: number) => !Number.isNaN(t));
  const reference = first < 0 ? 0 : Math.floor(arrivalMs[first]! / 64);
  const statuses = new Uint8Array(count);
  const deltas: number[] = [];
  let previous = reference * 64;
  for (let i = 0; i < count; i++) {
    const t = arrivalMs[i]!;
    if (Number.isNaN(t)) continue;
    const ticks = Math.max(-32768, Math.min(32767, Math.round((t - previous) / DELTA_UNIT_MS)));
    statuses[i] = ticks >= 0 && ticks <= 255 ? 1 : 2;
    deltas.push(ticks);
    previous += ticks * DELTA_UNIT_MS;
  }
  const chunks = Math.ceil(count / 7);
  const deltaBytes = deltas.reduce((sum, ticks) => sum + (ticks >= 0 && ticks <= 255 ? 1 : 2), 0);
  const unpadded = 4 + 16 + chunks * 2 + deltaBytes;
  const buf = Buffer.alloc(Math.ceil(unpadded / 4) * 4);
  buf[0] = 0x80 | TRANSPORT_FEEDBACK_FORMAT;
  buf[1] = RTPFB;
  buf.writeUInt16BE(buf.length / 4 - 1, 2);
  buf.writeUInt32BE(senderSsrc >>> 0, 4);
  buf.writeUInt32BE(mediaSsrc >>> 0, 8);
  buf.writeUInt16BE(baseSequence & 0xffff, 12);
  buf.writeUInt16BE(count, 14);
  buf.writeIntBE(((reference + 0x800000) % 0x1000000) - 0x800000, 16, 3);
  buf[19] = feedbackCount & 0xff;
  let p = 20;
  for (let c = 0; c < chunks; c++, p += 2) {
    let chunk = 0xc000;
    for (let k = 0; k < 7; k++) chunk |= (statuses[c * 7 + k] ?? 0) << (12 - 2 * k);
    buf.writeUInt16BE(chunk, p);
  }
  for (const ticks of deltas) {
    if (ticks >= 0 && ticks <= 255) buf[p++] = ticks;
    else {
      buf.writeInt16BE(ticks, p);
      p += 2;
    }
  }
  return buf;
}
