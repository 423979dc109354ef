/**
 * One WebRTC session with a remote peer, on werift, behind an interface of our own: SDP offer and
 * answer, trickle ICE with Kurento's semantics (local candidates are held back until
 * `gatherCandidates`, remote ones that arrive before the offer are queued), DTLS-SRTP, RTP in
 * and out per media kind, RTCP feedback (PLI/FIR/REMB), and SCTP data channels.
 *
 * The element layer (WebRtcEndpoint) speaks only to this class, so the transport underneath can
 * change without touching the element.
 */
import {
  MediaStream,
  PictureLossIndication,
  ReceiverEstimatedMaxBitrate,
  RTCPeerConnection,
  RtcpPayloadSpecificFeedback,
  type RTCDataChannel,
  type RTCRtpCodecParameters,
  type RTCRtpTransceiver,
  type RtcpPacket,
  type RtpPacket,
} from 'werift';
import { KurentoError } from '../../errors.js';
import { codecName, RtpMedia, sameCodec, type CodecDescription, type DataMedia } from '../../media/rtp-media.js';
import { ReceiveStream } from '../../rtp/receive-stream.js';
import type { RtpSession } from '../../rtp/rtp-session.js';
import { attachFastPath, fastPathEnabled } from './fast-media-path.js';
import { fastPathCounters } from './fast-path-stats.js';
import { TypedEmitter } from '../../typed-emitter.js';
import { audioCodecs, headerExtensions, videoCodecs } from './codecs.js';
import { interfaceAddresses, rewriteCandidate, rewriteSdpCandidates, toPeerConfig, type IceSettings } from './ice-settings.js';
import { PeerLiveness, receivedOnSelectedPair } from './peer-liveness.js';
import { assertSdp } from './sdp-check.js';

export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly';
export type RtpKind = 'AUDIO' | 'VIDEO';
export type IceComponentState = 'DISCONNECTED' | 'GATHERING' | 'CONNECTING' | 'CONNECTED' | 'READY' | 'FAILED';
export type DtlsState = 'NEW' | 'CLOSED' | 'FAILED' | 'CONNECTING' | 'CONNECTED';

export interface IceCandidateInfo {
  candidate: string;
  sdpMid: string;
  sdpMLineIndex: number;
}

/** RTP counters of one stream, as getStats reports them. */
export interface StreamCounters {
  direction: 'inbound' | 'outbound';
  kind: RtpKind;
  ssrc: number;
  codec: string;
  packets: number;
  bytes: number;
  nackCount: number;
  pliCount: number;
  packetsLost: number;
  fractionLost: number;
  jitter: number;
  roundTripTime: number;
  remb: number;
}

export interface WebRtcSessionOptions {
  /** What this side does with media: `recvonly` endpoints never send, `sendonly` never receive. */
  direction: MediaDirection;
  useDataChannels: boolean;
  ice: IceSettings;
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
  bitrateEstimate: [RtpKind, number];
  dataOpened: [{ id: number; label: string }];
  dataClosed: [{ id: number; label: string }];
  data: [DataMedia];
  /** Something failed after negotiation (reported as the element's Error event). */
  failure: [string];
}

const STREAM_ID = '1';
const COMPONENT_ID = 1;
/** Minimum spacing of keyframe requests sent to the peer; requests in between are merged. */
const KEYFRAME_REQUEST_SPACING_MS = 300;

function toKind(kind: string): RtpKind {
  return kind === 'audio' ? 'AUDIO' : 'VIDEO';
}

function describeCodec(codec: RTCRtpCodecParameters): CodecDescription {
  return {
    mimeType: codec.mimeType,
    clockRate: codec.clockRate,
    ...(codec.channels !== undefined ? { channels: codec.channels } : {}),
    ...(codec.parameters ? { parameters: codec.parameters } : {}),
  };
}

export class WebRtcSession extends TypedEmitter<WebRtcSessionEvents> {
  private pc: RTCPeerConnection | undefined;
  private readonly allowedAddresses: string[] | undefined;
  private readonly heldCandidates: IceCandidateInfo[] = [];
  private readonly announced = new Set<string>();
  private readonly pendingRemote: IceCandidateInfo[] = [];
  private gatherRequested = false;
  private gatheringComplete = false;
  private gatheringDoneSent = false;
  private connected = false;
  private mediaConnected = false;
  private closed = false;
  /** `answered`: we answered the peer's offer; `negotiated`: the peer answered ours. */
  private offerState: 'none' | 'offer-generated' | 'answered' | 'negotiated' = 'none';
  private localSdp: string | undefined;
  private remoteSdp: string | undefined;
  /** setLocalDescription runs in the background (it gathers); later steps wait for it. */
  private applyingLocal: Promise<unknown> = Promise.resolve();
  private readonly lastKeyframeRequest = new Map<RtpKind, number>();
  /** Merged keyframe requests waiting for the spacing to end (see keyframeRequestMerged). */
  private readonly pendingKeyframeRequests = new Map<RtpKind, NodeJS.Timeout>();
  private readonly dataChannels = new Map<number, RTCDataChannel>();
  private readonly sendSsrcByKind = new Map<RtpKind, number>();
  /** Source SSRC last forwarded per kind: a change is a new source, so the sender re-bases. */
  private readonly lastSourceSsrc = new Map<RtpKind, number>();

  constructor(private readonly options: WebRtcSessionOptions) {
    super();
    this.allowedAddresses = interfaceAddresses(options.ice.networkInterfaces);
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

  /** Answers a remote offer. `preferred` codecs (the ones already flowing) go first. */
  async processOffer(offer: string, preferred: readonly CodecDescription[] = []): Promise<string> {
    if (this.offerState !== 'none') throw new KurentoError('SDP_END_POINT_ALREADY_NEGOTIATED', 'Endpoint already negotiated');
    assertSdp(offer, 'offer');
    const pc = this.createPeerConnection();
    pc.onRemoteTransceiverAdded.subscribe((transceiver) => this.adoptRemoteTransceiver(transceiver, preferred));
    try {
      await pc.setRemoteDescription({ type: 'offer', sdp: offer });
    } catch (err) {
      throw new KurentoError('SDP_END_POINT_PROCESS_OFFER_ERROR', `Error processing offer: ${(err as Error).message}`);
    }
    this.assertCommonCodecs(pc, offer);
    this.countDatagrams(pc);
    this.remoteSdp = offer;
    let answer: string;
    try {
      answer = (await pc.createAnswer()).sdp;
    } catch (err) {
      throw new KurentoError('SDP_END_POINT_PROCESS_OFFER_ERROR', `Error processing offer: ${(err as Error).message}`);
    }
    this.offerState = 'answered';
    this.applyLocal(answer, 'answer');
    await this.flushRemoteCandidates();
    this.localSdp = this.finishLocalSdp(answer);
    return this.localSdp;
  }

  /** Makes an offer for the peer (the server-initiated flow). */
  async generateOffer(offerAudio: boolean, offerVideo: boolean): Promise<string> {
    if (this.offerState !== 'none') throw new KurentoError('SDP_END_POINT_ALREADY_NEGOTIATED', 'Endpoint already negotiated');
    const pc = this.createPeerConnection();
    const direction = this.options.direction;
    if (offerAudio) this.watchTransceiver(pc.addTransceiver('audio', { direction }));
    if (offerVideo) this.watchTransceiver(pc.addTransceiver('video', { direction }));
    if (this.options.useDataChannels) this.watchDataChannel(pc.createDataChannel('kurento'));
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
    this.countDatagrams(this.pc!);
    this.remoteSdp = answer;
    await this.flushRemoteCandidates();
    return this.localSdp ?? '';
  }

  /** The local description, with the candidates gathered so far once gathering was requested. */
  async currentLocalDescription(): Promise<string | undefined> {
    if (!this.pc || !this.localSdp) return this.localSdp;
    await this.applyingLocal;
    const full = this.pc.localDescription?.sdp;
    if (!full) return this.localSdp;
    return this.gatherRequested ? rewriteSdpCandidates(full, this.options.ice, this.allowedAddresses) : this.finishLocalSdp(full);
  }

  // ---- ICE ------------------------------------------------------------------------------------

  /** Starts announcing local candidates (KMS's `gatherCandidates`). */
  gatherCandidates(): void {
    if (this.gatherRequested) return;
    this.gatherRequested = true;
    this.emit('iceState', { streamId: STREAM_ID, componentId: COMPONENT_ID, state: 'GATHERING' });
    for (const c of this.heldCandidates.splice(0)) this.announce(c);
    if (this.gatheringComplete) this.finishGathering();
    for (const fire of this.beforeGathering.splice(0)) fire();
  }

  /**
   * werift checks connectivity as soon as it has remote candidates (from a non-trickle offer),
   * possibly before the application asked to gather; KMS's agent checks only once it gathers.
   * Connection events are held until then, so applications see KMS's order: GATHERING first.
   */
  private readonly beforeGathering: (() => void)[] = [];

  private afterGathering(fire: () => void): void {
    if (this.gatherRequested) fire();
    else this.beforeGathering.push(fire);
  }

  /** Adds a remote candidate; before negotiation it is queued, as browsers often send them early. */
  async addIceCandidate(candidate: IceCandidateInfo): Promise<void> {
    if (!/^(a=)?candidate:\S+ \d+ (udp|tcp) \d+ \S+ \d+ typ \S+/i.test(candidate.candidate) && candidate.candidate !== '') {
      throw new KurentoError('ICE_ADD_CANDIDATE_ERROR', `Invalid ICE candidate '${candidate.candidate}'`);
    }
    if (!this.pc || !this.remoteSdp) {
      this.pendingRemote.push(candidate);
      return;
    }
    await this.applyRemoteCandidate(candidate);
  }

  // ---- media ----------------------------------------------------------------------------------

  /**
   * Sends an RTP packet of a given codec to the peer on the first transceiver of its kind that
   * sends. Returns false (the packet is dropped) when the peer did not negotiate that codec or
   * the session cannot send yet.
   */
  sendRtp(media: RtpMedia): boolean {
    const kind = media.kind;
    if (this.fast) return this.fast.forward(kind, media.buffer, media.codec, media.source ?? this.foreignSource(media));
    const transceiver = this.sendingTransceiver(kind);
    if (!transceiver) return false;
    const sender = transceiver.sender;
    const codec = media.codec;
    const packet = media.packet;
    if (!sender.codec || !sameCodec(describeCodec(sender.codec), codec)) {
      const match = transceiver.codecs.find((c) => sameCodec(describeCodec(c), codec));
      if (!match) return false;
      sender.codec = match;
    }
    const previous = this.lastSourceSsrc.get(kind);
    if (previous !== packet.header.ssrc) {
      if (previous !== undefined) sender.replaceRTP(packet.header, true);
      this.lastSourceSsrc.set(kind, packet.header.ssrc);
    }
    // Header extensions are negotiated per session: the publisher's ids mean nothing here.
    const outgoing = packet.clone();
    outgoing.header.extensions = [];
    sender.sendRtp(outgoing).catch((err: Error) => this.emit('failure', `RTP send failed: ${err.message}`));
    return true;
  }

  /**
   * Media that did not come from a fast-path peer (a player, a werift-path session) has no shared
   * history; keep one here per source SSRC so NACKs can still be answered.
   */
  private foreignSource(media: RtpMedia): ReceiveStream {
    const ssrcValue = media.buffer.readUInt32BE(8);
    let stream = this.foreignSources.get(ssrcValue);
    if (!stream) {
      stream = new ReceiveStream(ssrcValue, media.codec.clockRate);
      this.foreignSources.set(ssrcValue, stream);
    }
    const seq = media.buffer.readUInt16BE(2);
    stream.remember(seq, media.buffer, media.buffer.length);
    return stream;
  }

  /** Asks the peer for a keyframe of what it sends us (PLI), at most once per spacing. */
  requestKeyframe(kind: RtpKind = 'VIDEO'): boolean {
    if (this.fast) {
      if (this.keyframeRequestMerged(kind)) return true;
      return this.fast.requestKeyframe(kind);
    }
    const transceiver = this.receivingTransceiver(kind);
    const ssrc = transceiver?.receiver.track?.ssrc ?? transceiver?.receiver.tracks[0]?.ssrc;
    if (!transceiver || ssrc === undefined) return false;
    if (this.keyframeRequestMerged(kind)) return true;
    transceiver.receiver.sendRtcpPLI(ssrc).catch((err: Error) => this.emit('failure', `PLI failed: ${err.message}`));
    return true;
  }

  /**
   * Whether a keyframe request falls within the spacing of the previous one; if not, it counts as
   * sent now. A request within the spacing is merged into one sent when the spacing ends, not
   * dropped: the keyframe that answered the previous request may have reached nobody (a viewer
   * linked before its connection was up asks again once connected, a few hundred ms later).
   */
  private keyframeRequestMerged(kind: RtpKind): boolean {
    const now = Date.now();
    const wait = (this.lastKeyframeRequest.get(kind) ?? 0) + KEYFRAME_REQUEST_SPACING_MS - now;
    if (wait <= 0) {
      this.lastKeyframeRequest.set(kind, now);
      return false;
    }
    if (!this.pendingKeyframeRequests.has(kind)) {
      const timer = setTimeout(() => {
        this.pendingKeyframeRequests.delete(kind);
        if (!this.closed) this.requestKeyframe(kind);
      }, wait);
      timer.unref();
      this.pendingKeyframeRequests.set(kind, timer);
    }
    return true;
  }

  /** Tells the peer the most we want to receive of a kind (REMB), in bits per second. */
  sendBitrateLimit(kind: RtpKind, bitsPerSecond: number): void {
    if (this.fast) {
      if (this.connected) this.fast.sendRemb(kind, bitsPerSecond);
      return;
    }
    const transceiver = this.receivingTransceiver(kind);
    const ssrc = transceiver?.receiver.track?.ssrc ?? transceiver?.receiver.tracks[0]?.ssrc;
    if (!transceiver || ssrc === undefined || !this.connected) return;
    // werift serializes the exponent/mantissa fields, not `bitrate`: encode them (18-bit mantissa).
    let mantissa = Math.max(1, Math.round(bitsPerSecond));
    let exponent = 0;
    while (mantissa >= 1 << 18) {
      mantissa = Math.floor(mantissa / 2);
      exponent++;
    }
    const remb = new RtcpPayloadSpecificFeedback({
      feedback: new ReceiverEstimatedMaxBitrate({
        senderSsrc: transceiver.receiver.rtcpSsrc,
        mediaSsrc: 0,
        brExp: exponent,
        brMantissa: mantissa,
        bitrate: BigInt(mantissa) << BigInt(exponent),
        ssrcNum: 1,
        ssrcFeedbacks: [ssrc],
      }),
    });
    transceiver.dtlsTransport.sendRtcp([remb]).catch((err: Error) => this.emit('failure', `REMB failed: ${err.message}`));
  }

  /** Whether the session negotiated the kind in a direction that lets us send it. */
  canSend(kind: RtpKind): boolean {
    return this.sendingTransceiver(kind) !== undefined;
  }

  /** Codecs the peer accepts from us for a kind, in its order of preference. */
  sendCodecs(kind: RtpKind): CodecDescription[] {
    const transceiver = this.sendingTransceiver(kind);
    return (transceiver?.codecs ?? []).filter((c) => !['rtx', 'red', 'ulpfec'].includes(c.name.toLowerCase())).map(describeCodec);
  }

  /** Codecs the peer may send us for a kind. */
  receiveCodecs(kind: RtpKind): CodecDescription[] {
    const transceiver = this.receivingTransceiver(kind);
    return (transceiver?.codecs ?? []).filter((c) => !['rtx', 'red', 'ulpfec'].includes(c.name.toLowerCase())).map(describeCodec);
  }

  ssrcOfSender(kind: RtpKind): number | undefined {
    return this.sendSsrcByKind.get(kind);
  }

  // ---- data channels --------------------------------------------------------------------------

  createDataChannel(label: string, options: { ordered: boolean; maxPacketLifeTime: number; maxRetransmits: number; protocol: string }): void {
    if (!this.pc || !this.options.useDataChannels) {
      throw new KurentoError('MEDIA_OBJECT_OPERATION_NOT_SUPPORTED', 'Data channels are not enabled on this endpoint (useDataChannels)');
    }
    const channel = this.pc.createDataChannel(label, {
      ordered: options.ordered,
      protocol: options.protocol,
      ...(options.maxPacketLifeTime >= 0 ? { maxPacketLifeTime: options.maxPacketLifeTime } : {}),
      ...(options.maxRetransmits >= 0 ? { maxRetransmits: options.maxRetransmits } : {}),
    });
    this.watchDataChannel(channel);
  }

  closeDataChannel(id: number): void {
    const channel = this.dataChannels.get(id);
    if (!channel) throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `No data channel with id ${id}`);
    channel.close();
  }

  /** Sends a message on the open channel with this label; returns false if there is none. */
  sendData(message: DataMedia): boolean {
    for (const channel of this.dataChannels.values()) {
      if (channel.label === message.label && channel.readyState === 'open') {
        channel.send(message.data);
        return true;
      }
    }
    return false;
  }

  dataChannelStates(): { id: number; label: string; state: string; messagesSent: number; bytesSent: number; messagesReceived: number; bytesReceived: number; protocol: string }[] {
    return [...this.dataChannels.values()].map((c) => ({
      id: c.id,
      label: c.label,
      protocol: c.protocol,
      state: c.readyState,
      messagesSent: c.messagesSent,
      bytesSent: c.bytesSent,
      messagesReceived: c.messagesReceived,
      bytesReceived: c.bytesReceived,
    }));
  }

  /** Per-stream RTP counters, read synchronously from werift's senders and receivers. */
  streamCounters(): StreamCounters[] {
    if (this.fast) return fastPathCounters(this.fast);
    const out: StreamCounters[] = [];
    const now = Date.now();
    for (const t of this.pc?.getTransceivers() ?? []) {
      const kind = toKind(t.kind);
      const fromSender = t.sender.collectStats(now) as unknown as Record<string, number | string | undefined>[];
      const outbound = fromSender.find((s) => s.type === 'outbound-rtp');
      const remote = fromSender.find((s) => s.type === 'remote-inbound-rtp');
      if (outbound && Number(outbound.packetsSent ?? 0) > 0) {
        out.push({
          direction: 'outbound', kind, ssrc: Number(outbound.ssrc), codec: t.sender.codec?.mimeType ?? '',
          packets: Number(outbound.packetsSent ?? 0), bytes: Number(outbound.bytesSent ?? 0),
          nackCount: Number(outbound.nackCount ?? 0), pliCount: Number(outbound.pliCount ?? 0),
          packetsLost: Number(remote?.packetsLost ?? 0), fractionLost: Number(remote?.fractionLost ?? 0),
          jitter: Number(remote?.jitter ?? 0), roundTripTime: Number(remote?.roundTripTime ?? 0),
          remb: Number(t.sender.receiverEstimatedMaxBitrate ?? 0),
        });
      }
      const fromReceiver = t.receiver.collectStats(now) as unknown as Record<string, number | string | undefined>[];
      for (const inbound of fromReceiver.filter((s) => s.type === 'inbound-rtp')) {
        out.push({
          direction: 'inbound', kind, ssrc: Number(inbound.ssrc), codec: String(t.codecs[0]?.mimeType ?? ''),
          packets: Number(inbound.packetsReceived ?? 0), bytes: Number(inbound.bytesReceived ?? 0),
          nackCount: Number(inbound.nackCount ?? 0), pliCount: Number(inbound.pliCount ?? 0),
          packetsLost: Number(inbound.packetsLost ?? 0), fractionLost: 0, jitter: Number(inbound.jitter ?? 0),
          roundTripTime: 0, remb: 0,
        });
      }
    }
    return out;
  }

  /** Bytes through the DTLS transport, and datagrams dropped as unreadable, or undefined before there is a transport. */
  transportCounters(): { bytesSent: number; bytesReceived: number; packetsDiscarded: number } | undefined {
    const dtls = this.pc?.dtlsTransports[0];
    if (!dtls) return undefined;
    const undecodable = Math.max(0, this.datagrams.rtpRange - this.datagrams.decodedRtp);
    // On the fast path media bypasses werift's counters: add what our RTP session saw.
    const fast = this.fast;
    return {
      bytesSent: dtls.bytesSent + (fast?.bytesSent ?? 0),
      bytesReceived: dtls.bytesReceived + (fast?.bytesReceived ?? 0),
      packetsDiscarded: this.datagrams.unknown + undecodable + (fast?.dropped ?? 0),
    };
  }

  /**
   * Counts what arrives on the ICE transport by the RFC 7983 demultiplexing ranges. Datagrams in
   * no range are dropped by werift without a trace; RTP-range datagrams that never decode (bad
   * SRTP authentication, garbage) show as the difference from the decoded RTP count.
   */
  private countDatagrams(pc: RTCPeerConnection): void {
    const ice = pc.iceTransports[0];
    const dtls = pc.dtlsTransports[0];
    if (!ice || !dtls || this.countingDatagrams) return;
    this.countingDatagrams = true;
    ice.connection.onData.subscribe((data: Buffer) => {
      const first = data[0] ?? 0;
      if (first >= 128 && first <= 191) {
        const second = data[1] ?? 0;
        // RTCP packet types 192-223 (RFC 5761) are not RTP.
        if (second < 192 || second > 223) this.datagrams.rtpRange++;
      } else if (first > 63 || (first > 3 && first < 20)) {
        this.datagrams.unknown++;
      }
    });
    dtls.onRtp.subscribe(() => this.datagrams.decodedRtp++);
  }

  /** The selected pair as KMS reports it: candidate attributes, `candidate:` prefix included. */
  selectedPair(): { local: string; remote: string } | undefined {
    const pair = this.pc?.iceTransports[0]?.getSelectedCandidatePair();
    const attribute = (c: string): string => (c.startsWith('candidate:') ? c : `candidate:${c}`);
    return pair ? { local: attribute(pair.local.candidate), remote: attribute(pair.remote.candidate) } : undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.pendingKeyframeRequests.values()) clearTimeout(timer);
    this.pendingKeyframeRequests.clear();
    const pc = this.pc;
    this.pc = undefined;
    if (this.mediaConnected) this.emit('media', 'DISCONNECTED');
    if (this.connected) this.emit('connection', 'DISCONNECTED');
    this.mediaConnected = false;
    this.connected = false;
    this.fast?.close();
    this.fast = undefined;
    this.liveness.stop();
    if (pc) await pc.close();
    this.removeAllListeners();
  }

  // ---- internals ------------------------------------------------------------------------------

  private createPeerConnection(): RTCPeerConnection {
    const pc = new RTCPeerConnection({
      ...toPeerConfig(this.options.ice),
      codecs: { audio: audioCodecs(), video: videoCodecs() },
      headerExtensions: headerExtensions(),
      bundlePolicy: 'max-bundle',
    });
    this.pc = pc;
    pc.onIceCandidate.subscribe((candidate) => {
      if (!candidate) {
        this.gatheringComplete = true;
        if (this.gatherRequested) this.finishGathering();
        return;
      }
      const rewritten = rewriteCandidate(candidate.candidate, this.options.ice, this.allowedAddresses);
      if (!rewritten) return;
      const info: IceCandidateInfo = { candidate: rewritten, sdpMid: candidate.sdpMid ?? '0', sdpMLineIndex: candidate.sdpMLineIndex ?? 0 };
      if (this.gatherRequested) this.announce(info);
      else this.heldCandidates.push(info);
    });
    pc.iceConnectionStateChange.subscribe((state) => this.onIceState(state));
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') this.setConnected(true);
      else if (state === 'failed' || state === 'closed' || state === 'disconnected') this.setConnected(false);
    });
    pc.onDataChannel.subscribe((channel) => this.watchDataChannel(channel));
    pc.onTransceiverAdded.subscribe((transceiver) => this.watchTransceiver(transceiver));
    return pc;
  }

  /** Remote m-lines become transceivers; they send too unless this endpoint is receive-only. */
  private adoptRemoteTransceiver(transceiver: RTCRtpTransceiver, preferred: readonly CodecDescription[]): void {
    transceiver.setDirection(this.options.direction);
    const kind = toKind(transceiver.kind);
    const first = preferred.filter((p) => (kind === 'AUDIO') === p.mimeType.toLowerCase().startsWith('audio/'));
    if (first.length > 0) {
      const ordered = [...transceiver.codecs].sort((a, b) => rank(a) - rank(b));
      transceiver.setCodecPreferences(ordered);
    }
    this.watchTransceiver(transceiver);
    function rank(codec: RTCRtpCodecParameters): number {
      const index = first.findIndex((p) => sameCodec(p, describeCodec(codec)));
      return index < 0 ? first.length : index;
    }
  }

  private readonly watched = new WeakSet<RTCRtpTransceiver>();
  private readonly mediaStream = new MediaStream();
  /** Reports a peer that vanished without a goodbye long before ICE consent expires. */
  private readonly liveness = new PeerLiveness(
    () => (this.pc ? receivedOnSelectedPair(this.pc) : undefined),
    (alive) => this.setConnected(alive),
  );

  private watchTransceiver(transceiver: RTCRtpTransceiver): void {
    if (this.watched.has(transceiver)) return;
    this.watched.add(transceiver);
    const kind = toKind(transceiver.kind);
    // An a=msid line ties the media SSRC and its RTX SSRC to one track; without it libwebrtc
    // (node wrtc, older Chrome) refuses the SDP as "more than one track" per m-line.
    if (transceiver.sender.streamIds.length === 0) transceiver.sender.setStreams([this.mediaStream]);
    this.sendSsrcByKind.set(kind, transceiver.sender.ssrc);
    transceiver.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((packet) => {
        const codec = track.codec ?? transceiver.codecs.find((c) => c.payloadType === packet.header.payloadType);
        const actual = transceiver.codecs.find((c) => c.payloadType === packet.header.payloadType) ?? codec;
        if (actual) this.emit('rtp', RtpMedia.fromPacket(kind, packet, describeCodec(actual)));
      });
    });
    transceiver.receiver.onRtcp.subscribe(() => this.setMediaConnected());
    transceiver.sender.onRtcp.subscribe((rtcp) => this.onSenderRtcp(kind, rtcp));
    transceiver.sender.onPictureLossIndication.subscribe(() => this.emit('keyframeRequest', kind));
  }

  private onSenderRtcp(kind: RtpKind, rtcp: RtcpPacket): void {
    this.setMediaConnected();
    if (rtcp.type !== RtcpPayloadSpecificFeedback.type) return;
    const feedback = (rtcp as RtcpPayloadSpecificFeedback).feedback;
    if (feedback instanceof ReceiverEstimatedMaxBitrate) this.emit('bitrateEstimate', kind, Number(feedback.bitrate));
    else if (!(feedback instanceof PictureLossIndication)) this.emit('keyframeRequest', kind); // FIR
  }

  private watchDataChannel(channel: RTCDataChannel): void {
    const opened = (): void => {
      this.dataChannels.set(channel.id, channel);
      this.emit('dataOpened', { id: channel.id, label: channel.label });
    };
    if (channel.readyState === 'open') opened();
    channel.stateChanged.subscribe((state) => {
      if (state === 'open') opened();
      if (state === 'closed' && this.dataChannels.delete(channel.id)) this.emit('dataClosed', { id: channel.id, label: channel.label });
    });
    channel.onMessage.subscribe((data) => {
      this.emit('data', { kind: 'DATA', label: channel.label, ordered: channel.ordered, protocol: channel.protocol, data });
    });
  }

  private sendingTransceiver(kind: RtpKind): RTCRtpTransceiver | undefined {
    return this.pc?.getTransceivers().find(
      (t) => toKind(t.kind) === kind && !t.stopped && (t.currentDirection === 'sendrecv' || t.currentDirection === 'sendonly'),
    );
  }

  private receivingTransceiver(kind: RtpKind): RTCRtpTransceiver | undefined {
    return this.pc?.getTransceivers().find(
      (t) => toKind(t.kind) === kind && !t.stopped && (t.currentDirection === 'sendrecv' || t.currentDirection === 'recvonly'),
    );
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

  private async flushRemoteCandidates(): Promise<void> {
    for (const c of this.pendingRemote.splice(0)) await this.applyRemoteCandidate(c);
  }

  private async applyRemoteCandidate(candidate: IceCandidateInfo): Promise<void> {
    try {
      await this.pc!.addIceCandidate({ candidate: candidate.candidate.replace(/^a=/, ''), sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex });
    } catch (err) {
      throw new KurentoError('ICE_ADD_CANDIDATE_ERROR', `Cannot add ICE candidate: ${(err as Error).message}`);
    }
  }

  /** Our SDP as the peer should see it: candidates follow by trickle, as KMS does. */
  private finishLocalSdp(sdp: string): string {
    return sdp
      .split('\r\n')
      .filter((line) => !line.startsWith('a=candidate:') && line !== 'a=end-of-candidates')
      // werift echoes the offer's transport-cc feedback; we do not send transport-wide feedback
      // (bandwidth is REMB's job here, see codecs.ts), so do not claim it.
      .filter((line) => !/^a=rtcp-fb:\d+ transport-cc$/.test(line))
      .join('\r\n');
  }

  private announce(candidate: IceCandidateInfo): void {
    if (this.announced.has(candidate.candidate)) return;
    this.announced.add(candidate.candidate);
    this.emit('candidate', candidate);
  }

  private finishGathering(): void {
    if (this.gatheringDoneSent) return;
    this.gatheringDoneSent = true;
    this.emit('gatheringDone');
  }

  private onIceState(state: string): void {
    const map: Record<string, IceComponentState | undefined> = {
      checking: 'CONNECTING',
      connected: 'CONNECTED',
      completed: 'READY',
      failed: 'FAILED',
      disconnected: 'DISCONNECTED',
      closed: 'DISCONNECTED',
    };
    // werift reports 'completed' when gathering ends, before any check: READY only counts after CONNECTED.
    if (state === 'completed' && !this.iceConnectedOnce) return;
    if (state === 'connected') this.iceConnectedOnce = true;
    const mapped = map[state];
    if (mapped) this.afterGathering(() => this.emit('iceState', { streamId: STREAM_ID, componentId: COMPONENT_ID, state: mapped }));
    if (state === 'connected' || state === 'completed') {
      const pair = this.selectedPair();
      if (pair) this.afterGathering(() => this.emit('candidatePair', { streamId: STREAM_ID, componentId: COMPONENT_ID, localCandidate: pair.local, remoteCandidate: pair.remote }));
    }
    const dtls = this.pc?.dtlsTransports[0];
    if (dtls && !this.watchedDtls.has(dtls)) {
      this.watchedDtls.add(dtls);
      const report = (s: string): void => {
        const states: Record<string, DtlsState> = { new: 'NEW', connecting: 'CONNECTING', connected: 'CONNECTED', failed: 'FAILED', closed: 'CLOSED' };
        if (s === 'connected') this.takeOverMedia();
        this.afterGathering(() => this.emit('dtlsState', { streamId: STREAM_ID, componentId: String(COMPONENT_ID), connectionId: dtls.id, state: states[s] ?? 'FAILED' }));
      };
      if (dtls.state !== 'new') report(dtls.state);
      dtls.onStateChange.subscribe(report);
    }
  }

  /** Moves RTP/RTCP onto our own RTP session once DTLS has produced the SRTP keys. */
  private takeOverMedia(): void {
    if (this.fast || !this.pc || !this.remoteSdp || !fastPathEnabled()) return;
    const fast = attachFastPath(this.pc, this.remoteSdp, this.pc.cname);
    if (!fast) return;
    this.fast = fast;
    fast.on('rtp', (kind, buffer, codec, stream) => this.emit('rtp', new RtpMedia(kind, buffer, codec, stream)));
    fast.on('keyframeRequest', (kind) => this.emit('keyframeRequest', kind));
    fast.on('bitrateEstimate', (kind, bps) => this.emit('bitrateEstimate', kind, bps));
    fast.on('rtcp', () => this.setMediaConnected());
  }

  private fast: RtpSession | undefined;
  private readonly foreignSources = new Map<number, ReceiveStream>();
  private readonly watchedDtls = new WeakSet<object>();
  private countingDatagrams = false;
  private readonly datagrams = { unknown: 0, rtpRange: 0, decodedRtp: 0 };
  private iceConnectedOnce = false;

  private setConnected(connected: boolean): void {
    if (this.connected === connected || this.closed) return;
    this.connected = connected;
    if (connected) this.liveness.start();
    this.afterGathering(() => this.emit('connection', connected ? 'CONNECTED' : 'DISCONNECTED'));
    if (!connected && this.mediaConnected) {
      this.mediaConnected = false;
      this.afterGathering(() => this.emit('media', 'DISCONNECTED'));
    }
  }

  private setMediaConnected(): void {
    if (this.mediaConnected || this.closed || !this.connected) return;
    this.mediaConnected = true;
    this.afterGathering(() => this.emit('media', 'CONNECTED'));
  }
}

export { codecName };
