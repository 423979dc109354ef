/**
 * WebRtcEndpoint: a browser (or any WebRTC peer) in the pipeline.
 *
 * Media the peer sends leaves through this element's source pads; media reaching its sink pads
 * is sent to the peer. Keyframe requests from downstream become PLIs to the peer; the bitrate the
 * downstream sinks can take becomes the REMB we send it. The session with the peer (SDP, ICE,
 * DTLS, RTP, data channels) lives in `WebRtcSession`.
 */
import { KurentoCode, KurentoError } from '../errors.js';
import { ANY_CAPS, type SinkCaps } from '../media/processing/caps.js';
import { sameCodec, type CodecDescription, type DataMedia, type MediaUnit } from '../media/rtp-media.js';
import { DEFAULT_DESCRIPTION, type MediaKind } from '../media/types.js';
import type { IceSettings } from '../transport/webrtc/ice-settings.js';
import { IceSettingsError } from '../transport/webrtc/ice-settings.js';
import type { DtlsKeys } from 'werift';
import { DtlsCertificateError, loadDtlsKeys } from '../transport/webrtc/dtls-certificate.js';
import { WebRtcSession, type RtpKind, type WebRtcSessionOptions } from '../transport/webrtc/webrtc-session.js';
import { BandwidthSettings } from './bandwidth.js';
import type { ElementLink, ElementPadSink, ElementPadSource, StatsEntry } from './media-element.js';
import { MediaElementImpl } from './media-element.js';
import type { MediaCounters, ObjectInit, Params } from './media-object.js';
import { webRtcStats } from './webrtc-stats.js';

/** How often the REMB we send the peer is refreshed. */
const REMB_INTERVAL_MS = 1000;

type ConnectionState = 'CONNECTED' | 'DISCONNECTED';

export class WebRtcEndpointImpl extends MediaElementImpl {
  private session: WebRtcSession | undefined;
  private readonly direction: 'sendrecv' | 'sendonly' | 'recvonly';
  private readonly useDataChannels: boolean;
  private readonly certificateKeyType: 'RSA' | 'ECDSA';
  private readonly ice: IceSettings;
  readonly bandwidth = new BandwidthSettings();
  private connectionState: ConnectionState = 'DISCONNECTED';
  private mediaState: ConnectionState = 'DISCONNECTED';
  private readonly iceStates = new Map<string, { streamId: string; componentId: number; state: string }>();
  private readonly dtlsStates = new Map<string, { streamId: string; componentId: string; connectionId: string; state: string }>();
  private readonly candidatePairs = new Map<string, { streamId: string; componentId: number; localCandidate: string; remoteCandidate: string }>();
  /** Lowest receiver estimate the peer reported for what we send it (bits/s), per kind. */
  private readonly peerEstimate = new Map<RtpKind, number>();
  private rembTimer: NodeJS.Timeout | undefined;
  private sessionStarted = false;
  private readonly lastCodecIn = new Map<RtpKind, CodecDescription>();
  /** Packets that could not be sent because the peer did not negotiate their codec. */
  droppedForCodec = 0;

  constructor(init: ObjectInit) {
    super(init);
    const p = init.params;
    if (p.recvonly === true && p.sendonly === true) {
      throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', 'A WebRtcEndpoint cannot be both recvonly and sendonly');
    }
    this.direction = p.recvonly === true ? 'recvonly' : p.sendonly === true ? 'sendonly' : 'sendrecv';
    this.useDataChannels = p.useDataChannels === true;
    this.certificateKeyType = p.certificateKeyType === 'ECDSA' ? 'ECDSA' : 'RSA';
    const config = init.host.config;
    this.ice = {
      portRange: [config.minPort, config.maxPort],
      iceTcp: config.iceTcp,
      ...(config.stunServerAddress !== undefined ? { stunServerAddress: config.stunServerAddress } : {}),
      ...(config.stunServerPort !== undefined ? { stunServerPort: config.stunServerPort } : {}),
      ...(config.turnUrl !== undefined ? { turnUrl: config.turnUrl } : {}),
      ...(config.networkInterfaces !== undefined ? { networkInterfaces: config.networkInterfaces } : {}),
      ...(config.externalIPv4 !== undefined ? { externalIPv4: config.externalIPv4 } : {}),
      ...(config.externalIPv6 !== undefined ? { externalIPv6: config.externalIPv6 } : {}),
    };
  }

  // ---- SDP ------------------------------------------------------------------------------------

  async processOffer(params: Params): Promise<string> {
    const session = this.openSession();
    const answer = await session.processOffer(params.offer as string, this.codecsFromUpstream());
    this.capsChanged();
    this.startMediaSession();
    return this.gatherRequestedEarly ? ((await session.currentLocalDescription()) ?? answer) : answer;
  }

  async generateOffer(params: Params): Promise<string> {
    const options = (params.options as { offerToReceiveAudio?: boolean; offerToReceiveVideo?: boolean } | undefined) ?? {};
    const session = this.openSession();
    const offer = await session.generateOffer(options.offerToReceiveAudio !== false, options.offerToReceiveVideo !== false);
    return this.gatherRequestedEarly ? ((await session.currentLocalDescription()) ?? offer) : offer;
  }

  async processAnswer(params: Params): Promise<string> {
    if (!this.session) {
      throw new KurentoError('SDP_END_POINT_NOT_OFFER_GENERATED', 'Offer not generated. It is not possible to process an answer.');
    }
    const result = await this.session.processAnswer(params.answer as string);
    this.capsChanged();
    this.startMediaSession();
    return result;
  }

  async getLocalSessionDescriptor(): Promise<string> {
    const sdp = await this.session?.currentLocalDescription();
    if (!sdp) throw new KurentoError('SDP_END_POINT_NO_LOCAL_SDP_ERROR', 'No local SDP');
    return sdp;
  }

  getRemoteSessionDescriptor(): string {
    const sdp = this.session?.remoteDescription;
    if (!sdp) throw new KurentoError('SDP_END_POINT_NO_REMOTE_SDP_ERROR', 'No remote SDP');
    return sdp;
  }

  // ---- ICE ------------------------------------------------------------------------------------

  private gatherRequestedEarly = false;

  gatherCandidates(): null {
    if (!this.session) {
      // KMS allows gathering before the offer: the candidates then go into the SDP.
      this.gatherRequestedEarly = true;
      return null;
    }
    this.session.gatherCandidates();
    return null;
  }

  async addIceCandidate(params: Params): Promise<null> {
    const candidate = params.candidate as { candidate: string; sdpMid: string; sdpMLineIndex: number };
    await this.openSession().addIceCandidate(candidate);
    return null;
  }

  getICECandidatePairs(): unknown[] {
    return [...this.candidatePairs.values()];
  }

  getIceConnectionState(): unknown[] {
    return [...this.iceStates.values()];
  }

  getDtlsConnectionState(): unknown[] {
    return [...this.dtlsStates.values()];
  }

  getMediaState(): string {
    return this.mediaState;
  }

  getConnectionState(): string {
    return this.connectionState;
  }

  // ICE settings are properties in KMS; they take effect for the next negotiation.
  getStunServerAddress(): string {
    return this.ice.stunServerAddress ?? '';
  }
  setStunServerAddress(p: Params): null {
    this.ice.stunServerAddress = p.stunServerAddress as string;
    return null;
  }
  getStunServerPort(): number {
    return this.ice.stunServerPort ?? 3478;
  }
  setStunServerPort(p: Params): null {
    this.ice.stunServerPort = p.stunServerPort as number;
    return null;
  }
  getTurnUrl(): string {
    return this.ice.turnUrl ?? '';
  }
  setTurnUrl(p: Params): null {
    this.ice.turnUrl = p.turnUrl as string;
    return null;
  }
  getIceTcp(): boolean {
    return this.ice.iceTcp;
  }
  setIceTcp(p: Params): null {
    this.ice.iceTcp = p.iceTcp as boolean;
    return null;
  }
  getNetworkInterfaces(): string {
    return this.ice.networkInterfaces ?? '';
  }
  setNetworkInterfaces(p: Params): null {
    this.ice.networkInterfaces = p.networkInterfaces as string;
    return null;
  }
  getExternalIPv4(): string {
    return this.ice.externalIPv4 ?? '';
  }
  setExternalIPv4(p: Params): null {
    this.ice.externalIPv4 = p.externalIPv4 as string;
    return null;
  }
  getExternalIPv6(): string {
    return this.ice.externalIPv6 ?? '';
  }
  setExternalIPv6(p: Params): null {
    this.ice.externalIPv6 = p.externalIPv6 as string;
    return null;
  }

  // ---- bandwidth (KMS units: kbps) ------------------------------------------------------------

  getMaxAudioRecvBandwidth(): number {
    return this.bandwidth.maxAudioRecv;
  }
  setMaxAudioRecvBandwidth(p: Params): null {
    this.bandwidth.maxAudioRecv = p.maxAudioRecvBandwidth as number;
    return null;
  }
  getMaxVideoRecvBandwidth(): number {
    return this.bandwidth.maxVideoRecv;
  }
  setMaxVideoRecvBandwidth(p: Params): null {
    this.bandwidth.maxVideoRecv = p.maxVideoRecvBandwidth as number;
    return null;
  }
  getMinVideoRecvBandwidth(): number {
    return this.bandwidth.minVideoRecv;
  }
  setMinVideoRecvBandwidth(p: Params): null {
    this.bandwidth.minVideoRecv = p.minVideoRecvBandwidth as number;
    return null;
  }
  getMinVideoSendBandwidth(): number {
    return this.bandwidth.minVideoSend;
  }
  setMinVideoSendBandwidth(p: Params): null {
    this.bandwidth.minVideoSend = p.minVideoSendBandwidth as number;
    this.reportWantedBitrate();
    return null;
  }
  getMaxVideoSendBandwidth(): number {
    return this.bandwidth.maxVideoSend;
  }
  setMaxVideoSendBandwidth(p: Params): null {
    this.bandwidth.maxVideoSend = p.maxVideoSendBandwidth as number;
    this.reportWantedBitrate();
    return null;
  }

  requestKeyframe(): null {
    if (!this.session?.requestKeyframe('VIDEO')) {
      throw new KurentoError('MEDIA_OBJECT_OPERATION_NOT_SUPPORTED', 'Keyframe request failed: no video is being received');
    }
    return null;
  }

  // ---- data channels --------------------------------------------------------------------------

  createDataChannel(p: Params): null {
    if (!this.session) throw new KurentoError('MEDIA_OBJECT_OPERATION_NOT_SUPPORTED', 'Data channels need a negotiated session');
    this.session.createDataChannel(p.label as string, {
      ordered: p.ordered as boolean,
      maxPacketLifeTime: p.maxPacketLifeTime as number,
      maxRetransmits: p.maxRetransmits as number,
      protocol: p.protocol as string,
    });
    return null;
  }

  closeDataChannel(p: Params): null {
    if (!this.session) throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `No data channel with id ${String(p.channelId)}`);
    this.session.closeDataChannel(p.channelId as number);
    return null;
  }

  // ---- media plane ----------------------------------------------------------------------------

  /**
   * Media from the pipeline goes to the peer. Its arrival is the endpoint's in-flow, whether or
   * not the peer can take it yet (KMS counts buffers reaching the element's sink pads).
   */
  override acceptMedia(pad: ElementPadSink, unit: MediaUnit): void {
    this.markFlowIn(unit.kind, pad.description);
    if (pad.description !== DEFAULT_DESCRIPTION || !this.session) return;
    if (unit.kind === 'DATA') {
      this.sendData(unit);
      return;
    }
    if (this.direction === 'recvonly') return;
    if (!this.session.sendRtp(unit) && this.session.canSend(unit.kind)) this.droppedForCodec++;
  }

  /** Downstream wants a keyframe of what the peer sends us. */
  override onKeyframeRequest(pad: ElementPadSource): void {
    if (pad.kind === 'VIDEO') this.session?.requestKeyframe('VIDEO');
  }

  /** Downstream sinks changed what they can take: the next REMB says so. */
  override onBitrateRequest(_pad: ElementPadSource): void {
    this.sendRemb();
  }

  protected override onLinked(edge: ElementLink): void {
    super.onLinked(edge);
    if (edge.sink.owner === this) this.reportWantedBitrate();
  }

  /** A sink pad that lost its source receives nothing more: its in-flow ends now, not after 2 s. */
  protected override onUnlinked(edge: ElementLink): void {
    super.onUnlinked(edge);
    if (edge.sink.owner === this) this.endFlow('in', edge.kind, edge.sink.description);
  }

  /**
   * What the peer takes from us, once negotiated: the media layer transcodes what it does not.
   * Before that, whatever comes (nothing is sent anyway).
   */
  protected override sinkCaps(pad: ElementPadSink): SinkCaps {
    if (pad.kind === 'DATA' || !this.session || this.direction === 'recvonly' || pad.description !== DEFAULT_DESCRIPTION) return ANY_CAPS;
    const codecs = this.session.sendCodecs(pad.kind);
    return codecs.length > 0 ? { accepts: 'encoded', codecs } : ANY_CAPS;
  }

  /** What the peer sends us is what this element produces. */
  override producedCodecs(pad: ElementPadSource): CodecDescription[] {
    if (pad.kind === 'DATA' || !this.session) return [];
    const seen = this.lastCodecIn.get(pad.kind);
    const negotiated = this.session.receiveCodecs(pad.kind);
    return seen ? [seen, ...negotiated.filter((c) => !sameCodec(c, seen))] : negotiated;
  }

  override mediaCounters(): MediaCounters {
    const processing = super.mediaCounters();
    const streams = (this.session?.streamCounters() ?? []).map((c) => ({
      key: `${c.direction}/${c.kind}/${c.ssrc}`,
      kind: c.kind,
      direction: c.direction,
      packets: c.packets,
      bytes: c.bytes,
      packetsLost: c.packetsLost,
      nacks: c.nackCount,
      plis: c.pliCount,
    }));
    return { ...processing, streams };
  }

  protected override collectStats(kind: MediaKind | undefined): StatsEntry[] {
    return [...super.collectStats(kind), ...webRtcStats(this.id, this.session, kind, this.droppedForCodec)];
  }

  override async release(): Promise<void> {
    if (this.rembTimer) clearInterval(this.rembTimer);
    this.endFlows();
    const session = this.session;
    this.session = undefined;
    super.release();
    if (session) await session.close();
  }

  // ---- internals ------------------------------------------------------------------------------

  /** Codecs and DTLS certificate from the server configuration (a Kurento folder's SdpEndpoint and WebRtcEndpoint files). */
  private configuredMedia(): Pick<WebRtcSessionOptions, 'allowedCodecs' | 'dtlsKeys'> {
    const config = this.host.config;
    const pem = this.certificateKeyType === 'ECDSA' ? config.pemCertificateECDSA : config.pemCertificateRSA;
    let dtlsKeys: DtlsKeys | undefined;
    try {
      dtlsKeys = pem ? loadDtlsKeys(pem) : undefined;
    } catch (err) {
      if (err instanceof DtlsCertificateError) throw new KurentoError('SDP_END_POINT_CANNOT_CREATE_SESSON', err.message);
      throw err;
    }
    return {
      allowedCodecs: { ...(config.audioCodecs ? { audio: config.audioCodecs } : {}), ...(config.videoCodecs ? { video: config.videoCodecs } : {}) },
      ...(dtlsKeys ? { dtlsKeys } : {}),
    };
  }

  private openSession(): WebRtcSession {
    if (this.session) return this.session;
    let session: WebRtcSession;
    try {
      session = new WebRtcSession({ direction: this.direction, useDataChannels: this.useDataChannels, ice: { ...this.ice }, ...this.configuredMedia() });
    } catch (err) {
      if (err instanceof IceSettingsError) throw new KurentoError('ICE_GATHER_CANDIDATES_ERROR', err.message);
      throw err;
    }
    this.session = session;
    session.on('candidate', (candidate) => this.emit('IceCandidateFound', { candidate }));
    session.on('gatheringDone', () => this.emit('IceGatheringDone'));
    session.on('iceState', (s) => {
      this.iceStates.set(`${s.streamId}_${s.componentId}`, s);
      this.emit('IceComponentStateChanged', { streamId: Number(s.streamId), componentId: s.componentId, state: s.state });
    });
    session.on('candidatePair', (pair) => {
      this.candidatePairs.set(`${pair.streamId}_${pair.componentId}`, pair);
      this.emit('NewCandidatePairSelected', { candidatePair: pair });
    });
    session.on('dtlsState', (s) => {
      this.dtlsStates.set(`${s.streamId}_${s.componentId}`, s);
      this.emit('DtlsConnectionStateChange', s);
    });
    session.on('connection', (state) => this.setConnectionState(state));
    session.on('media', (state) => this.setMediaState(state));
    session.on('rtp', (media) => {
      const kind = media.kind;
      this.markFlowOut(kind, DEFAULT_DESCRIPTION);
      if (this.lastCodecIn.get(kind) !== media.codec) this.lastCodecIn.set(kind, media.codec);
      const out = this.sources.find(kind, DEFAULT_DESCRIPTION);
      if (out && out.links.size > 0) this.pushMedia(out, media);
    });
    session.on('keyframeRequest', (kind) => {
      const input = this.sinks.find(kind, DEFAULT_DESCRIPTION);
      if (input) this.askUpstreamForKeyframe(input);
    });
    session.on('bitrateEstimate', (kind, bps) => {
      this.peerEstimate.set(kind, bps);
      this.reportWantedBitrate();
    });
    session.on('data', (message) => {
      this.markFlowOut('DATA', DEFAULT_DESCRIPTION);
      const out = this.sources.find('DATA', DEFAULT_DESCRIPTION);
      if (out && out.links.size > 0) this.pushMedia(out, message);
    });
    session.on('dataOpened', ({ id }) => this.emit('DataChannelOpened', { channelId: id }));
    session.on('dataClosed', ({ id }) => this.emit('DataChannelClosed', { channelId: id }));
    session.on('failure', (description) => this.emitError('UNEXPECTED_ERROR', KurentoCode.UNEXPECTED_ERROR, description));
    if (this.gatherRequestedEarly) session.gatherCandidates();
    return session;
  }

  private startMediaSession(): void {
    if (this.sessionStarted) return;
    this.sessionStarted = true;
    this.emit('MediaSessionStarted');
    this.rembTimer = setInterval(() => this.sendRemb(), REMB_INTERVAL_MS);
    this.rembTimer.unref();
  }

  private setConnectionState(state: ConnectionState): void {
    if (state === this.connectionState) return;
    const oldState = this.connectionState;
    this.connectionState = state;
    this.emit('ConnectionStateChanged', { oldState, newState: state });
    if (state === 'CONNECTED') {
      // What the pipeline sent before the peer could receive it is lost: a viewer joining a
      // running stream must not wait for the source's next periodic keyframe.
      const video = this.sinks.find('VIDEO', DEFAULT_DESCRIPTION);
      if (video?.link) this.askUpstreamForKeyframe(video);
    }
    if (state === 'DISCONNECTED') {
      // The peer's media stops; what the pipeline sends us still arrives (KMS's in-flow).
      this.endFlow('out');
      if (this.sessionStarted) this.emit('MediaSessionTerminated');
    }
  }

  private setMediaState(state: ConnectionState): void {
    if (state === this.mediaState) return;
    const oldState = this.mediaState;
    this.mediaState = state;
    this.emit('MediaStateChanged', { oldState, newState: state });
    if (state === 'CONNECTED') {
      // A peer that just connected may have started with a picture nobody asked for.
      const video = this.sources.find('VIDEO', DEFAULT_DESCRIPTION);
      if (video && video.links.size > 0) this.session?.requestKeyframe('VIDEO');
    }
  }

  /** What we ask the peer to send at most: what our sinks can take, within our receive limits. */
  private sendRemb(): void {
    const session = this.session;
    if (!session?.isConnected) return;
    const video = this.sources.find('VIDEO', DEFAULT_DESCRIPTION);
    const downstream = video ? this.wantedBitrate(video) : 0;
    session.sendBitrateLimit('VIDEO', this.bandwidth.videoReceiveLimit(downstream));
  }

  /** Tells our upstream what the peer can take from us (its estimate, within our send limits). */
  private reportWantedBitrate(): void {
    const video = this.sinks.find('VIDEO', DEFAULT_DESCRIPTION);
    if (video) this.setWantedBitrate(video, this.bandwidth.videoSendLimit(this.peerEstimate.get('VIDEO')));
  }

  /** Codecs arriving at our sink pads, so our answer can put them first. */
  private codecsFromUpstream(): CodecDescription[] {
    const out: CodecDescription[] = [];
    for (const kind of ['VIDEO', 'AUDIO'] as const) {
      const pad = this.sinks.find(kind, DEFAULT_DESCRIPTION);
      if (pad) out.push(...this.upstreamCodecs(pad));
    }
    return out;
  }

  private sendData(message: DataMedia): boolean {
    const session = this.session;
    if (!session || !this.useDataChannels) return false;
    if (session.sendData(message)) return true;
    return false;
  }
}
