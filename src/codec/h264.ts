/**
 * H.264 over RTP (RFC 6184, packetization mode 1): single NAL unit packets, STAP-A and FU-A into
 * Annex B access units and back; parameter sets and the picture size from the SPS (H.264 §7.3.2.1).
 */
import { BitReader } from './bit-reader.js';
import type { PayloadFormat } from './frame.js';

const START_CODE = Buffer.from([0, 0, 0, 1]);
export const NAL_IDR = 5;
export const NAL_SPS = 7;
export const NAL_PPS = 8;
const STAP_A = 24;
const FU_A = 28;

export const h264Format: PayloadFormat = {
  unwrap(p) {
    if (p.length < 2) return undefined;
    const type = p[0]! & 0x1f;
    if (type >= 1 && type <= 23) return Buffer.concat([START_CODE, p]);
    if (type === STAP_A) {
      const parts: Buffer[] = [];
      let offset = 1;
      while (offset + 2 <= p.length) {
        const size = p.readUInt16BE(offset);
        offset += 2;
        if (size === 0 || offset + size > p.length) return undefined;
        parts.push(START_CODE, p.subarray(offset, offset + size));
        offset += size;
      }
      return Buffer.concat(parts);
    }
    if (type === FU_A) {
      const start = (p[1]! & 0x80) !== 0;
      if (!start) return p.subarray(2);
      const header = (p[0]! & 0xe0) | (p[1]! & 0x1f);
      return Buffer.concat([START_CODE, Buffer.from([header]), p.subarray(2)]);
    }
    return undefined;
  },
  isKeyframe(payloads) {
    const first = payloads[0];
    if (!first || (first[0]! & 0x1f) === FU_A && (first[1]! & 0x80) === 0) return false; // joined mid-NAL
    return payloads.some((p) => nalTypesOfPayload(p).includes(NAL_IDR));
  },
  join: (parts) => Buffer.concat(parts),
  dimensions(au) {
    const sps = splitAnnexB(au).find((n) => (n[0]! & 0x1f) === NAL_SPS);
    return sps ? spsDimensions(sps) : undefined;
  },
};

function nalTypesOfPayload(p: Buffer): number[] {
  const type = p[0]! & 0x1f;
  if (type === FU_A) return (p[1]! & 0x80) !== 0 ? [p[1]! & 0x1f] : [];
  if (type !== STAP_A) return [type];
  const types: number[] = [];
  for (let offset = 1; offset + 2 < p.length; offset += 2 + p.readUInt16BE(offset)) types.push(p[offset + 2]! & 0x1f);
  return types;
}

/** The NAL units of an Annex B byte stream (3- or 4-byte start codes), without start codes. */
export function splitAnnexB(data: Buffer): Buffer[] {
  const starts: { at: number; code: number }[] = [];
  for (let i = 0; i + 2 < data.length; i++) {
    if (data[i] === 0 && data[i + 1] === 0) {
      if (data[i + 2] === 1) {
        starts.push({ at: i, code: 3 });
        i += 2;
      } else if (data[i + 2] === 0 && data[i + 3] === 1) {
        starts.push({ at: i, code: 4 });
        i += 3;
      }
    }
  }
  return starts
    .map((s, k) => data.subarray(s.at + s.code, k + 1 < starts.length ? starts[k + 1]!.at : data.length))
    .filter((n) => n.length > 0);
}

/** Length-prefixed NAL units (MP4/MKV "AVCC" samples) to a list of NAL units. */
export function splitLengthPrefixed(data: Buffer, lengthSize: number): Buffer[] {
  const out: Buffer[] = [];
  let offset = 0;
  while (offset + lengthSize <= data.length) {
    const size = data.readUIntBE(offset, lengthSize);
    offset += lengthSize;
    if (size === 0 || offset + size > data.length) break;
    out.push(data.subarray(offset, offset + size));
    offset += size;
  }
  return out;
}

export function joinAnnexB(nals: readonly Buffer[]): Buffer {
  return Buffer.concat(nals.flatMap((n) => [START_CODE, n]));
}

/** Parameter sets and NAL length size from an avcC record (ISO 14496-15 §5.3.3.1). */
export function parseAvcC(record: Buffer): { lengthSize: number; sps: Buffer[]; pps: Buffer[] } | undefined {
  if (record.length < 7 || record[0] !== 1) return undefined;
  const lengthSize = (record[4]! & 0x03) + 1;
  const sps: Buffer[] = [];
  const pps: Buffer[] = [];
  let offset = 6;
  const read = (count: number, into: Buffer[]): boolean => {
    for (let k = 0; k < count; k++) {
      if (offset + 2 > record.length) return false;
      const size = record.readUInt16BE(offset);
      offset += 2;
      if (offset + size > record.length) return false;
      into.push(record.subarray(offset, offset + size));
      offset += size;
    }
    return true;
  };
  if (!read(record[5]! & 0x1f, sps)) return undefined;
  if (offset >= record.length || !read(record[offset++]!, pps)) return undefined;
  return { lengthSize, sps, pps };
}

/** Splits an access unit into RTP payloads: small NAL units whole, large ones as FU-A fragments. */
export function packetizeH264(nals: readonly Buffer[], maxPayload: number): Buffer[] {
  const out: Buffer[] = [];
  for (const nal of nals) {
    if (nal.length <= maxPayload) {
      out.push(nal);
      continue;
    }
    const indicator = (nal[0]! & 0xe0) | FU_A;
    const type = nal[0]! & 0x1f;
    const room = maxPayload - 2;
    for (let offset = 1; offset < nal.length; offset += room) {
      const start = offset === 1 ? 0x80 : 0;
      const end = offset + room >= nal.length ? 0x40 : 0;
      out.push(Buffer.concat([Buffer.from([indicator, start | end | type]), nal.subarray(offset, offset + room)]));
    }
  }
  return out;
}

/** Reads Exp-Golomb coded fields from a NAL unit's RBSP (emulation prevention bytes removed). */
class RbspReader extends BitReader {
  constructor(nal: Buffer) {
    const bytes: number[] = [];
    for (let i = 0; i < nal.length; i++) {
      if (i >= 2 && nal[i] === 3 && nal[i - 1] === 0 && nal[i - 2] === 0) continue;
      bytes.push(nal[i]!);
    }
    super(Buffer.from(bytes));
  }
  ue(): number {
    let zeros = 0;
    while (this.read(1) === 0) if (++zeros > 31) throw new RangeError('bad Exp-Golomb code');
    return 2 ** zeros - 1 + this.read(zeros);
  }
  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -k / 2;
  }
}

const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Picture size (after cropping) from a sequence parameter set NAL unit. */
export function spsDimensions(sps: Buffer): { width: number; height: number } | undefined {
  try {
    const r = new RbspReader(sps);
    r.read(8); // NAL header
    const profile = r.read(8);
    r.read(16); // constraint flags, level
    r.ue(); // seq_parameter_set_id
    let chromaFormat = 1;
    if (HIGH_PROFILES.has(profile)) {
      chromaFormat = r.ue();
      if (chromaFormat === 3) r.read(1);
      r.ue(); // bit_depth_luma
      r.ue(); // bit_depth_chroma
      r.read(1);
      if (r.read(1)) {
        for (let i = 0; i < (chromaFormat !== 3 ? 8 : 12); i++) {
          if (!r.read(1)) continue;
          let last = 8;
          let next = 8;
          for (let j = 0; j < (i < 6 ? 16 : 64) && next !== 0; j++) {
            next = (last + r.se() + 256) % 256;
            last = next === 0 ? last : next;
          }
        }
      }
    }
    r.ue(); // log2_max_frame_num
    const pocType = r.ue();
    if (pocType === 0) r.ue();
    else if (pocType === 1) {
      r.read(1);
      r.se();
      r.se();
      const cycle = r.ue();
      for (let i = 0; i < cycle; i++) r.se();
    }
    r.ue(); // max_num_ref_frames
    r.read(1);
    const widthMbs = r.ue() + 1;
    const heightMapUnits = r.ue() + 1;
    const frameMbsOnly = r.read(1);
    if (!frameMbsOnly) r.read(1);
    r.read(1);
    let [left, right, top, bottom] = [0, 0, 0, 0];
    if (r.read(1)) [left, right, top, bottom] = [r.ue(), r.ue(), r.ue(), r.ue()];
    const cropX = chromaFormat === 0 || chromaFormat === 3 ? 1 : 2;
    const cropY = (chromaFormat === 1 ? 2 : 1) * (2 - frameMbsOnly);
    return {
      width: widthMbs * 16 - cropX * (left + right),
      height: (2 - frameMbsOnly) * heightMapUnits * 16 - cropY * (top + bottom),
    };
  } catch {
    return undefined; // truncated SPS: size unknown
  }
}
