/**
 * What the RTP session needs from SRTP: protect and unprotect packets in place. Two
 * implementations: the native addon (fast path) and werift's JavaScript sessions (fallback and
 * baseline for benchmarks).
 */
import { RtpPacket, SrtcpSession, SrtpSession } from 'werift';

export interface SrtpKeys {
  profile: number;
  localKey: Buffer;
  localSalt: Buffer;
  remoteKey: Buffer;
  remoteSalt: Buffer;
}

/**
 * Protects what we send and unprotects what we receive. Each method works in place on `buf`
 * (which must have room for the authentication tag when protecting) and returns the new length,
 * or -1 when the packet is rejected (bad authentication, replay, malformed).
 */
export interface SrtpTransform {
  protectRtp(buf: Buffer, length: number): number;
  unprotectRtp(buf: Buffer, length: number): number;
  protectRtcp(buf: Buffer, length: number): number;
  unprotectRtcp(buf: Buffer, length: number): number;
  /** Packets rejected so far, by reason. */
  readonly rejected: { authentication: number; replay: number; malformed: number };
  /** Frees native resources, if any. */
  close?(): void;
}

/** Bytes the authentication tag (and SRTCP index) can add to a packet. */
export { SRTP_MAX_OVERHEAD } from '../transport/srtp/profiles.js';

/** werift's JavaScript SRTP behind the in-place interface (copies; used as fallback and baseline). */
export class WeriftSrtpTransform implements SrtpTransform {
  private readonly srtp: SrtpSession;
  private readonly srtcp: SrtcpSession;
  readonly rejected = { authentication: 0, replay: 0, malformed: 0 };

  constructor(keys: SrtpKeys) {
    const config = {
      keys: { localMasterKey: keys.localKey, localMasterSalt: keys.localSalt, remoteMasterKey: keys.remoteKey, remoteMasterSalt: keys.remoteSalt },
      profile: keys.profile as 1 | 7,
    };
    this.srtp = new SrtpSession(config);
    this.srtcp = new SrtcpSession(config);
  }

  protectRtp(buf: Buffer, length: number): number {
    const packet = RtpPacket.deSerialize(buf.subarray(0, length));
    return this.place(buf, this.srtp.encrypt(packet.payload, packet.header));
  }

  unprotectRtp(buf: Buffer, length: number): number {
    return this.attempt(buf, () => this.srtp.decrypt(buf.subarray(0, length)));
  }

  protectRtcp(buf: Buffer, length: number): number {
    return this.place(buf, this.srtcp.encrypt(buf.subarray(0, length)));
  }

  unprotectRtcp(buf: Buffer, length: number): number {
    return this.attempt(buf, () => this.srtcp.decrypt(buf.subarray(0, length)));
  }

  private attempt(buf: Buffer, run: () => Buffer): number {
    try {
      return this.place(buf, run());
    } catch (err) {
      if ((err as Error).name === 'SrtpAuthenticationError' || /auth/i.test((err as Error).message)) this.rejected.authentication++;
      else this.rejected.malformed++;
      return -1;
    }
  }

  private place(buf: Buffer, result: Buffer): number {
    if (result.length > buf.length) return -1;
    result.copy(buf, 0);
    return result.length;
  }
}
