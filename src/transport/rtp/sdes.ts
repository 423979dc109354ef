/**
 * SDES-SRTP (RFC 4568): the `a=crypto` lines of an SDP and the master keys they carry, for the
 * suites KMS's RtpEndpoint offers (AES_128_CM_HMAC_SHA1_32/80 of RFC 3711 and AES_256_CM_HMAC_SHA1_32/80
 * of RFC 6188).
 *
 *   a=crypto:<tag> <suite> inline:<base64 key||salt>[|<lifetime>][|<MKI>:<length>]
 *
 * Each side puts its own key in its own SDP: what we send is protected with ours, what the peer
 * sends with the key of its line. A line's lifetime bounds how many packets its key may protect
 * (2^48 when absent, RFC 3711's limit); MKIs are not supported (a line with one is not chosen).
 */
import { randomBytes } from 'node:crypto';
import { KurentoError } from '../../errors.js';
import { SrtpProfile } from '../srtp/profiles.js';

/** Kurento's CryptoSuite names. */
export type CryptoSuiteName = 'AES_128_CM_HMAC_SHA1_32' | 'AES_128_CM_HMAC_SHA1_80' | 'AES_256_CM_HMAC_SHA1_32' | 'AES_256_CM_HMAC_SHA1_80';

interface SuiteInfo {
  /** The name in SDP (RFC 4568 §6.2, RFC 6188 §3). */
  sdpName: string;
  profile: number;
  /** Master key + salt bytes. */
  keySaltLength: number;
}

const SUITES: Record<CryptoSuiteName, SuiteInfo> = {
  AES_128_CM_HMAC_SHA1_80: { sdpName: 'AES_CM_128_HMAC_SHA1_80', profile: SrtpProfile.AES128_CM_HMAC_SHA1_80, keySaltLength: 30 },
  AES_128_CM_HMAC_SHA1_32: { sdpName: 'AES_CM_128_HMAC_SHA1_32', profile: SrtpProfile.AES128_CM_HMAC_SHA1_32, keySaltLength: 30 },
  AES_256_CM_HMAC_SHA1_80: { sdpName: 'AES_256_CM_HMAC_SHA1_80', profile: SrtpProfile.AES256_CM_HMAC_SHA1_80, keySaltLength: 46 },
  AES_256_CM_HMAC_SHA1_32: { sdpName: 'AES_256_CM_HMAC_SHA1_32', profile: SrtpProfile.AES256_CM_HMAC_SHA1_32, keySaltLength: 46 },
};

/** RFC 3711's bound on SRTP packets per master key when a line states no lifetime. */
export const DEFAULT_KEY_LIFETIME = 2 ** 48;

/** One side's keying: suite, master key || salt, and how many packets the key may protect. */
export interface SdesKey {
  suite: CryptoSuiteName;
  keySalt: Buffer;
  lifetime: number;
}

/** A parsed `a=crypto` line. */
export interface CryptoLine {
  tag: number;
  suite: CryptoSuiteName | undefined;
  /** The suite as written, for unknown ones. */
  suiteText: string;
  key: SdesKey | undefined;
}

export function suiteProfile(suite: CryptoSuiteName): number {
  return SUITES[suite].profile;
}

/** Master key and salt of a suite, as the native SRTP context takes them. */
export function splitKeySalt(key: SdesKey): { masterKey: Buffer; masterSalt: Buffer } {
  const keyLength = key.keySalt.length - 14;
  return { masterKey: key.keySalt.subarray(0, keyLength), masterSalt: key.keySalt.subarray(keyLength) };
}

/**
 * Our key from the RtpEndpoint's `crypto` parameter (Kurento's SDES type), or undefined when no
 * suite is named (no encryption, as in KMS). A key of the wrong length is refused, as KMS does.
 */
export function localKey(sdes: { key?: string; keyBase64?: string; crypto?: string } | undefined): SdesKey | undefined {
  const suite = sdes?.crypto as CryptoSuiteName | undefined;
  if (!suite) return undefined;
  const info = SUITES[suite];
  if (!info) throw new KurentoError('MARSHALL_ERROR', `Unknown crypto suite '${suite}'`);
  let keySalt: Buffer;
  if (sdes?.keyBase64 !== undefined && sdes.keyBase64 !== '') keySalt = Buffer.from(sdes.keyBase64, 'base64');
  else if (sdes?.key !== undefined && sdes.key !== '') keySalt = Buffer.from(sdes.key, 'latin1');
  else keySalt = randomBytes(info.keySaltLength);
  if (keySalt.length !== info.keySaltLength) {
    throw new KurentoError('MARSHALL_ERROR', `Master key size out of range: ${suite} takes a ${info.keySaltLength}-byte key and salt, got ${keySalt.length}`);
  }
  return { suite, keySalt, lifetime: DEFAULT_KEY_LIFETIME };
}

/** The `a=crypto` value for our key (without `a=crypto:`). */
export function cryptoAttribute(tag: number, key: SdesKey): string {
  return `${tag} ${SUITES[key.suite].sdpName} inline:${key.keySalt.toString('base64')}`;
}

/** Parses an `a=crypto` value; returns undefined when it is not one at all. */
export function parseCryptoAttribute(value: string): CryptoLine | undefined {
  const match = /^(\d+)\s+(\S+)\s+(.*)$/.exec(value.trim());
  if (!match) return undefined;
  const [, tag, suiteText, params] = match as unknown as [string, string, string, string];
  const suite = (Object.keys(SUITES) as CryptoSuiteName[]).find((s) => SUITES[s].sdpName === suiteText || s === suiteText);
  let key: SdesKey | undefined;
  // Several key-params may follow (';'-separated); one key with no MKI is what we take.
  const keyParams = params.split(/\s+/)[0]!.split(';');
  if (suite && keyParams.length === 1) {
    const inline = /^inline:([A-Za-z0-9+/=]+)(?:\|([^|]+))?(?:\|([^|]+))?$/.exec(keyParams[0]!);
    const lifetime = inline?.[2] !== undefined && !inline[2].includes(':') ? parseLifetime(inline[2]) : DEFAULT_KEY_LIFETIME;
    const hasMki = inline?.[3] !== undefined || (inline?.[2] !== undefined && inline[2].includes(':'));
    const keySalt = inline ? Buffer.from(inline[1]!, 'base64') : undefined;
    if (keySalt && keySalt.length === SUITES[suite].keySaltLength && lifetime !== undefined && !hasMki) key = { suite, keySalt, lifetime };
  }
  return { tag: Number(tag), suite, suiteText, key };
}

/** `2^20` or a decimal count. */
function parseLifetime(text: string): number | undefined {
  const power = /^2\^(\d+)$/.exec(text);
  if (power) return 2 ** Number(power[1]);
  return /^\d+$/.test(text) ? Number(text) : undefined;
}
