/**
 * Reading and rewriting RTP headers in place, on raw buffers (RFC 3550 §5.1). The forwarding path
 * never builds packet objects: it reads the few fields it needs and rewrites SSRC, sequence
 * number, timestamp and payload type where they stand.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                           timestamp                           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           synchronization source (SSRC) identifier            |
 *   +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *   |            contributing source (CSRC) identifiers             |
 *   |                             ....                              |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |      defined by profile       |            length             |  (if X)
 *   |                        header extension                      |
 */

export const RTP_FIXED_HEADER = 12;

/**
 * True when the buffer holds a well-formed RTP packet: version 2, and the CSRC list, header
 * extension and padding it announces all fit in it (RFC 3550 §A.1: a padding count of zero, or
 * one reaching into the header, marks a packet to drop).
 */
export function isValidRtp(buf: Buffer, length = buf.length): boolean {
  if (length < RTP_FIXED_HEADER || buf[0]! >> 6 !== 2) return false;
  const offset = payloadOffset(buf, length);
  if (offset > length) return false;
  if (!hasPadding(buf)) return true;
  const padding = buf[length - 1]!;
  return padding > 0 && offset + padding <= length;
}

export function payloadType(buf: Buffer): number {
  return buf[1]! & 0x7f;
}

export function marker(buf: Buffer): boolean {
  return (buf[1]! & 0x80) !== 0;
}

export function sequenceNumber(buf: Buffer): number {
  return buf.readUInt16BE(2);
}

export function timestamp(buf: Buffer): number {
  return buf.readUInt32BE(4);
}

export function ssrc(buf: Buffer): number {
  return buf.readUInt32BE(8);
}

export function hasPadding(buf: Buffer): boolean {
  return (buf[0]! & 0x20) !== 0;
}

/** Offset of the payload: after the CSRC list and the header extension, if any. */
export function payloadOffset(buf: Buffer, length = buf.length): number {
  let offset = RTP_FIXED_HEADER + (buf[0]! & 0x0f) * 4;
  if (buf[0]! & 0x10) {
    if (offset + 4 > length) return length + 1;
    offset += 4 + buf.readUInt16BE(offset + 2) * 4;
  }
  return offset;
}

/** Payload length, without padding. Returns -1 for a malformed packet. */
export function payloadLength(buf: Buffer, length = buf.length): number {
  const offset = payloadOffset(buf, length);
  const padding = hasPadding(buf) ? buf[length - 1]! : 0;
  const size = length - offset - padding;
  return offset > length || size < 0 ? -1 : size;
}

/** Rewrites the identifying fields of a packet in place. */
export function rewriteHeader(buf: Buffer, fields: { ssrc: number; sequenceNumber: number; timestamp: number; payloadType: number }): void {
  buf[1] = (buf[1]! & 0x80) | (fields.payloadType & 0x7f);
  buf.writeUInt16BE(fields.sequenceNumber & 0xffff, 2);
  buf.writeUInt32BE(fields.timestamp >>> 0, 4);
  buf.writeUInt32BE(fields.ssrc >>> 0, 8);
}

/**
 * Copies a packet into `out` without its CSRC list and header extension (their meaning belongs
 * to the session the packet came from), leaving `room` bytes after the fixed header for
 * extensions of ours. Returns the new length.
 */
export function copyWithoutExtensions(src: Buffer, length: number, out: Buffer, room = 0): number {
  const offset = payloadOffset(src, length);
  src.copy(out, 0, 0, RTP_FIXED_HEADER);
  out[0] = out[0]! & 0xe0; // keep V and P, clear X and CC
  const payload = length - offset;
  src.copy(out, RTP_FIXED_HEADER + room, offset, length);
  return RTP_FIXED_HEADER + room + payload;
}

/** Bytes a header extension block holding one 2-byte element takes (RFC 8285 one-byte form). */
export const SEQUENCE_EXTENSION_BYTES = 8;

/**
 * Writes, right after the fixed header of a packet with no CSRCs, an extension block holding one
 * 16-bit number under `id` (the transport-wide sequence number), and sets the X bit.
 */
export function writeSequenceExtension(out: Buffer, id: number, value: number): void {
  out[0] = out[0]! | 0x10;
  out[RTP_FIXED_HEADER] = 0xbe;
  out[RTP_FIXED_HEADER + 1] = 0xde;
  out.writeUInt16BE(1, RTP_FIXED_HEADER + 2);
  out[RTP_FIXED_HEADER + 4] = (id << 4) | 1;
  out.writeUInt16BE(value & 0xffff, RTP_FIXED_HEADER + 5);
  out[RTP_FIXED_HEADER + 7] = 0;
}

/**
 * Finds a one-byte (RFC 8285 §4.2) or two-byte (§4.3) header extension element by id and returns
 * [offset, length] of its data, or undefined.
 */
export function findExtension(buf: Buffer, length: number, id: number): [number, number] | undefined {
  if (!(buf[0]! & 0x10)) return undefined;
  const start = RTP_FIXED_HEADER + (buf[0]! & 0x0f) * 4;
  if (start + 4 > length) return undefined;
  const profile = buf.readUInt16BE(start);
  const end = start + 4 + buf.readUInt16BE(start + 2) * 4;
  if (end > length) return undefined;
  let p = start + 4;
  if (profile === 0xbede) {
    while (p < end) {
      const b = buf[p]!;
      if (b === 0) {
        p++;
        continue;
      }
      const elementId = b >> 4;
      const len = (b & 0x0f) + 1;
      if (elementId === 15) return undefined;
      if (elementId === id) return p + 1 + len <= end ? [p + 1, len] : undefined;
      p += 1 + len;
    }
  } else if ((profile & 0xfff0) === 0x1000) {
    while (p + 1 < end) {
      const elementId = buf[p]!;
      if (elementId === 0) {
        p++;
        continue;
      }
      const len = buf[p + 1]!;
      if (elementId === id) return p + 2 + len <= end ? [p + 2, len] : undefined;
      p += 2 + len;
    }
  }
  return undefined;
}

/** Signed distance from sequence number `a` to `b`, in the 16-bit circle. */
export function seqDelta(a: number, b: number): number {
  const d = (b - a) & 0xffff;
  return d >= 0x8000 ? d - 0x10000 : d;
}
