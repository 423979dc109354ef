/**
 * The SRTP transform of an RtpEndpoint's media line: none (plain RTP), or SDES keys — ours to
 * protect what we send, the peer's to unprotect what it sends — on the native addon.
 *
 * Each key may protect only so many packets (its line's lifetime, RFC 4568 §6.1). Near the end
 * of either key's life the soft limit is reported once (KMS's OnKeySoftLimit: libsrtp's soft
 * limit, 2^16 packets before the hard one); past the end packets are refused, as libsrtp does,
 * until the keys are renegotiated.
 */
import type { SrtpTransform } from '../../rtp/srtp-transform.js';
import { SrtpContext } from '../srtp/srtp-context.js';
import { splitKeySalt, suiteProfile, type SdesKey } from './sdes.js';

/** Plain RTP: packets pass untouched. */
export class PlainTransform implements SrtpTransform {
  readonly rejected = { authentication: 0, replay: 0, malformed: 0 };
  protectRtp(_buf: Buffer, length: number): number {
    return length;
  }
  unprotectRtp(_buf: Buffer, length: number): number {
    return length;
  }
  protectRtcp(_buf: Buffer, length: number): number {
    return length;
  }
  unprotectRtcp(_buf: Buffer, length: number): number {
    return length;
  }
  close(): void {}
}

/** Where the soft limit sits for a key lifetime: libsrtp's 2^16 before the end, or 1/16 of short lives. */
export function softLimit(lifetime: number): number {
  return lifetime - Math.min(2 ** 16, Math.floor(lifetime / 16));
}

const KEY_EXPIRED = -7; // SrtpReject.keyLimit

export class SdesSrtpTransform implements SrtpTransform {
  private readonly outbound: SrtpContext;
  private readonly inbound: SrtpContext;
  private sent = 0;
  private received = 0;
  private softReported = false;
  private readonly localSoft: number;
  private readonly remoteSoft: number;
  /** Packets refused because a key outlived its lifetime. */
  expired = 0;

  constructor(
    private readonly local: SdesKey,
    private readonly remote: SdesKey,
    private readonly onSoftLimit: () => void,
  ) {
    this.outbound = new SrtpContext({ profile: suiteProfile(local.suite), ...splitKeySalt(local) });
    this.inbound = new SrtpContext({ profile: suiteProfile(remote.suite), ...splitKeySalt(remote) });
    this.localSoft = softLimit(local.lifetime);
    this.remoteSoft = softLimit(remote.lifetime);
  }

  protectRtp(buf: Buffer, length: number): number {
    if (this.sent >= this.local.lifetime) return this.refuse();
    const result = this.outbound.protectRtp(buf, length);
    if (result >= 0 && ++this.sent >= this.localSoft) this.softLimitReached();
    return result;
  }

  unprotectRtp(buf: Buffer, length: number): number {
    if (this.received >= this.remote.lifetime) return this.refuse();
    const result = this.inbound.unprotectRtp(buf, length);
    if (result >= 0 && ++this.received >= this.remoteSoft) this.softLimitReached();
    return result;
  }

  protectRtcp(buf: Buffer, length: number): number {
    return this.outbound.protectRtcp(buf, length);
  }

  unprotectRtcp(buf: Buffer, length: number): number {
    return this.inbound.unprotectRtcp(buf, length);
  }

  get rejected(): { authentication: number; replay: number; malformed: number } {
    const totals = { authentication: 0, replay: 0, malformed: this.expired };
    for (const c of [this.inbound.stats.rtp, this.inbound.stats.rtcp]) {
      totals.authentication += c.authentication;
      totals.replay += c.replay + c.tooOld;
      totals.malformed += c.malformed + c.noSpace + c.streamLimit + c.keyLimit + c.crypto + c.noKeys;
    }
    return totals;
  }

  close(): void {
    this.outbound.close();
    this.inbound.close();
  }

  private refuse(): number {
    this.expired++;
    return KEY_EXPIRED;
  }

  private softLimitReached(): void {
    if (this.softReported) return;
    this.softReported = true;
    this.onSoftLimit();
  }
}
