/**
 * Finds and loads the native SRTP addon (native/srtp, built by `npm install` through
 * scripts/build-native.mjs). The addon is looked for relative to this file, so the same code works
 * compiled (dist/src/transport/srtp) and from sources (src/transport/srtp): we walk up to the
 * directory holding native/srtp. `KUROSHIO_SRTP_ADDON` names the .node file explicitly.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** State of one SSRC as the native context tracks it. */
export interface NativeStreamInfo {
  hasRtp: number;
  roc: number;
  highestSeq: number;
  hasRtcp: number;
  rtcpIndex: number;
}

/** The native class; every packet method returns the new length or a negative SrtpReject code. */
export interface NativeSrtpContext {
  setMasterKey(key: Uint8Array, salt: Uint8Array): number;
  setSessionKeys(
    rtpKey: Uint8Array,
    rtpSalt: Uint8Array,
    rtpAuth: Uint8Array,
    rtcpKey: Uint8Array,
    rtcpSalt: Uint8Array,
    rtcpAuth: Uint8Array,
  ): number;
  protectRtp(buf: Uint8Array, length: number): number;
  unprotectRtp(buf: Uint8Array, length: number): number;
  protectRtcp(buf: Uint8Array, length: number): number;
  unprotectRtcp(buf: Uint8Array, length: number): number;
  /** [protected, unprotected, rejected by code 1..9] for RTP, then the same for RTCP. */
  stats(): number[];
  streamInfo(sender: boolean, ssrc: number): NativeStreamInfo | undefined;
  setRtcpIndex(ssrc: number, lastIndex: number): number;
  setRoc(sender: boolean, ssrc: number, roc: number): number;
  close(): void;
}

export interface SrtpAddon {
  SrtpContext: new (profile: number, replayWindow: number, encryptRtcp: boolean) => NativeSrtpContext;
  /** RFC 3711 §4.3.1 KDF; rBytes is 6 for SRTP labels, 4 for SRTCP labels with a non-zero rate. */
  kdf(masterKey: Uint8Array, masterSalt: Uint8Array, label: number, r: number, length: number, rBytes: number): Buffer;
  /** [bytes added to RTP, bytes added to RTCP]. */
  overhead(profile: number): [number, number];
  /** The OpenSSL the addon runs on (Node's own, when Node bundles it). */
  opensslVersion(): string;
  /** A parsed socket address for udpSend, or null when `ip` is not an IP literal. */
  udpAddress(ip: string, port: number): Buffer | null;
  /** One non-blocking sendto on a UDP descriptor: bytes sent, or -errno. */
  udpSend(fd: number, buffer: Uint8Array, length: number, address: Buffer): number;
  /** Returns freed heap memory of every malloc arena to the system (glibc), on libuv's pool; whether any was. */
  trimMemory(): Promise<boolean>;
}

const RELATIVE_PATHS = ['native/srtp/build/Release/kuroshio_srtp.node', 'native/srtp/build/Debug/kuroshio_srtp.node'];

/** Where the addon may be, best first. */
export function addonCandidates(): string[] {
  const found: string[] = [];
  const explicit = process.env.KUROSHIO_SRTP_ADDON;
  if (explicit) found.push(explicit);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    for (const rel of RELATIVE_PATHS) found.push(join(dir, rel));
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return found;
}

let cached: SrtpAddon | undefined;
let failure: Error | undefined;

/** The addon, loaded once. Throws with build instructions when it has not been built. */
export function loadSrtpAddon(): SrtpAddon {
  if (cached) return cached;
  if (failure) throw failure;
  const path = addonCandidates().find((p) => existsSync(p));
  if (!path) {
    failure = new Error(
      'the native SRTP addon is not built (native/srtp/build/Release/kuroshio_srtp.node): ' +
        'run `npm run build:native` (needs g++, make and python3)',
    );
    throw failure;
  }
  try {
    cached = createRequire(import.meta.url)(path) as SrtpAddon;
  } catch (err) {
    failure = new Error(`the native SRTP addon at ${path} does not load: ${(err as Error).message}`, { cause: err });
    throw failure;
  }
  return cached;
}

/** Whether the addon can be loaded (for choosing between it and werift's JavaScript SRTP). */
export function srtpAddonAvailable(): boolean {
  try {
    loadSrtpAddon();
    return true;
  } catch {
    // Not an error here: the caller falls back to werift's SRTP. Why it failed is kept, and
    // thrown again, by loadSrtpAddon.
    return false;
  }
}
