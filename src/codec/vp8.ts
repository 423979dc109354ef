/**
 * VP8 over RTP (RFC 7741): the payload descriptor, key frame detection, the picture size of key
 * frames (RFC 6386 §9.1), and the packetizer.
 *
 *      0 1 2 3 4 5 6 7
 *     +-+-+-+-+-+-+-+-+
 *     |X|R|N|S|R| PID | (REQUIRED)
 *     +-+-+-+-+-+-+-+-+
 * X:  |I|L|T|K| RSV   | (OPTIONAL)
 *     +-+-+-+-+-+-+-+-+
 * I:  |M| PictureID   | (OPTIONAL, 7 or 15 bits)
 * L:  |   TL0PICIDX   | (OPTIONAL)
 * T/K:|TID|Y| KEYIDX  | (OPTIONAL)
 */
import { descriptorFormat, type PayloadFormat } from './frame.js';

/** Length of the payload descriptor, or undefined when the payload is too short. */
function descriptorLength(p: Buffer): number | undefined {
  if (p.length < 1) return undefined;
  let offset = 1;
  if (p[0]! & 0x80) {
    if (p.length < 2) return undefined;
    const ext = p[1]!;
    offset = 2;
    if (ext & 0x80) {
      if (p.length <= offset) return undefined;
      offset += p[offset]! & 0x80 ? 2 : 1;
    }
    if (ext & 0x40) offset += 1;
    if (ext & 0x30) offset += 1;
  }
  return offset < p.length ? offset : undefined;
}

export const vp8Format: PayloadFormat = descriptorFormat({
  descriptorLength,
  startsKeyframe(first) {
    const startOfPartition0 = (first[0]! & 0x10) !== 0 && (first[0]! & 0x07) === 0;
    const offset = descriptorLength(first);
    // The frame tag's lowest bit is 0 for key frames.
    return startOfPartition0 && offset !== undefined && (first[offset]! & 0x01) === 0;
  },
  dimensions: vp8Dimensions,
});

/** Width and height of a VP8 key frame (start code 9d 01 2a after the 3-byte frame tag). */
export function vp8Dimensions(frame: Buffer): { width: number; height: number } | undefined {
  if (frame.length < 10 || (frame[0]! & 0x01) !== 0) return undefined;
  if (frame[3] !== 0x9d || frame[4] !== 0x01 || frame[5] !== 0x2a) return undefined;
  return { width: frame.readUInt16LE(6) & 0x3fff, height: frame.readUInt16LE(8) & 0x3fff };
}

/**
 * Splits a VP8 frame into RTP payloads of at most `maxPayload` bytes, each with a descriptor
 * carrying a 15-bit PictureID (receivers use it to detect lost pictures).
 */
export function packetizeVp8(frame: Buffer, pictureId: number, maxPayload: number): Buffer[] {
  const header = 4;
  const room = maxPayload - header;
  const out: Buffer[] = [];
  for (let offset = 0; offset < frame.length || offset === 0; offset += room) {
    const chunk = frame.subarray(offset, offset + room);
    const descriptor = Buffer.from([0x80 | (offset === 0 ? 0x10 : 0), 0x80, 0x80 | ((pictureId >> 8) & 0x7f), pictureId & 0xff]);
    out.push(Buffer.concat([descriptor, chunk]));
    if (frame.length === 0) break;
  }
  return out;
}
