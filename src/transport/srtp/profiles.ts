/**
 * SRTP protection profiles, their parameters, the rejection codes of the native addon, and the
 * split of DTLS-SRTP keying material into master keys.
 */

/**
 * Profiles by their DTLS-SRTP identifiers (RFC 5764 §4.1.2, RFC 7714 §14.2). RFC 6188's AES-256-CM
 * suites are negotiated only with SDES (RFC 4568 `a=crypto`) and have no DTLS-SRTP identifier:
 * theirs are private (native/srtp/src/ks_srtp.h).
 */
export const SrtpProfile = {
  AES128_CM_HMAC_SHA1_80: 0x0001,
  AES128_CM_HMAC_SHA1_32: 0x0002,
  AEAD_AES_128_GCM: 0x0007,
  AEAD_AES_256_GCM: 0x0008,
  AES256_CM_HMAC_SHA1_80: 0xff01,
  AES256_CM_HMAC_SHA1_32: 0xff02,
} as const;
export type SrtpProfile = (typeof SrtpProfile)[keyof typeof SrtpProfile];

export interface ProfileParameters {
  name: keyof typeof SrtpProfile;
  /** Master (and session) key bytes. */
  keyLength: number;
  /** Master (and session) salt bytes. */
  saltLength: number;
  /** Bytes protectRtp adds: the authentication tag. */
  rtpOverhead: number;
  /** Bytes protectRtcp adds: SRTCP index word and tag. */
  rtcpOverhead: number;
  aead: boolean;
}

const PARAMETERS: Record<SrtpProfile, ProfileParameters> = {
  [SrtpProfile.AES128_CM_HMAC_SHA1_80]: { name: 'AES128_CM_HMAC_SHA1_80', keyLength: 16, saltLength: 14, rtpOverhead: 10, rtcpOverhead: 14, aead: false },
  // The _32 profile shortens only the SRTP tag; SRTCP keeps 80 bits (RFC 5764 §4.1.2).
  [SrtpProfile.AES128_CM_HMAC_SHA1_32]: { name: 'AES128_CM_HMAC_SHA1_32', keyLength: 16, saltLength: 14, rtpOverhead: 4, rtcpOverhead: 14, aead: false },
  [SrtpProfile.AES256_CM_HMAC_SHA1_80]: { name: 'AES256_CM_HMAC_SHA1_80', keyLength: 32, saltLength: 14, rtpOverhead: 10, rtcpOverhead: 14, aead: false },
  [SrtpProfile.AES256_CM_HMAC_SHA1_32]: { name: 'AES256_CM_HMAC_SHA1_32', keyLength: 32, saltLength: 14, rtpOverhead: 4, rtcpOverhead: 14, aead: false },
  [SrtpProfile.AEAD_AES_128_GCM]: { name: 'AEAD_AES_128_GCM', keyLength: 16, saltLength: 12, rtpOverhead: 16, rtcpOverhead: 20, aead: true },
  [SrtpProfile.AEAD_AES_256_GCM]: { name: 'AEAD_AES_256_GCM', keyLength: 32, saltLength: 12, rtpOverhead: 16, rtcpOverhead: 20, aead: true },
};

/** The largest number of bytes protection adds to any packet, whatever the profile. */
export const SRTP_MAX_OVERHEAD = 20;

export function isSrtpProfile(value: number): value is SrtpProfile {
  return Object.prototype.hasOwnProperty.call(PARAMETERS, value);
}

export function profileParameters(profile: number): ProfileParameters {
  if (!isSrtpProfile(profile)) throw new RangeError(`unknown SRTP protection profile 0x${profile.toString(16).padStart(4, '0')}`);
  return PARAMETERS[profile];
}

/**
 * Why a packet was rejected. The numbers are what the native methods return (negated), in the
 * order of native/srtp/src/ks_srtp.h.
 */
export const SrtpReject = {
  malformed: -1,
  authentication: -2,
  replay: -3,
  tooOld: -4,
  noSpace: -5,
  streamLimit: -6,
  keyLimit: -7,
  crypto: -8,
  noKeys: -9,
} as const;
export type SrtpRejectReason = keyof typeof SrtpReject;

export const REJECT_REASONS = Object.keys(SrtpReject) as SrtpRejectReason[];

/** The reason behind a negative result of a packet method. */
export function rejectReason(code: number): SrtpRejectReason {
  const reason = REJECT_REASONS[-code - 1];
  if (code >= 0 || !reason) throw new RangeError(`${code} is not an SRTP rejection code`);
  return reason;
}

/** Master keys of both directions, ours ("local", what we protect with) and the peer's. */
export interface SrtpMasterKeys {
  profile: number;
  localKey: Uint8Array;
  localSalt: Uint8Array;
  remoteKey: Uint8Array;
  remoteSalt: Uint8Array;
}

/** Bytes of keying material to export from DTLS for a profile (RFC 5764 §4.2). */
export function keyingMaterialLength(profile: number): number {
  const p = profileParameters(profile);
  return 2 * (p.keyLength + p.saltLength);
}

/**
 * Splits the DTLS exporter output ("EXTRACTOR-dtls_srtp") into master keys (RFC 5764 §4.2):
 * client_write_key | server_write_key | client_write_salt | server_write_salt. The DTLS client
 * protects with the client keys.
 */
export function splitKeyingMaterial(profile: number, material: Uint8Array, role: 'client' | 'server'): SrtpMasterKeys {
  const { keyLength: k, saltLength: s } = profileParameters(profile);
  if (material.length !== 2 * (k + s)) throw new RangeError(`keying material must be ${2 * (k + s)} bytes, got ${material.length}`);
  const clientKey = material.subarray(0, k);
  const serverKey = material.subarray(k, 2 * k);
  const clientSalt = material.subarray(2 * k, 2 * k + s);
  const serverSalt = material.subarray(2 * k + s, 2 * (k + s));
  return role === 'client'
    ? { profile, localKey: clientKey, localSalt: clientSalt, remoteKey: serverKey, remoteSalt: serverSalt }
    : { profile, localKey: serverKey, localSalt: serverSalt, remoteKey: clientKey, remoteSalt: clientSalt };
}
