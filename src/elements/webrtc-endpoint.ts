/**
 * WebRtcEndpoint: a browser (or any WebRTC peer) in the pipeline.
 *
 * Media the peer sends leaves through this element's source pads; media reaching its sink pads
 * is sent to the peer. Keyframe requests from downstream become PLIs to the peer; the bitrate the
 * downstream sinks can take becomes the REMB we send it. The session with the peer (SDP, ICE,
 * DTLS, RTP, data channels) lives in `WebRtcSession`.
 */
import { KurentoCode, KurentoError } from '../errors.js';
import type { DataMedia } from '../media/rtp-media.js';
import { DEFAULT_DESCRIPTION, type MediaKind } from '../media/types.js';
import type { IceSettings } from '../transport/webrtc/ice-settings.js';
import { IceSettingsError } from '../transport/webrtc/ice-settings.js';
import type { DtlsKeys } from 'werift';
import { DtlsCertificateError, loadDtlsKeys } from '../transport/webrtc/dtls-certificate.js';
import { WebRtcSession, type WebRtcSessionOptions } from '../transport/webrtc/webrtc-session.js';
import { BaseRtpEndpointImpl, type MediaDirection } from './base-rtp-endpoint.js';
import type { StatsEntry } from './media-element.js';
import type { ObjectInit, Params } from './media-object.js';
import { SpeakingMeter } from './speaking-meter.js';
import { webRtcStats } from './webrtc-stats.js';

/** The level (dBov) at which a peer counts as speaking unless `speakingThreshold` says otherwise: quiet speech, above room noise. */
const DEFAULT_SPEAKING_THRESHOLD_DBOV = -50;

export class WebRtcEndpointImpl extends BaseRtpEndpointImpl {
  private session: WebRtcSession | undefined;
  private readonly mode: MediaDirection;
  private readonly useDataChannels: boolean;
  private readonly certificateKeyType: 'RSA' | 'ECDSA';
  private readonly ice: IceSettings;
  private readonly iceStates = new Map<string, { streamId: string; componentId: number; state: string }>();
  private readonly dtlsStates = new Map<string, { streamId: string; componentId: string; connectionId: string; state: string }>();
  private readonly candidatePairs = new Map<string, { streamId: string; componentId: number; localCandidate: string; remoteCandidate: string }>();
  private readonly speaking = new SpeakingMeter(DEFAULT_SPEAKING_THRESHOLD_DBOV, (speaking, audioLevel) => this.emit('SpeakingStateChanged', { speaking, audioLevel }));

  constructor(init: ObjectInit) {
    super(init);
    const p = init.params;
    if (p.recvonly === true && p.sendonly === true) {
      throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', 'A WebRtcEndpoint cannot be both recvonly and sendonly');
    }
    this.mode = p.recvonly === true ? 'recvonly' : p.sendonly === true ? 'sendonly' : 'sendrecv';
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

  protected override get rtpPeer(): WebRtcSession | undefined {
    return this.session;
  }

  protected override get direction(): MediaDirection {
    return this.mode;
  }

  async processOffer(params: Params): Promise<string> {
    const session = this.openSession();
    const answer = await session.processOffer(params.offer as string, this.codecsFromUpstream());
    this.negotiated();
    return this.gatherRequestedEarly ? ((await session.currentLocalDescription()) ?? answer) : answer;
  }

  async generateOffer(params: Params): Promise<string> {
    const options = (params.options as { offerToReceiveAudio?: boolean; offerToReceiveVideo?: boolean } | undefined) ?? {};
    const session = this.openSession();
    const offer = await session.generateOffer(options.offerToReceiveAudio !== false, options.offerToReceiveVideo !== false);
    return this.gatherRequestedEarly ? ((await session.currentLocalDescription()) ?? offer) : offer;
  }

  async processAnswer(params: Params): Promise<string> {
    if (!this.session) throw BaseRtpEndpointImpl.notOfferGenerated();
    const result = await this.session.processAnswer(params.answer as string);
    this.negotiated();
    return result;
  }

  protected override localDescription(): Promise<string | undefined> | undefined {
    return this.session?.currentLocalDescription();
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

  // Kuroshio's own: which simulcast layers of a publisher this endpoint's peer may get.
  getMaxSimulcastLayer(): number {
    return this.maxSimulcastLayer;
  }
  setMaxSimulcastLayer(p: Params): null {
    this.maxSimulcastLayer = p.maxSimulcastLayer as number;
    this.reportWantedBitrate();
    return null;
  }

  // Kuroshio's own: the level (dBov) of the peer's sound at which it counts as speaking.
  getSpeakingThreshold(): number {
    return this.speaking.thresholdDbov;
  }
  setSpeakingThreshold(p: Params): null {
    const value = p.speakingThreshold as number;
    if (value > 0 || value < -127) throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `speakingThreshold is a level in dBov, from -127 to 0 (got ${value})`);
    this.speaking.thresholdDbov = value;
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

  protected override acceptData(message: DataMedia): void {
    if (this.useDataChannels) this.session?.sendData(message);
  }

  protected override collectStats(kind: MediaKind | undefined): StatsEntry[] {
    const entries = [...super.collectStats(kind), ...webRtcStats(this.id, this.session, kind, this.droppedForCodec)];
    // The peer's own measure of its sound (W3C's field, which KMS's stats type lacks).
    const audioLevel = this.speaking.audioLevel;
    if (audioLevel !== undefined) for (const e of entries) if (e.__type__ === 'RTCInboundRTPStreamStats' && e.mediaTrackId === 'audio') e.audioLevel = audioLevel;
    return entries;
  }

  /**
   * Ends the peer's session (a WHIP or WHEP client's DELETE): the connection closes, with the
   * events of a peer that went away (ConnectionStateChanged, MediaSessionTerminated), and the
   * element stays the application's. The closed session is kept, so a new offer is refused as
   * already negotiated, as for any endpoint that negotiated once.
   */
  async endPeerSession(): Promise<void> {
    await this.session?.close();
  }

  override async release(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    this.speaking.close();
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
      session = new WebRtcSession({ direction: this.mode, useDataChannels: this.useDataChannels, ice: { ...this.ice }, ...this.configuredMedia() });
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
    this.followSession(session);
    session.on('rtp', (media) => {
      if (media.kind === 'AUDIO') this.speaking.onPacket(media.buffer, session.remoteDescription);
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
}
