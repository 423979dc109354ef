/**
 * VP9 over RTP (RFC 9628): the payload descriptor, key frame detection, the picture size from the
 * uncompressed header of key frames (VP9 bitstream spec §6.2), and the packetizer.
 *
 *       0 1 2 3 4 5 6 7
 *      +-+-+-+-+-+-+-+-+
 *      |I|P|L|F|B|E|V|Z| (REQUIRED)
 *      +-+-+-+-+-+-+-+-+
 * I:   |M| PICTURE ID  | (7 or 15 bits)
 * L:   | TID |U| SID |D| (+ TL0PICIDX in non-flexible mode)
 * P,F: | P_DIFF      |N| (up to 3 times)
 * V:   | SS            | scalability structure
 */
import { BitReader } from './bit-reader.js';
import { descriptorFormat, type PayloadFormat } from './frame.js';

function descriptorLength(p: Buffer): number | undefined {
  if (p.length < 1) return undefined;
  const b = p[0]!;
  const i = (b & 0x80) !== 0;
  const pBit = (b & 0x40) !== 0;
  const l = (b & 0x20) !== 0;
  const f = (b & 0x10) !== 0;
  const v = (b & 0x02) !== 0;
  let offset = 1;
  if (i) {
    if (p.length <= offset) return undefined;
    offset += p[offset]! & 0x80 ? 2 : 1;
  }
  if (l) offset += f ? 1 : 2;
  if (f && pBit) {
    for (let n = 0; n < 3; n++) {
      if (p.length <= offset) return undefined;
      const more = (p[offset]! & 0x01) !== 0;
      offset += 1;
      if (!more) break;
    }
  }
  if (v) {
    if (p.length <= offset) return undefined;
    const ss = p[offset]!;
    const spatialLayers = (ss >> 5) + 1;
    const y = (ss & 0x10) !== 0;
    const g = (ss & 0x08) !== 0;
    offset += 1;
    if (y) offset += 4 * spatialLayers;
    if (g) {
      if (p.length <= offset) return undefined;
      const groups = p[offset]!;
      offset += 1;
      for (let n = 0; n < groups; n++) {
        if (p.length <= offset) return undefined;
        const refs = (p[offset]! >> 2) & 0x03;
        offset += 1 + refs;
      }
    }
  }
  return offset < p.length ? offset : undefined;
}

export const vp9Format: PayloadFormat = descriptorFormat({
  descriptorLength,
  startsKeyframe(first) {
    const b = first[0]!;
    return (b & 0x40) === 0 && (b & 0x08) !== 0; // not inter-picture predicted, start of a frame
  },
  dimensions: vp9Dimensions,
});

/** Width and height from the uncompressed header of a VP9 key frame. */
export function vp9Dimensions(frame: Buffer): { width: number; height: number } | undefined {
  try {
    const r = new BitReader(frame);
    if (r.read(2) !== 2) return undefined; // frame_marker
    const profile = r.read(1) + 2 * r.read(1);
    if (profile === 3) r.read(1);
    if (r.read(1)) return undefined; // show_existing_frame
    if (r.read(1) !== 0) return undefined; // frame_type: 0 = key frame
    r.read(2); // show_frame, error_resilient_mode
    if (r.read(8) !== 0x49 || r.read(8) !== 0x83 || r.read(8) !== 0x42) return undefined;
    if (profile >= 2) r.read(1); // ten_or_twelve_bit
    const colorSpace = r.read(3);
    if (colorSpace !== 7) {
      r.read(1); // color_range
      if (profile === 1 || profile === 3) r.read(3);
    } else if (profile === 1 || profile === 3) {
      r.read(1);
    }
    return { width: r.read(16) + 1, height: r.read(16) + 1 };
  } catch {
    return undefined; // truncated header: size unknown, the caller keeps the last one
  }
}

/**
 * Splits a VP9 frame into RTP payloads (non-flexible mode, one spatial layer). Key frames carry
 * the scalability structure with the picture size in their first packet, as Chrome expects.
 */
export function packetizeVp9(
  frame: Buffer,
  keyframe: boolean,
  pictureId: number,
  maxPayload: number,
  size: { width: number; height: number } | undefined,
): Buffer[] {
  const out: Buffer[] = [];
  const withSs = keyframe && size !== undefined;
  let offset = 0;
  do {
    const first = offset === 0;
    const ss = first && withSs ? Buffer.from([0x10, size.width >> 8, size.width & 0xff, size.height >> 8, size.height & 0xff]) : Buffer.alloc(0);
    const room = maxPayload - 3 - ss.length;
    const chunk = frame.subarray(offset, offset + room);
    offset += chunk.length;
    const last = offset >= frame.length;
    const flags = 0x80 | (keyframe ? 0 : 0x40) | (first ? 0x08 : 0) | (last ? 0x04 : 0) | (ss.length > 0 ? 0x02 : 0);
    out.push(Buffer.concat([Buffer.from([flags, 0x80 | ((pictureId >> 8) & 0x7f), pictureId & 0xff]), ss, chunk]));
  } while (offset < frame.length);
  return out;
}
