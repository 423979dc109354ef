/**
 * RtpEndpoint: a plain RTP or SDES-SRTP peer in the pipeline (a SIP gateway, an IP camera, an
 * ffmpeg or GStreamer process, another media server), negotiated with SDP in either role, without
 * ICE. The session lives in `transport/rtp/rtp-peer-session.ts`; this element maps it to Kurento's
 * API through BaseRtpEndpoint, like WebRtcEndpoint.
 *
 * Our SDP announces the configured external address (`externalIPv4`/`externalIPv6`, from
 * KMS_EXTERNAL_IPV4/IPV6), else the first address of the configured network interfaces, else the
 * machine's first non-internal one; `useIpv6` takes IPv6 sockets and addresses. With `crypto`
 * (Kurento's SDES), the media is SRTP keyed with our key (given, or random) and the peer's.
 */
import { networkInterfaces } from 'node:os';
import { KurentoCode } from '../errors.js';
import { DEFAULT_DESCRIPTION, type MediaKind } from '../media/types.js';
import { PlainRtpSession } from '../transport/rtp/rtp-peer-session.js';
import { localKey, type SdesKey } from '../transport/rtp/sdes.js';
import { BaseRtpEndpointImpl } from './base-rtp-endpoint.js';
import type { StatsEntry } from './media-element.js';
import type { ObjectInit, Params } from './media-object.js';
import { endpointStats, rtpStreamStats } from './webrtc-stats.js';

/** The address our SDP names: external, then the configured interfaces', then any non-internal one. */
export function announcedAddress(config: { externalIPv4?: string; externalIPv6?: string; networkInterfaces?: string }, ipv6: boolean): string {
  const external = ipv6 ? config.externalIPv6 : config.externalIPv4;
  if (external) return external;
  const family = ipv6 ? 'IPv6' : 'IPv4';
  const wanted = config.networkInterfaces?.split(',').map((n) => n.trim()).filter((n) => n !== '');
  const interfaces = networkInterfaces();
  const names = wanted && wanted.length > 0 ? wanted : Object.keys(interfaces);
  for (const name of names) {
    for (const info of interfaces[name] ?? []) {
      if (info.family !== family || (!wanted && info.internal) || (ipv6 && info.address.startsWith('fe80'))) continue;
      return info.address;
    }
  }
  return ipv6 ? '::1' : '127.0.0.1';
}

/**
 * How often a peer that cannot ask for keyframes (no PLI or FIR negotiated: RTP/AVP, ffmpeg,
 * most SIP gateways) gets one anyway: it may have started listening after the last one, and a
 * lost packet would otherwise break its picture until the source's next periodic keyframe.
 */
const UNASKED_KEYFRAME_INTERVAL_MS = 2000;

export class RtpEndpointImpl extends BaseRtpEndpointImpl {
  private session: PlainRtpSession | undefined;
  private keyframeTimer: NodeJS.Timeout | undefined;
  private readonly key: SdesKey | undefined;
  private readonly ipv6: boolean;

  constructor(init: ObjectInit) {
    super(init);
    this.key = localKey(init.params.crypto as { key?: string; keyBase64?: string; crypto?: string } | undefined);
    this.ipv6 = init.params.useIpv6 === true;
  }

  protected override get rtpPeer(): PlainRtpSession | undefined {
    return this.session;
  }

  // ---- SdpEndpoint ----------------------------------------------------------------------------

  async generateOffer(params: Params): Promise<string> {
    const options = (params.options as { offerToReceiveAudio?: boolean; offerToReceiveVideo?: boolean } | undefined) ?? {};
    return this.openSession().generateOffer(options.offerToReceiveAudio !== false, options.offerToReceiveVideo !== false, this.codecsFromUpstream());
  }

  async processOffer(params: Params): Promise<string> {
    const answer = await this.openSession().processOffer(params.offer as string, this.codecsFromUpstream());
    this.negotiated();
    this.keyframesForDeafPeers();
    return answer;
  }

  processAnswer(params: Params): string {
    if (!this.session) throw BaseRtpEndpointImpl.notOfferGenerated();
    this.session.processAnswer(params.answer as string);
    this.negotiated();
    this.keyframesForDeafPeers();
    return this.session.localDescription ?? '';
  }

  protected override localDescription(): string | undefined {
    return this.session?.localDescription;
  }

  // ---- media plane ----------------------------------------------------------------------------

  protected override collectStats(kind: MediaKind | undefined): StatsEntry[] {
    const entries = [...super.collectStats(kind), endpointStats(this.id)];
    const session = this.session;
    if (!session) return entries;
    entries.push(...rtpStreamStats(session.streamCounters(), kind));
    const transport = session.transportCounters();
    entries.push({
      __type__: 'RTCTransportStats', id: 'transport', type: 'transport', timestampMillis: Date.now(),
      bytesSent: transport.bytesSent, bytesReceived: transport.bytesReceived, rtcpTransportStatsId: 'transport',
      activeConnection: session.isConnected, selectedCandidatePairId: '', localCertificateId: '', remoteCertificateId: '',
      // Beyond KMS's fields (clients ignore unknown ones): what was dropped, and why.
      packetsDiscarded: transport.packetsDiscarded,
      srtpRejected: transport.srtpRejected,
      packetsDroppedNoCodec: this.droppedForCodec,
    });
    return entries;
  }

  override release(): void {
    if (this.keyframeTimer) clearInterval(this.keyframeTimer);
    const session = this.session;
    this.session = undefined;
    super.release();
    session?.close();
  }

  /** A peer we send video that cannot ask for keyframes gets one from upstream every so often. */
  private keyframesForDeafPeers(): void {
    const session = this.session;
    if (!session?.canSend('VIDEO') || session.peerRequestsKeyframes('VIDEO')) return;
    this.keyframeTimer = setInterval(() => {
      const video = this.sinks.find('VIDEO', DEFAULT_DESCRIPTION);
      if (video?.link) this.askUpstreamForKeyframe(video);
    }, UNASKED_KEYFRAME_INTERVAL_MS);
    this.keyframeTimer.unref();
  }

  private openSession(): PlainRtpSession {
    if (this.session) return this.session;
    const config = this.host.config;
    const session = new PlainRtpSession({
      portRange: [config.minPort, config.maxPort],
      ipv6: this.ipv6,
      address: announcedAddress(config, this.ipv6),
      key: this.key,
      cname: this.id.slice(-36),
    });
    this.session = session;
    this.followSession(session);
    session.on('keySoftLimit', (kind) => this.emit('OnKeySoftLimit', { mediaType: kind }));
    session.on('failure', (description) => this.emitError('UNEXPECTED_ERROR', KurentoCode.UNEXPECTED_ERROR, description));
    return session;
  }
}
