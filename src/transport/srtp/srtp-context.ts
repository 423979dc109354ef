/**
 * One SRTP cryptographic context: one master key and salt, used for SRTP and SRTCP, on the
 * native addon (OpenSSL). The OpenSSL cipher and MAC contexts are keyed once here and reused for
 * every packet.
 *
 * The packet methods work in place and allocate nothing: `protectRtp(buf, length)` encrypts
 * buf[0..length) and appends the tag (buf needs `rtpOverhead` spare bytes), returning the new
 * length; `unprotectRtp(buf, length)` verifies and decrypts, returning the plaintext length.
 * A negative result is a rejection (see `SrtpReject` / `rejectReason`); the buffer is then left
 * as it was. Each context counts what it did and rejected (`stats`).
 *
 * A context keeps separate per-SSRC state for what it protects (ROC, SRTCP index) and what it
 * unprotects (ROC estimate, replay windows), so one context can serve both ends of a loopback. In
 * a DTLS-SRTP session use one context per direction (see SrtpSession).
 */
import { loadSrtpAddon, type NativeSrtpContext } from './native-addon.js';
import { profileParameters, REJECT_REASONS, rejectReason, type SrtpProfile, type SrtpRejectReason } from './profiles.js';

interface CommonOptions {
  /** Replay window in packets, for SRTP and SRTCP each: up to 32768, raised to at least 64 and to
   * a power of two. Default 1024, as libwebrtc uses, so reordered video is not taken for replays. */
  replayWindow?: number;
  /** Encrypt SRTCP (E bit set). Default true; false sends SRTCP authenticated only. */
  encryptRtcp?: boolean;
}

export interface SrtpMasterKeyOptions extends CommonOptions {
  profile: SrtpProfile | number;
  masterKey: Uint8Array;
  masterSalt: Uint8Array;
}

/** Session keys given directly, skipping the KDF (how RFC 7714's test vectors are stated). */
export interface SrtpSessionKeyOptions extends CommonOptions {
  profile: SrtpProfile | number;
  sessionKeys: {
    rtpKey: Uint8Array;
    rtpSalt: Uint8Array;
    /** 20 bytes for the AES-CM profiles; absent for GCM. */
    rtpAuthKey?: Uint8Array;
    rtcpKey: Uint8Array;
    rtcpSalt: Uint8Array;
    rtcpAuthKey?: Uint8Array;
  };
}

export type SrtpContextOptions = SrtpMasterKeyOptions | SrtpSessionKeyOptions;

/** Counters of one packet type: successes and rejections by reason. */
export type SrtpCounters = { protected: number; unprotected: number } & Record<SrtpRejectReason, number>;

export interface SrtpStats {
  rtp: SrtpCounters;
  rtcp: SrtpCounters;
}

/** What a context knows of one SSRC, on its protecting or its unprotecting side. */
export interface SrtpStreamState {
  /** Rollover counter of the highest RTP index; undefined before the first RTP packet. */
  roc?: number;
  /** Highest RTP sequence number (s_l of RFC 3711 §3.3.1). */
  highestSeq?: number;
  /** Last SRTCP index sent, or highest received. */
  rtcpIndex?: number;
}

export type UnprotectResult = { ok: true; packet: Buffer } | { ok: false; reason: SrtpRejectReason };

/** A packet could not be protected (the packet or the call is wrong, never the network). */
export class SrtpError extends Error {
  constructor(readonly reason: SrtpRejectReason) {
    super(`SRTP protection failed: ${reason}`);
    this.name = 'SrtpError';
  }
}

const EMPTY = new Uint8Array(0);

export class SrtpContext {
  readonly profile: SrtpProfile;
  /** Spare bytes protectRtp needs after the packet. */
  readonly rtpOverhead: number;
  /** Spare bytes protectRtcp needs after the packet. */
  readonly rtcpOverhead: number;
  private readonly native: NativeSrtpContext;

  constructor(options: SrtpContextOptions) {
    const p = profileParameters(options.profile);
    this.profile = options.profile as SrtpProfile;
    this.rtpOverhead = p.rtpOverhead;
    this.rtcpOverhead = p.rtcpOverhead;
    const window = options.replayWindow ?? 1024;
    if (!Number.isInteger(window) || window < 1 || window > 32768) throw new RangeError('replayWindow must be an integer from 1 to 32768');
    const addon = loadSrtpAddon();
    this.native = new addon.SrtpContext(options.profile, window, options.encryptRtcp ?? true);
    let result: number;
    if ('sessionKeys' in options) {
      const k = options.sessionKeys;
      result = this.native.setSessionKeys(k.rtpKey, k.rtpSalt, k.rtpAuthKey ?? EMPTY, k.rtcpKey, k.rtcpSalt, k.rtcpAuthKey ?? EMPTY);
      if (result < 0) throw new RangeError(`${p.name} session keys are ${p.keyLength}-byte keys, ${p.saltLength}-byte salts${p.aead ? '' : ' and 20-byte auth keys'}`);
    } else {
      if (options.masterKey.length !== p.keyLength || options.masterSalt.length !== p.saltLength) {
        throw new RangeError(`${p.name} needs a ${p.keyLength}-byte master key and a ${p.saltLength}-byte master salt`);
      }
      result = this.native.setMasterKey(options.masterKey, options.masterSalt);
    }
    if (result < 0) throw new Error(`keying the SRTP context failed: ${rejectReason(result)}`);
  }

  protectRtp(buf: Uint8Array, length: number): number {
    return this.native.protectRtp(buf, length);
  }

  unprotectRtp(buf: Uint8Array, length: number): number {
    return this.native.unprotectRtp(buf, length);
  }

  protectRtcp(buf: Uint8Array, length: number): number {
    return this.native.protectRtcp(buf, length);
  }

  unprotectRtcp(buf: Uint8Array, length: number): number {
    return this.native.unprotectRtcp(buf, length);
  }

  /** Protects a copy of an RTP packet (one allocation; for paths where that does not matter). */
  protectRtpPacket(packet: Uint8Array): Buffer {
    return this.protectCopy(packet, this.rtpOverhead, (b, n) => this.native.protectRtp(b, n));
  }

  protectRtcpPacket(packet: Uint8Array): Buffer {
    return this.protectCopy(packet, this.rtcpOverhead, (b, n) => this.native.protectRtcp(b, n));
  }

  /** Unprotects a copy of an SRTP packet; the input is not modified. */
  unprotectRtpPacket(packet: Uint8Array): UnprotectResult {
    return unprotectCopy(packet, (b, n) => this.native.unprotectRtp(b, n));
  }

  unprotectRtcpPacket(packet: Uint8Array): UnprotectResult {
    return unprotectCopy(packet, (b, n) => this.native.unprotectRtcp(b, n));
  }

  /** Counters since the context was created. */
  get stats(): SrtpStats {
    const raw = this.native.stats();
    const part = (offset: number): SrtpCounters => {
      const counters = { protected: raw[offset] ?? 0, unprotected: raw[offset + 1] ?? 0 } as SrtpCounters;
      REJECT_REASONS.forEach((reason, i) => (counters[reason] = raw[offset + 2 + i] ?? 0));
      return counters;
    };
    return { rtp: part(0), rtcp: part(2 + REJECT_REASONS.length) };
  }

  /** State of an SSRC on the protecting ('send') or unprotecting ('receive') side. */
  streamState(side: 'send' | 'receive', ssrc: number): SrtpStreamState | undefined {
    const info = this.native.streamInfo(side === 'send', ssrc >>> 0);
    if (!info) return undefined;
    const state: SrtpStreamState = {};
    if (info.hasRtp) {
      state.roc = info.roc;
      state.highestSeq = info.highestSeq;
    }
    if (info.hasRtcp) state.rtcpIndex = info.rtcpIndex;
    return state;
  }

  /** Sets the last SRTCP index sent for an SSRC; the next packet carries lastIndex + 1. */
  setRtcpIndex(ssrc: number, lastIndex: number): void {
    check(this.native.setRtcpIndex(ssrc >>> 0, lastIndex));
  }

  /**
   * Sets the rollover counter of an SSRC, for joining a stream whose ROC is known out of band
   * (RFC 3711 §3.3.1; DTLS-SRTP streams start at 0 and never need this).
   */
  setRolloverCounter(side: 'send' | 'receive', ssrc: number, roc: number): void {
    check(this.native.setRoc(side === 'send', ssrc >>> 0, roc));
  }

  /** Frees keys and state now; afterwards every packet is rejected as 'noKeys'. */
  close(): void {
    this.native.close();
  }

  private protectCopy(packet: Uint8Array, overhead: number, protect: (b: Buffer, n: number) => number): Buffer {
    const buf = Buffer.allocUnsafe(packet.length + overhead);
    buf.set(packet);
    const length = protect(buf, packet.length);
    if (length < 0) throw new SrtpError(rejectReason(length));
    return buf;
  }
}

function unprotectCopy(packet: Uint8Array, unprotect: (b: Buffer, n: number) => number): UnprotectResult {
  const buf = Buffer.from(packet);
  const length = unprotect(buf, buf.length);
  return length < 0 ? { ok: false, reason: rejectReason(length) } : { ok: true, packet: buf.subarray(0, length) };
}

function check(result: number): void {
  if (result < 0) throw new SrtpError(rejectReason(result));
}
