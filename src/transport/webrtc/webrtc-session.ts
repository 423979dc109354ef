/**
 * One WebRTC session with a remote peer, on werift, behind an interface of our own: SDP offer and
 * answer, trickle ICE with Kurento's semantics, DTLS-SRTP, RTP in and out per media kind, RTCP
 * feedback (PLI/FIR/REMB), and SCTP data channels.
 *
 * The element layer (WebRtcEndpoint) speaks only to this class, so the transport underneath can
 * change without touching the element. This class negotiates, keeps the connection state and
 * wires the parts that live beside it to the peer connection:
 *
 * - `trickle-ice.ts`: local candidates held until `gatherCandidates`, remote ones queued until
 *   the offer, ICE states as KMS reports them;
 * - `media-path.ts`: RTP and RTCP, through werift (`werift-media-path.ts`) until DTLS connects,
 *   then through our own RTP session (`fast-media-path.ts`);
 * - `data-channels.ts`: SCTP data channels;
 * - `keyframe-spacing.ts`, `peer-liveness.ts`, `datagram-counter.ts`.
 */
import type { LayerPreference } from '../../media/simulcast/layer-policy.js';
import { RTCPeerConnection, type DtlsKeys, type RTCRtpCodecParameters, type RTCRtpTransceiver } from 'werift';
import { KurentoError } from '../../errors.js';
import { codecName, sameCodec, type CodecDescription, type DataMedia, type RtpMedia } from '../../media/rtp-media.js';
import { TypedEmitter } from '../../typed-emitter.js';
import { allowedCodecs, audioCodecs, headerExtensions, videoCodecs } from './codecs.js';
import { DataChannels, type DataChannelOptions, type DataChannelState } from './data-channels.js';
import { DatagramCounter } from './datagram-counter.js';
import { attachFastPath, fastPathEnabled, type FastMediaPath } from './fast-media-path.js';
import { toPeerConfig, type IceSettings } from './ice-settings.js';
import { KeyframeSpacing } from './keyframe-spacing.js';
import { closePeerConnection } from './close-peer-connection.js';
import { installNativeX25519 } from './native-x25519.js';
import type { MediaPath, RtpKind, StreamCounters } from './media-path.js';
import { PeerLiveness, receivedOnSelectedPair } from './peer-liveness.js';
import { assertSdp, checkSdpText } from '../sdp-check.js';
import { keepTransportCcWhereSendOnly } from './header-extension-sdp.js';
import { splitOffer } from './offer-lines.js';
import { answerRestart, assertIceRestart, startRestartedIce } from './ice-restart.js';
import { describeCodec, isMediaCodec, receivingTransceiver, sendingTransceiver, toKind } from './transceivers.js';
import { COMPONENT_ID, STREAM_ID, TrickleIce, type IceCandidateInfo, type IceComponentState } from './trickle-ice.js';
import { WeriftMediaPath } from './werift-media-path.js';

// DTLS key exchanges on OpenSSL rather than werift's JavaScript (see native-x25519.ts).
installNativeX25519();

export type { IceCandidateInfo, IceComponentState, RtpKind, StreamCounters };
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly';
export type DtlsState = 'NEW' | 'CLOSED' | 'FAILED' | 'CONNECTING' | 'CONNECTED';

export interface WebRtcSessionOptions {
  /** What this side does with media: `recvonly` endpoints never send, `sendonly` never receive. */
  direction: MediaDirection;
  useDataChannels: boolean;
  ice: IceSettings;
  /** The codecs the configuration allows, by kind (`VP8/90000`); all when absent. */
  allowedCodecs?: { audio?: readonly string[]; video?: readonly string[] };
  /** A configured DTLS certificate; werift makes one per session when absent. */
  dtlsKeys?: DtlsKeys;
}

export interface WebRtcSessionEvents {
  /** A local candidate to announce (only after `gatherCandidates`). */
  candidate: [IceCandidateInfo];
  gatheringDone: [];
  iceState: [{ streamId: string; componentId: number; state: IceComponentState }];
  candidatePair: [{ streamId: string; componentId: number; localCandidate: string; remoteCandidate: string }];
  dtlsState: [{ streamId: string; componentId: string; connectionId: string; state: DtlsState }];
  /** ICE+DTLS usable (CONNECTED) or lost (DISCONNECTED). */
  connection: ['CONNECTED' | 'DISCONNECTED'];
  /** RTCP from the peer seen (CONNECTED) or the session ended (DISCONNECTED). */
  media: ['CONNECTED' | 'DISCONNECTED'];
  rtp: [RtpMedia];
  keyframeRequest: [RtpKind];
  /** The peer's receiver estimate for what we send (REMB), bits per second. */
  bitrateEstimate: [RtpKind, number, boolean];
  /** The share of what we send that the peer reports lost (receiver reports), 0..1. */
  receiverLoss: [RtpKind, number];
  dataOpened: [{ id: number; label: string }];
  dataClosed: [{ id: number; label: string }];
  data: [DataMedia];
  /** Something failed after negotiation (reported as the element's Error event). */
  failure: [string];
}

/** Minimum spacing of keyframe requests sent to the peer; requests in between are merged. */
const KEYFRAME_REQUEST_SPACING_MS = 300;

const DTLS_STATES: Record<string, DtlsState> = { new: 'NEW', connecting: 'CONNECTING', connected: 'CONNECTED', failed: 'FAILED', closed: 'CLOSED' };

export class WebRtcSession extends TypedEmitter<WebRtcSessionEvents> {
  private pc: RTCPeerConnection | undefined;
  private readonly ice: TrickleIce;
  private readonly channels = new DataChannels();
  /** werift's RTP stack: the media path until the fast path takes over (and after close, none). */
  private werift: WeriftMediaPath | undefined;
  private fast: FastMediaPath | undefined;
  private readonly keyframeSpacing = new KeyframeSpacing(KEYFRAME_REQUEST_SPACING_MS, (kind) => {
    if (!this.closed) this.requestKeyframe(kind);
  });
  /** Reports a peer that vanished without a goodbye long before ICE consent expires. */
  private readonly liveness = new PeerLiveness(
    () => (this.pc ? receivedOnSelectedPair(this.pc) : undefined),
    (alive) => this.setConnected(alive),
  );
  private readonly datagrams = new DatagramCounter();
  private readonly watchedDtls = new WeakSet<object>();
  private connected = false;
  private mediaConnected = false;
  private closed = false;
  /** `answered`: we answered the peer's offer; `negotiated`: the peer answered ours. */
  private offerState: 'none' | 'offer-generated' | 'answered' | 'negotiated' = 'none';
  private localSdp: string | undefined;
  private remoteSdp: string | undefined;
  /** setLocalDescription runs in the background (it gathers); later steps wait for it. */
  private applyingLocal: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: WebRtcSessionOptions) {
    super();
    this.ice = new TrickleIce(options.ice);
    this.ice.on('candidate', (candidate) => this.emit('candidate', candidate));
    this.ice.on('gatheringDone', () => this.emit('gatheringDone'));
    this.ice.on('iceState', (state) => this.emit('iceState', state));
    this.ice.on('candidatePair', (pair) => this.emit('candidatePair', pair));
    this.channels.on('dataOpened', (channel) => this.emit('dataOpened', channel));
    this.channels.on('dataClosed', (channel) => this.emit('dataClosed', channel));
    this.channels.on('data', (message) => this.emit('data', message));
  }

  get localDescription(): string | undefined {
    return this.localSdp;
  }

  get remoteDescription(): string | undefined {
    return this.remoteSdp;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  // ---- negotiation ----------------------------------------------------------------------------

  /**
   * Answers a remote offer. `preferred` codecs (the ones already flowing) go first. Lines WebRTC
   * cannot serve are rejected in the answer (port 0), as KMS does, not the whole offer; a failed
   * offer leaves the session as it was, ready for a good one.
   */
  async processOffer(offer: string, preferred: readonly CodecDescription[] = []): Promise<string> {
    if (this.offerState === 'answered' && this.pc && this.remoteSdp) return this.restartIce(offer);
    if (this.offerState !== 'none') throw new KurentoError('SDP_END_POINT_ALREADY_NEGOTIATED', 'Endpoint already negotiated');
    assertSdp(offer, 'offer', checkSdpText);
    const lines = splitOffer(offer);
    if (!lines.forWerift) {
      // Nothing to negotiate: every line is rejected, and no connection is made.
      this.remoteSdp = offer;
      this.offerState = 'answered';
      this.localSdp = lines.rejectAll(Math.floor(Math.random() * 2 ** 31));
      return this.localSdp;
    }
    assertSdp(lines.forWerift, 'offer');
    this.ice.setLineMap(lines.lineMap);
    const { pc, werift } = this.createPeerConnection();
    let answer: string;
    try {
      pc.onRemoteTransceiverAdded.subscribe((transceiver) => this.adoptRemoteTransceiver(transceiver, preferred, werift));
      try {
        await pc.setRemoteDescription({ type: 'offer', sdp: lines.forWerift });
      } catch (err) {
        throw new KurentoError('SDP_END_POINT_PROCESS_OFFER_ERROR', `Error processing offer: ${(err as Error).message}`);
      }
      this.assertCommonCodecs(pc, lines.forWerift);
      answer = (await pc.createAnswer()).sdp;
    } catch (err) {
      await this.abandonPeerConnection();
      if (err instanceof KurentoError) throw err;
      throw new KurentoError('SDP_END_POINT_PROCESS_OFFER_ERROR', `Error processing offer: ${(err as Error).message}`);
    }
    this.datagrams.attach(pc);
    this.remoteSdp = offer;
    this.offerState = 'answered';
    this.applyLocal(answer, 'answer');
    await this.ice.flushRemoteCandidates();
    this.localSdp = lines.completeAnswer(this.finishLocalSdp(answer));
    this.completeAnswer = (sdp) => lines.completeAnswer(sdp);
    return this.localSdp;
  }

  /**
   * A second offer from the peer. One that only changed its ICE credentials (`restartIce()`) is
   * an ICE restart: werift's agent restarts under the same DTLS transport (`ice-restart.ts`),
   * gathers again and checks the peer's new candidates, while DTLS, SRTP, the RTP session and its
   * streams carry on. Any other second offer is refused, as KMS refuses them all.
   */
  private async restartIce(offer: string): Promise<string> {
    assertSdp(offer, 'offer', checkSdpText);
    assertIceRestart(this.remoteSdp!, offer, this.localSdp ?? '', this.restarting);
    const lines = splitOffer(offer);
    assertSdp(lines.forWerift ?? '', 'offer');
    const pc = this.pc!;
    this.restarting = true;
    try {
      await this.applyingLocal;
      this.ice.beginRestart();
      let answer: string;
      try {
        answer = await answerRestart(pc, lines.forWerift!);
      } finally {
        await this.ice.endRestart();
      }
      this.remoteSdp = offer;
      this.applyLocal(answer, 'answer');
      this.applyingLocal = this.applyingLocal.then(() => {
        if (this.closed || this.pc !== pc) return;
        // A failed check list is reported by the ICE state (FAILED), like the first one's.
        startRestartedIce(pc).catch(() => undefined);
      });
      this.localSdp = lines.completeAnswer(this.finishLocalSdp(answer));
      return this.localSdp;
    } finally {
      this.restarting = false;
    }
  }

  private restarting = false;

  /** Puts the lines werift never saw back into an answer of ours (identity when it saw them all). */
  private completeAnswer: (sdp: string) => string = (sdp) => sdp;

  /** Undoes a peer connection whose offer failed, so the next offer starts from nothing. */
  private async abandonPeerConnection(): Promise<void> {
    const pc = this.pc;
    this.pc = undefined;
    this.werift?.close();
    this.werift = undefined;
    this.ice.detach();
    this.ice.setLineMap(undefined);
    if (pc) await pc.close();
  }

  /** Makes an offer for the peer (the server-initiated flow). */
  async generateOffer(offerAudio: boolean, offerVideo: boolean): Promise<string> {
    if (this.offerState !== 'none') throw new KurentoError('SDP_END_POINT_ALREADY_NEGOTIATED', 'Endpoint already negotiated');
    const { pc, werift } = this.createPeerConnection();
    const direction = this.options.direction;
    if (offerAudio) werift.watchTransceiver(pc.addTransceiver('audio', { direction }));
    if (offerVideo) werift.watchTransceiver(pc.addTransceiver('video', { direction }));
    if (this.options.useDataChannels) this.channels.watch(pc.createDataChannel('kurento'));
    const offer = (await pc.createOffer()).sdp;
    this.offerState = 'offer-generated';
    this.applyLocal(offer, 'offer');
    this.localSdp = this.finishLocalSdp(offer);
    return this.localSdp;
  }

  async processAnswer(answer: string): Promise<string> {
    // KMS: after processOffer no offer of ours awaits an answer, so that is NOT_OFFER_GENERATED too.
    if (this.offerState === 'none' || this.offerState === 'answered') {
      throw new KurentoError('SDP_END_POINT_NOT_OFFER_GENERATED', 'Offer not generated. It is not possible to process an answer.');
    }
    if (this.offerState === 'negotiated') throw new KurentoError('SDP_END_POINT_ANSWER_ALREADY_PROCCESED', 'Sdp Answer already processed');
    assertSdp(answer, 'answer');
    await this.applyingLocal;
    try {
      await this.pc!.setRemoteDescription({ type: 'answer', sdp: answer });
    } catch (err) {
      throw new KurentoError('SDP_END_POINT_PROCESS_ANSWER_ERROR', `Error processing answer: ${(err as Error).message}`);
    }
    this.offerState = 'negotiated';
    this.datagrams.attach(this.pc!);
    this.remoteSdp = answer;
    await this.ice.flushRemoteCandidates();
    return this.localSdp ?? '';
  }

  /** The local description, with the candidates gathered so far once gathering was requested. */
  async currentLocalDescription(): Promise<string | undefined> {
    if (!this.pc || !this.localSdp) return this.localSdp;
    await this.applyingLocal;
    const full = this.pc.localDescription?.sdp;
    if (!full) return this.localSdp;
    return this.completeAnswer(this.ice.gathering ? this.ice.withAllowedCandidates(full) : this.finishLocalSdp(full));
  }

  // ---- ICE ------------------------------------------------------------------------------------

  /** Starts announcing local candidates (KMS's `gatherCandidates`). */
  gatherCandidates(): void {
    this.ice.gatherCandidates();
  }

  /** Adds a remote candidate; before negotiation it is queued, as browsers often send them early. */
  async addIceCandidate(candidate: IceCandidateInfo): Promise<void> {
    await this.ice.addRemoteCandidate(candidate, Boolean(this.remoteSdp));
  }

  /** The selected pair as KMS reports it: candidate attributes, `candidate:` prefix included. */
  selectedPair(): { local: string; remote: string } | undefined {
    return this.ice.selectedPair();
  }

  // ---- media ----------------------------------------------------------------------------------

  /**
   * Sends an RTP packet of a given codec to the peer on the first transceiver of its kind that
   * sends. Returns false (the packet is dropped) when the peer did not negotiate that codec or
   * the session cannot send yet.
   */
  sendRtp(media: RtpMedia): boolean {
    return this.media?.sendRtp(media) ?? false;
  }

  /** Asks the peer for a keyframe of what it sends us (PLI), at most once per spacing. */
  requestKeyframe(kind: RtpKind = 'VIDEO'): boolean {
    const path = this.media;
    if (!path?.canRequestKeyframe(kind)) return false;
    if (this.keyframeSpacing.merged(kind)) return true;
    return path.requestKeyframe(kind);
  }

  /** Tells the peer the most we want to receive of a kind (REMB), in bits per second. */
  sendBitrateLimit(kind: RtpKind, bitsPerSecond: number): void {
    if (this.connected) this.media?.sendRemb(kind, bitsPerSecond);
  }

  /** Where the peer's wishes for the spatial layers of VP9 SVC come from, on this path and the next. */
  setLayerPreference(preference: () => LayerPreference | undefined): void {
    this.layerPreference = preference;
    this.media?.setLayerPreference(preference);
  }

  private layerPreference: () => LayerPreference | undefined = () => undefined;

  /** Whether the video sent to the peer is VP9 with spatial layers (SVC). */
  forwardsSpatialLayers(): boolean {
    return this.media?.forwardsSpatialLayers() ?? false;
  }

  /** Whether the session negotiated the kind in a direction that lets us send it. */
  canSend(kind: RtpKind): boolean {
    return sendingTransceiver(this.pc, kind) !== undefined;
  }

  /** Codecs the peer accepts from us for a kind, in its order of preference. */
  sendCodecs(kind: RtpKind): CodecDescription[] {
    return (sendingTransceiver(this.pc, kind)?.codecs ?? []).filter(isMediaCodec).map(describeCodec);
  }

  /** Codecs the peer may send us for a kind. */
  receiveCodecs(kind: RtpKind): CodecDescription[] {
    return (receivingTransceiver(this.pc, kind)?.codecs ?? []).filter(isMediaCodec).map(describeCodec);
  }

  ssrcOfSender(kind: RtpKind): number | undefined {
    return this.werift?.ssrcOfSender(kind);
  }

  /** Per-stream RTP counters of the current media path. */
  streamCounters(): StreamCounters[] {
    return this.media?.streamCounters() ?? [];
  }

  /** Bytes through the DTLS transport, and datagrams dropped as unreadable, or undefined before there is a transport. */
  transportCounters(): { bytesSent: number; bytesReceived: number; packetsDiscarded: number } | undefined {
    const dtls = this.pc?.dtlsTransports[0];
    if (!dtls) return undefined;
    // The fast path carries media outside werift's DTLS transport: add what it counted.
    const bypass = this.media?.bypassCounters();
    return {
      bytesSent: dtls.bytesSent + (bypass?.bytesSent ?? 0),
      bytesReceived: dtls.bytesReceived + (bypass?.bytesReceived ?? 0),
      packetsDiscarded: this.datagrams.discarded + (bypass?.dropped ?? 0),
    };
  }

  // ---- data channels --------------------------------------------------------------------------

  createDataChannel(label: string, options: DataChannelOptions): void {
    if (!this.pc || !this.options.useDataChannels) {
      throw new KurentoError('MEDIA_OBJECT_OPERATION_NOT_SUPPORTED', 'Data channels are not enabled on this endpoint (useDataChannels)');
    }
    this.channels.create(this.pc, label, options);
  }

  closeDataChannel(id: number): void {
    this.channels.close(id);
  }

  /** Sends a message on the open channel with this label; returns false if there is none. */
  sendData(message: DataMedia): boolean {
    return this.channels.send(message);
  }

  dataChannelStates(): DataChannelState[] {
    return this.channels.states();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.keyframeSpacing.cancel();
    const pc = this.pc;
    this.pc = undefined;
    this.ice.detach();
    if (this.mediaConnected) this.emit('media', 'DISCONNECTED');
    if (this.connected) this.emit('connection', 'DISCONNECTED');
    this.mediaConnected = false;
    this.connected = false;
    this.fast?.close();
    this.fast = undefined;
    this.werift?.close();
    this.werift = undefined;
    this.liveness.stop();
    if (pc) await closePeerConnection(pc, this.applyingLocal);
    this.removeAllListeners();
  }

  // ---- internals ------------------------------------------------------------------------------

  /** What carries the media now: our RTP session once it took over, werift's before. */
  private get media(): MediaPath | undefined {
    return this.fast ?? this.werift;
  }

  private createPeerConnection(): { pc: RTCPeerConnection; werift: WeriftMediaPath } {
    const pc = new RTCPeerConnection({
      ...toPeerConfig(this.options.ice),
      codecs: { audio: allowedCodecs(audioCodecs(), this.options.allowedCodecs?.audio), video: allowedCodecs(videoCodecs(), this.options.allowedCodecs?.video) },
      ...(this.options.dtlsKeys ? { dtls: { keys: this.options.dtlsKeys } } : {}),
      headerExtensions: headerExtensions(),
      bundlePolicy: 'max-bundle',
    });
    this.pc = pc;
    const werift = new WeriftMediaPath(pc);
    this.werift = werift;
    this.follow(werift);
    this.ice.attach(pc);
    pc.iceConnectionStateChange.subscribe((state) => {
      if (this.ice.onIceState(state)) this.watchDtls();
      // After an ICE restart of a peer werift had given up on, its connection state stays
      // 'failed' or 'disconnected' (only its connect() sets 'connected', and a restart under a
      // connected DTLS transport skips it): a pair checked again under that DTLS is CONNECTED.
      if (state === 'connected' && pc.dtlsTransports[0]?.state === 'connected') this.setConnected(true);
    });
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') this.setConnected(true);
      else if (state === 'failed' || state === 'closed' || state === 'disconnected') this.setConnected(false);
    });
    pc.onDataChannel.subscribe((channel) => this.channels.watch(channel));
    pc.onTransceiverAdded.subscribe((transceiver) => werift.watchTransceiver(transceiver));
    return { pc, werift };
  }

  /** Passes on what the peer sends through a media path, and gives it what this session was told. */
  private follow(path: MediaPath): void {
    path.setLayerPreference(this.layerPreference);
    path.on('rtp', (media) => this.emit('rtp', media));
    path.on('keyframeRequest', (kind) => this.emit('keyframeRequest', kind));
    path.on('bitrateEstimate', (kind, bps, measured) => this.emit('bitrateEstimate', kind, bps, measured));
    path.on('receiverLoss', (kind, fraction) => this.emit('receiverLoss', kind, fraction));
    path.on('rtcp', () => this.setMediaConnected());
    path.on('failure', (description) => this.emit('failure', description));
  }

  /** Remote m-lines become transceivers; they send too unless this endpoint is receive-only. */
  private adoptRemoteTransceiver(transceiver: RTCRtpTransceiver, preferred: readonly CodecDescription[], werift: WeriftMediaPath): void {
    transceiver.setDirection(this.options.direction);
    const kind = toKind(transceiver.kind);
    const first = preferred.filter((p) => (kind === 'AUDIO') === p.mimeType.toLowerCase().startsWith('audio/'));
    if (first.length > 0) {
      const ordered = [...transceiver.codecs].sort((a, b) => rank(a) - rank(b));
      transceiver.setCodecPreferences(ordered);
    }
    werift.watchTransceiver(transceiver);
    function rank(codec: RTCRtpCodecParameters): number {
      const index = first.findIndex((p) => sameCodec(p, describeCodec(codec)));
      return index < 0 ? first.length : index;
    }
  }

  /** An offer whose audio/video m-lines share no codec with us cannot be answered usefully. */
  private assertCommonCodecs(pc: RTCPeerConnection, offer: string): void {
    const offered = (offer.match(/^m=(audio|video) [1-9]/gm) ?? []).length;
    if (offered === 0) return;
    const usable = pc.getTransceivers().filter((t) => !t.stopped && !t.rejected && !t.pendingRejection && t.codecs.length > 0);
    if (usable.length === 0) {
      throw new KurentoError('SDP_END_POINT_PROCESS_OFFER_ERROR', 'Error processing offer: no codec in common (Kuroshio supports VP8, VP9, H264, opus, PCMU, PCMA)');
    }
  }

  private applyLocal(sdp: string, type: 'offer' | 'answer'): void {
    const pc = this.pc!;
    this.applyingLocal = pc.setLocalDescription({ type, sdp }).catch((err: Error) => {
      this.emit('failure', `Could not apply the local description: ${err.message}`);
    });
  }

  /** Our SDP as the peer should see it: candidates follow by trickle, as KMS does. */
  private finishLocalSdp(sdp: string): string {
    const withoutCandidates = sdp
      .split('\r\n')
      .filter((line) => !line.startsWith('a=candidate:') && line !== 'a=end-of-candidates')
      .join('\r\n');
    return keepTransportCcWhereSendOnly(withoutCandidates);
  }

  /** Reports the DTLS transport's states, once it exists; its connection hands media to the fast path. */
  private watchDtls(): void {
    const dtls = this.pc?.dtlsTransports[0];
    if (!dtls || this.watchedDtls.has(dtls)) return;
    this.watchedDtls.add(dtls);
    const report = (s: string): void => {
      if (s === 'connected') this.takeOverMedia();
      this.ice.afterGathering(() => this.emit('dtlsState', { streamId: STREAM_ID, componentId: String(COMPONENT_ID), connectionId: dtls.id, state: DTLS_STATES[s] ?? 'FAILED' }));
    };
    if (dtls.state !== 'new') report(dtls.state);
    dtls.onStateChange.subscribe(report);
  }

  /** Moves RTP/RTCP onto our own RTP session once DTLS has produced the SRTP keys. */
  private takeOverMedia(): void {
    if (this.fast || !this.pc || !this.remoteSdp || !fastPathEnabled()) return;
    const fast = attachFastPath(this.pc, this.remoteSdp, this.pc.cname);
    if (!fast) return;
    this.fast = fast;
    this.follow(fast);
  }

  private setConnected(connected: boolean): void {
    if (this.connected === connected || this.closed) return;
    this.connected = connected;
    if (connected) this.liveness.start();
    this.ice.afterGathering(() => this.emit('connection', connected ? 'CONNECTED' : 'DISCONNECTED'));
    if (!connected && this.mediaConnected) {
      this.mediaConnected = false;
      this.ice.afterGathering(() => this.emit('media', 'DISCONNECTED'));
    }
  }

  private setMediaConnected(): void {
    if (this.mediaConnected || this.closed || !this.connected) return;
    this.mediaConnected = true;
    this.ice.afterGathering(() => this.emit('media', 'CONNECTED'));
  }
}

export { codecName };

