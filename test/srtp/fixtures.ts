/** Packet builders and keys shared by the SRTP tests. */
import { SrtpContext, SrtpProfile, type SrtpContextOptions } from '../../src/transport/srtp/index.js';

/** Bytes from hex, ignoring whitespace (vectors are quoted as the RFCs print them). */
export function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

export interface RtpFields {
  seq: number;
  ssrc: number;
  timestamp?: number;
  payloadType?: number;
  payload?: Uint8Array;
  csrcs?: number[];
  /** One-byte-header extension payload (a multiple of 4 bytes). */
  extension?: Uint8Array;
}

/** A plain RTP packet. */
export function rtp(f: RtpFields): Buffer {
  const csrcs = f.csrcs ?? [];
  const ext = f.extension;
  const payload = f.payload ?? Buffer.alloc(160, 0xab);
  const header = Buffer.alloc(12 + 4 * csrcs.length + (ext ? 4 + ext.length : 0));
  header[0] = 0x80 | (ext ? 0x10 : 0) | csrcs.length;
  header[1] = f.payloadType ?? 96;
  header.writeUInt16BE(f.seq & 0xffff, 2);
  header.writeUInt32BE((f.timestamp ?? f.seq * 3000) >>> 0, 4);
  header.writeUInt32BE(f.ssrc >>> 0, 8);
  csrcs.forEach((c, i) => header.writeUInt32BE(c >>> 0, 12 + 4 * i));
  if (ext) {
    const at = 12 + 4 * csrcs.length;
    header.writeUInt16BE(0xbede, at);
    header.writeUInt16BE(ext.length / 4, at + 2);
    header.set(ext, at + 4);
  }
  return Buffer.concat([header, payload]);
}

/** A plain RTCP receiver report (PT 201) from `ssrc`, padded out with `extra` bytes of report. */
export function rtcp(ssrc: number, extra = 24): Buffer {
  const buf = Buffer.alloc(8 + extra, 0x5a);
  buf[0] = 0x81;
  buf[1] = 201;
  buf.writeUInt16BE(buf.length / 4 - 1, 2);
  buf.writeUInt32BE(ssrc >>> 0, 4);
  return buf;
}

/** A buffer holding `packet` with room for `spare` more bytes. */
export function withRoom(packet: Uint8Array, spare = 32): Buffer {
  const buf = Buffer.alloc(packet.length + spare);
  buf.set(packet);
  return buf;
}

/** Deterministic master keys for a profile (different `seed`, different keys). */
export function masterKeys(profile: number, seed = 1): { masterKey: Buffer; masterSalt: Buffer } {
  const gcm = profile === SrtpProfile.AEAD_AES_128_GCM || profile === SrtpProfile.AEAD_AES_256_GCM;
  const keyLength = profile === SrtpProfile.AEAD_AES_256_GCM ? 32 : 16;
  const masterKey = Buffer.alloc(keyLength);
  const masterSalt = Buffer.alloc(gcm ? 12 : 14);
  for (let i = 0; i < masterKey.length; i++) masterKey[i] = (seed * 31 + i * 7) & 0xff;
  for (let i = 0; i < masterSalt.length; i++) masterSalt[i] = (seed * 17 + i * 13 + 5) & 0xff;
  return { masterKey, masterSalt };
}

/** A sender and a receiver context on the same keys. */
export function pair(profile: number, options: Partial<SrtpContextOptions> = {}): { tx: SrtpContext; rx: SrtpContext } {
  const keys = masterKeys(profile);
  const make = (): SrtpContext => new SrtpContext({ profile, ...keys, ...options } as SrtpContextOptions);
  return { tx: make(), rx: make() };
}

export const ALL_PROFILES = [
  SrtpProfile.AES128_CM_HMAC_SHA1_80,
  SrtpProfile.AES128_CM_HMAC_SHA1_32,
  SrtpProfile.AEAD_AES_128_GCM,
  SrtpProfile.AEAD_AES_256_GCM,
] as const;

export function profileName(profile: number): string {
  return Object.entries(SrtpProfile).find(([, v]) => v === profile)?.[0] ?? String(profile);
}
