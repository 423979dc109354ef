/**
 * The bandwidth properties of an RTP endpoint (KMS units: kbit/s, 0 = no limit) and the two
 * decisions they drive: how much we let the peer send us (our REMB) and how much we say the peer
 * can take from upstream (which becomes the publisher's REMB, since an SFU cannot re-encode).
 */

/** Where KMS starts REMB estimates before any feedback (RembParams.rembOnConnect). */
export const INITIAL_ESTIMATE_BPS = 300_000;
/** The REMB we send when nothing limits the peer: high enough that its own estimator decides. */
const UNLIMITED_BPS = 10_000_000;

export class BandwidthSettings {
  maxAudioRecv = 0;
  maxVideoRecv = 0;
  minVideoRecv = 0;
  minVideoSend = 100;
  maxVideoSend = 500;

  /** The REMB for the peer: what downstream can take (bits/s, 0 = no limit), clamped by our receive limits. */
  videoReceiveLimit(downstreamBps: number): number {
    let bps = downstreamBps > 0 ? downstreamBps : UNLIMITED_BPS;
    if (this.maxVideoRecv > 0) bps = Math.min(bps, this.maxVideoRecv * 1000);
    if (this.minVideoRecv > 0) bps = Math.max(bps, this.minVideoRecv * 1000);
    return bps;
  }

  /** Whether the application set maxVideoSend (its default of 500 kbit/s does not cap simulcast layers). */
  maxVideoSendSet = false;

  /**
   * What a simulcast viewer's layer must fit in (bits/s, 0 = unknown): the peer's estimate,
   * capped by maxVideoSendBandwidth only when the application set it.
   */
  layerBudget(peerEstimateBps: number | undefined): number {
    const bps = peerEstimateBps ?? 0;
    return this.maxVideoSendSet && this.maxVideoSend > 0 && bps > 0 ? Math.min(bps, this.maxVideoSend * 1000) : bps;
  }

  /** What we can forward to the peer: its estimate (if any), clamped by our send limits. */
  videoSendLimit(peerEstimateBps: number | undefined): number {
    let bps = peerEstimateBps ?? 0;
    if (this.maxVideoSend > 0) bps = bps > 0 ? Math.min(bps, this.maxVideoSend * 1000) : this.maxVideoSend * 1000;
    if (this.minVideoSend > 0 && bps > 0) bps = Math.max(bps, this.minVideoSend * 1000);
    return bps;
  }
}
