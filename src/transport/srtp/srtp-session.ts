/**
 * The SRTP side of one DTLS-SRTP association: a context keyed with our master key for what we
 * send, and one keyed with the peer's for what we receive.
 *
 * Its four packet methods have the shape the RTP session expects of an SRTP transform
 * (`(buf, length) => newLength`, negative on rejection, in place) and `rejected` sums the
 * rejections, so wiring it in is `new SrtpSession(keys)` where the werift-based transform was.
 */
import { splitKeyingMaterial, type SrtpMasterKeys } from './profiles.js';
import { SrtpContext, type SrtpStats } from './srtp-context.js';

export interface SrtpSessionOptions {
  /** See SrtpContext: replay window in packets (default 1024). */
  replayWindow?: number;
  /** See SrtpContext: encrypt outgoing SRTCP (default true). */
  encryptRtcp?: boolean;
}

export class SrtpSession {
  /** Protects what we send (our master key). */
  readonly outbound: SrtpContext;
  /** Unprotects what the peer sends (its master key). */
  readonly inbound: SrtpContext;

  constructor(keys: SrtpMasterKeys, options: SrtpSessionOptions = {}) {
    this.outbound = new SrtpContext({ profile: keys.profile, masterKey: keys.localKey, masterSalt: keys.localSalt, ...options });
    this.inbound = new SrtpContext({ profile: keys.profile, masterKey: keys.remoteKey, masterSalt: keys.remoteSalt, ...options });
  }

  /** From the DTLS exporter output (RFC 5764 §4.2) and our DTLS role. */
  static fromKeyingMaterial(profile: number, material: Uint8Array, role: 'client' | 'server', options?: SrtpSessionOptions): SrtpSession {
    return new SrtpSession(splitKeyingMaterial(profile, material, role), options);
  }

  /** Bytes protectRtp / protectRtcp append. */
  get rtpOverhead(): number {
    return this.outbound.rtpOverhead;
  }

  get rtcpOverhead(): number {
    return this.outbound.rtcpOverhead;
  }

  protectRtp(buf: Uint8Array, length: number): number {
    return this.outbound.protectRtp(buf, length);
  }

  unprotectRtp(buf: Uint8Array, length: number): number {
    return this.inbound.unprotectRtp(buf, length);
  }

  protectRtcp(buf: Uint8Array, length: number): number {
    return this.outbound.protectRtcp(buf, length);
  }

  unprotectRtcp(buf: Uint8Array, length: number): number {
    return this.inbound.unprotectRtcp(buf, length);
  }

  /**
   * Rejections in three classes: authentication failures, replays (a duplicate, or older than
   * the window), and everything else (malformed packets, no room, limits) as malformed.
   */
  get rejected(): { authentication: number; replay: number; malformed: number } {
    const totals = { authentication: 0, replay: 0, malformed: 0 };
    for (const stats of [this.outbound.stats, this.inbound.stats]) {
      for (const c of [stats.rtp, stats.rtcp]) {
        totals.authentication += c.authentication;
        totals.replay += c.replay + c.tooOld;
        totals.malformed += c.malformed + c.noSpace + c.streamLimit + c.keyLimit + c.crypto + c.noKeys;
      }
    }
    return totals;
  }

  get stats(): { outbound: SrtpStats; inbound: SrtpStats } {
    return { outbound: this.outbound.stats, inbound: this.inbound.stats };
  }

  close(): void {
    this.outbound.close();
    this.inbound.close();
  }
}
