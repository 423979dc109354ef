/**
 * BaseRtpEndpoint: what WebRtcEndpoint and RtpEndpoint share — an RTP peer session behind SDP,
 * mapped to Kurento's API and the media plane.
 *
 * - Media the peer sends leaves through the source pads; media reaching the sink pads is sent to
 *   the peer in a codec it negotiated (the sink pads' caps are the peer's codecs, so the
 *   decoded-media layer transcodes what it does not take).
 * - Keyframe requests from downstream become keyframe requests to the peer; the bitrate the
 *   downstream sinks can take becomes the REMB we send it (within `min/maxVideoRecvBandwidth`);
 *   the peer's own REMB, within `min/maxVideoSendBandwidth`, is what we tell upstream.
 * - ConnectionStateChanged and MediaStateChanged follow the session, with KMS's side effects:
 *   a peer that connects gets a keyframe from upstream at once, one that leaves ends the flows.
 * - The SdpEndpoint state machine (who offered, who answered) and its KMS error codes.
 *
 * Subclasses open the session (`openSession`) and wire its events with `followSession`.
 */
import type { LayerPreference } from '../media/simulcast/layer-policy.js';
import { KurentoError } from '../errors.js';
import { ANY_CAPS, type SinkCaps } from '../media/processing/caps.js';
import { sameCodec, type CodecDescription, type MediaUnit, type RtpMedia } from '../media/rtp-media.js';
import { DEFAULT_DESCRIPTION } from '../media/types.js';
import type { StreamCounters } from '../rtp/stream-counters.js';
import { BandwidthSettings } from './bandwidth.js';
import { KeyframeWatch } from './keyframe-watch.js';
import type { ElementLink, ElementPadSink, ElementPadSource } from './media-element.js';
import { MediaElementImpl } from './media-element.js';
import type { MediaCounters, Params } from './media-object.js';

export type RtpKind = 'AUDIO' | 'VIDEO';
export type PeerState = 'CONNECTED' | 'DISCONNECTED';
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly';

/** How often the REMB we send the peer is refreshed. */
const REMB_INTERVAL_MS = 1000;

/** The events an RTP peer session raises that this base maps to Kurento's. */
export interface RtpPeerEvents {
  /** The transport with the peer is usable (CONNECTED) or lost (DISCONNECTED). */
  connection: [PeerState];
  /** RTCP from the peer seen (CONNECTED) or the media session ended (DISCONNECTED). */
  media: [PeerState];
  rtp: [RtpMedia];
  keyframeRequest: [RtpKind];
  /** The peer's receiver estimate for what we send (REMB), bits per second. */
  bitrateEstimate: [RtpKind, number, boolean];
  /** The share of what we send that the peer reports lost (receiver reports), 0..1. */
  receiverLoss: [RtpKind, number];
  /** Something failed after negotiation (reported as the element's Error event). */
  failure: [string];
}

/** What this base needs of a negotiated session with a peer (WebRtcSession, RtpPeerSession). */
export interface RtpPeerSession {
  on<K extends keyof RtpPeerEvents>(event: K, listener: (...args: RtpPeerEvents[K]) => void): unknown;
  readonly isConnected: boolean;
  /** The peer's SDP (its offer or its answer), once given. */
  readonly remoteDescription: string | undefined;
  /** Sends a packet in a codec the peer negotiated; false when it cannot (no such codec, not yet). */
  sendRtp(media: RtpMedia): boolean;
  /** Whether the session negotiated the kind in a direction that lets us send it. */
  canSend(kind: RtpKind): boolean;
  /** Codecs the peer accepts from us for a kind, in its order of preference. */
  sendCodecs(kind: RtpKind): CodecDescription[];
  /** Codecs the peer may send us for a kind. */
  receiveCodecs(kind: RtpKind): CodecDescription[];
  /** Asks the peer for a keyframe of what it sends; false when there is nothing to ask. */
  requestKeyframe(kind: RtpKind): boolean;
  /** Tells the peer the most we want to receive of a kind (REMB), in bits per second. */
  sendBitrateLimit(kind: RtpKind, bitsPerSecond: number): void;
  /** Where the peer's wishes for the spatial layers of VP9 SVC come from; sessions that cannot drop layers lack it. */
  setLayerPreference?(preference: () => LayerPreference | undefined): void;
  /** Whether the video sent to the peer is VP9 with spatial layers (SVC). */
  forwardsSpatialLayers?(): boolean;
  /** RTP counters of each stream, in and out. */
  streamCounters(): StreamCounters[];
}

export abstract class BaseRtpEndpointImpl extends MediaElementImpl {
  readonly bandwidth = new BandwidthSettings();
  private connectionState: PeerState = 'DISCONNECTED';
  private mediaState: PeerState = 'DISCONNECTED';
  /** Lowest receiver estimate the peer reported for what we send (bits/s), per kind. */
  private readonly peerEstimate = new Map<RtpKind, number>();
  /** Whether the video estimate is our own, kept up to date by probes (not the peer's REMB). */
  private peerEstimateMeasured = false;
  /** Asks upstream for the key frame a newly connected peer needs, again until one went out. */
  private readonly keyframeWatch = new KeyframeWatch(() => {
    const video = this.sinks.find('VIDEO', DEFAULT_DESCRIPTION);
    if (video?.link) this.askUpstreamForKeyframe(video);
  });
  private rembTimer: NodeJS.Timeout | undefined;
  private sessionStarted = false;
  private readonly lastCodecIn = new Map<RtpKind, CodecDescription>();
  /** Packets that could not be sent because the peer did not negotiate their codec. */
  droppedForCodec = 0;

  /** The session with the peer, once one exists. */
  protected abstract get rtpPeer(): RtpPeerSession | undefined;
  /** What this endpoint does with media (WebRtcEndpoint's recvonly/sendonly). */
  protected get direction(): MediaDirection {
    return 'sendrecv';
  }

  // ---- SdpEndpoint ----------------------------------------------------------------------------

  /** KMS's answer to processAnswer when no offer of ours waits for one. */
  protected static notOfferGenerated(): KurentoError {
    return new KurentoError('SDP_END_POINT_NOT_OFFER_GENERATED', 'Offer not generated. It is not possible to process an answer.');
  }

  /** Our SDP as it stands now (an offer or an answer), once made. */
  protected abstract localDescription(): Promise<string | undefined> | string | undefined;

  async getLocalSessionDescriptor(): Promise<string> {
    const sdp = await this.localDescription();
    if (!sdp) throw new KurentoError('SDP_END_POINT_NO_LOCAL_SDP_ERROR', 'No local SDP');
    return sdp;
  }

  getRemoteSessionDescriptor(): string {
    const sdp = this.rtpPeer?.remoteDescription;
    if (!sdp) throw new KurentoError('SDP_END_POINT_NO_REMOTE_SDP_ERROR', 'No remote SDP');
    return sdp;
  }

  /** The session is negotiated (processOffer answered, or processAnswer applied). */
  protected negotiated(): void {
    this.capsChanged();
    if (this.sessionStarted) return;
    this.sessionStarted = true;
    this.emit('MediaSessionStarted');
    this.rembTimer = setInterval(() => this.sendRemb(), REMB_INTERVAL_MS);
    this.rembTimer.unref();
  }

  // ---- BaseRtpEndpoint properties -------------------------------------------------------------

  getMediaState(): string {
    return this.mediaState;
  }

  getConnectionState(): string {
    return this.connectionState;
  }

  requestKeyframe(): null {
    if (!this.rtpPeer?.requestKeyframe('VIDEO')) {
      throw new KurentoError('MEDIA_OBJECT_OPERATION_NOT_SUPPORTED', 'Keyframe request failed: no video is being received');
    }
    return null;
  }

  // Bandwidth in KMS units (kbit/s).
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
    this.sendRemb();
    return null;
  }
  getMinVideoRecvBandwidth(): number {
    return this.bandwidth.minVideoRecv;
  }
  setMinVideoRecvBandwidth(p: Params): null {
    this.bandwidth.minVideoRecv = p.minVideoRecvBandwidth as number;
    this.sendRemb();
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
    this.bandwidth.maxVideoSendSet = true;
    this.reportWantedBitrate();
    return null;
  }

  // ---- media plane ----------------------------------------------------------------------------

  /**
   * Media from the pipeline goes to the peer. Its arrival is the endpoint's in-flow, whether or
   * not the peer can take it yet (KMS counts buffers reaching the element's sink pads).
   */
  override acceptMedia(pad: ElementPadSink, unit: MediaUnit): void {
    this.markFlowIn(unit.kind, pad.description);
    const peer = this.rtpPeer;
    if (pad.description !== DEFAULT_DESCRIPTION || !peer) return;
    if (unit.kind === 'DATA') {
      this.acceptData(unit);
      return;
    }
    if (this.direction === 'recvonly') return;
    if (peer.sendRtp(unit)) {
      if (unit.kind === 'VIDEO') this.keyframeWatch.onSent(unit);
    } else if (peer.canSend(unit.kind)) {
      this.droppedForCodec++;
    }
  }

  /** A data-channel message from the pipeline; endpoints without data channels drop it. */
  protected acceptData(_unit: MediaUnit & { kind: 'DATA' }): void {}

  /** Downstream wants a keyframe of what the peer sends us. */
  override onKeyframeRequest(pad: ElementPadSource): void {
    if (pad.kind === 'VIDEO') this.rtpPeer?.requestKeyframe('VIDEO');
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
    const peer = this.rtpPeer;
    if (pad.kind === 'DATA' || !peer || this.direction === 'recvonly' || pad.description !== DEFAULT_DESCRIPTION) return ANY_CAPS;
    const codecs = peer.sendCodecs(pad.kind);
    return codecs.length > 0 ? { accepts: 'encoded', codecs } : ANY_CAPS;
  }

  /** What the peer sends us is what this element produces. */
  override producedCodecs(pad: ElementPadSource): CodecDescription[] {
    const peer = this.rtpPeer;
    if (pad.kind === 'DATA' || !peer) return [];
    const seen = this.lastCodecIn.get(pad.kind);
    const negotiated = peer.receiveCodecs(pad.kind);
    return seen ? [seen, ...negotiated.filter((c) => !sameCodec(c, seen))] : negotiated;
  }

  /** The worker's metrics: the media layer's figures and the RTP streams with the peer. */
  override mediaCounters(): MediaCounters {
    const processing = super.mediaCounters();
    const streams = (this.rtpPeer?.streamCounters() ?? []).map((c) => ({
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

  override release(): void {
    if (this.rembTimer) clearInterval(this.rembTimer);
    this.endFlows();
    super.release();
  }

  // ---- the session's events -------------------------------------------------------------------

  /** Maps a session's events to the element's: call once when the session is made. */
  protected followSession(session: RtpPeerSession): void {
    // The spatial layers of an SVC stream are chosen where the session sends, as this endpoint's
    // sink pad states its wishes for simulcast layers.
    session.setLayerPreference?.(() => this.sinks.find('VIDEO', DEFAULT_DESCRIPTION)?.layerPreference);
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
    session.on('bitrateEstimate', (kind, bps, measured) => {
      this.peerEstimate.set(kind, bps);
      if (kind === 'VIDEO') this.peerEstimateMeasured = measured;
      this.reportWantedBitrate();
    });
    session.on('receiverLoss', (kind, fraction) => {
      const video = this.sinks.find('VIDEO', DEFAULT_DESCRIPTION);
      if (kind === 'VIDEO' && video?.layerPreference) video.layerPreference = { ...video.layerPreference, loss: fraction, lossAtMs: Date.now() };
    });
  }

  private setConnectionState(state: PeerState): void {
    if (state === this.connectionState) return;
    const oldState = this.connectionState;
    this.connectionState = state;
    this.emit('ConnectionStateChanged', { oldState, newState: state });
    if (state === 'CONNECTED') {
      // What the pipeline sent before the peer could receive it is lost: a viewer joining a
      // running stream must not wait for the source's next periodic keyframe.
      const video = this.sinks.find('VIDEO', DEFAULT_DESCRIPTION);
      if (video?.link) this.keyframeWatch.start(Date.now());
    }
    if (state === 'DISCONNECTED') {
      // The peer's media stops; what the pipeline sends us still arrives (KMS's in-flow).
      this.endFlow('out');
      if (this.sessionStarted) this.emit('MediaSessionTerminated');
    }
  }

  private setMediaState(state: PeerState): void {
    if (state === this.mediaState) return;
    const oldState = this.mediaState;
    this.mediaState = state;
    this.emit('MediaStateChanged', { oldState, newState: state });
    if (state === 'CONNECTED') {
      // A peer that just connected may have started with a picture nobody asked for.
      const video = this.sources.find('VIDEO', DEFAULT_DESCRIPTION);
      if (video && video.links.size > 0) this.rtpPeer?.requestKeyframe('VIDEO');
    }
  }

  /** What we ask the peer to send at most: what our sinks can take, within our receive limits. */
  private sendRemb(): void {
    const peer = this.rtpPeer;
    if (!peer?.isConnected) return;
    const video = this.sources.find('VIDEO', DEFAULT_DESCRIPTION);
    const downstream = video ? this.wantedBitrate(video) : 0;
    peer.sendBitrateLimit('VIDEO', this.bandwidth.videoReceiveLimit(downstream));
  }

  /**
   * Tells our upstream what the peer can take from us (its estimate, within our send limits), and
   * a simulcast source which of its layers fits.
   */
  protected reportWantedBitrate(): void {
    const video = this.sinks.find('VIDEO', DEFAULT_DESCRIPTION);
    if (!video) return;
    const estimate = this.peerEstimate.get('VIDEO');
    video.layerPreference = { estimateBps: this.bandwidth.layerBudget(estimate), maxLayer: this.maxSimulcastLayer, measured: this.peerEstimateMeasured, ...(video.layerPreference ? { loss: video.layerPreference.loss, lossAtMs: video.layerPreference.lossAtMs } : {}) };
    // A peer getting the spatial layers of an SVC stream that fit it (chosen where its session
    // sends) does not lower what the publisher sends, as a simulcast viewer does not.
    const layered = this.rtpPeer?.forwardsSpatialLayers?.() === true;
    this.setWantedBitrate(video, layered ? 0 : this.bandwidth.videoSendLimit(estimate));
  }

  /** The highest simulcast layer this endpoint's peer gets (0 the lowest; -1 no limit). */
  protected maxSimulcastLayer = -1;

  /** Codecs arriving at our sink pads, so our SDP can put them first. */
  protected codecsFromUpstream(): CodecDescription[] {
    const out: CodecDescription[] = [];
    for (const kind of ['VIDEO', 'AUDIO'] as const) {
      const pad = this.sinks.find(kind, DEFAULT_DESCRIPTION);
      if (pad) out.push(...this.upstreamCodecs(pad));
    }
    return out;
  }
}
