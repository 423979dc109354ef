/**
 * A plain RTP session with one peer (RtpEndpoint's): SDP offer/answer in both roles, one media
 * line per kind on UDP port pairs of the configured range, no ICE, optional SDES-SRTP, and the
 * same RTP stack WebRtcEndpoint's fast path uses (reports, NACK, PLI/FIR, REMB when the peer
 * negotiated them).
 *
 * Connection state follows the peer's traffic: CONNECTED at its first accepted datagram,
 * DISCONNECTED after PEER_SILENCE_MS without one (or its RTCP BYE). Media state follows its
 * RTCP: CONNECTED at the first report, DISCONNECTED at BYE or with the connection.
 */
import { KurentoError } from '../../errors.js';
import { RtpMedia, type CodecDescription } from '../../media/rtp-media.js';
import { ForeignSources } from '../../rtp/foreign-sources.js';
import type { RtpKind } from '../../rtp/rtp-session.js';
import { sessionCounters, type StreamCounters } from '../../rtp/stream-counters.js';
import { TypedEmitter } from '../../typed-emitter.js';
import { assertSdp, checkSdpText } from '../sdp-check.js';
import { RtpMediaLine } from './rtp-media-line.js';
import { answerOffer, applyAnswer, buildOffer, SdpError, type LocalSdpOptions, type NegotiatedLine } from './rtp-sdp.js';
import type { SdesKey } from './sdes.js';
import { PlainTransform, SdesSrtpTransform } from './sdes-srtp.js';

/** A peer silent this long is DISCONNECTED (RTCP alone comes every few seconds). */
const PEER_SILENCE_MS = 10_000;
const LIVENESS_CHECK_MS = 1000;

export interface RtpPeerOptions {
  portRange: readonly [number, number];
  ipv6: boolean;
  /** The address our SDP announces (the external one when configured). */
  address: string;
  key: SdesKey | undefined;
  cname: string;
}

export interface RtpPeerSessionEvents {
  connection: ['CONNECTED' | 'DISCONNECTED'];
  media: ['CONNECTED' | 'DISCONNECTED'];
  rtp: [RtpMedia];
  keyframeRequest: [RtpKind];
  bitrateEstimate: [RtpKind, number, boolean];
  receiverLoss: [RtpKind, number];
  failure: [string];
  /** A key of this media line neared the end of its lifetime (OnKeySoftLimit). */
  keySoftLimit: [RtpKind];
}

interface Active {
  line: RtpMediaLine;
  negotiated: NegotiatedLine;
  srtp: PlainTransform | SdesSrtpTransform;
}

export class PlainRtpSession extends TypedEmitter<RtpPeerSessionEvents> {
  private state: 'none' | 'offer-generated' | 'answered' | 'negotiated' = 'none';
  private localSdp: string | undefined;
  private remoteSdp: string | undefined;
  private lines: RtpMediaLine[] = [];
  private readonly active = new Map<RtpKind, Active>();
  private connected = false;
  private mediaConnected = false;
  private lastHeard = 0;
  /** The datagram being handled carried an RTCP BYE. */
  private saidBye = false;
  private livenessTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly sessionId = Math.floor(Math.random() * 2 ** 31);
  /** Histories of media that came from no RTP peer, so NACKs can be answered. */
  private readonly foreignSources = new ForeignSources();

  constructor(private readonly options: RtpPeerOptions) {
    super();
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

  async generateOffer(audio: boolean, video: boolean, preferred: readonly CodecDescription[]): Promise<string> {
    if (this.state !== 'none') throw new KurentoError('SDP_END_POINT_ALREADY_NEGOTIATED', 'Endpoint already negotiated');
    const kinds = [...(audio ? ['AUDIO' as const] : []), ...(video ? ['VIDEO' as const] : [])];
    const lines = await this.openLines(kinds);
    this.lines = lines;
    this.localSdp = buildOffer(lines, this.sdpOptions(preferred), this.sessionId);
    this.state = 'offer-generated';
    return this.localSdp;
  }

  async processOffer(offer: string, preferred: readonly CodecDescription[]): Promise<string> {
    if (this.state !== 'none') throw new KurentoError('SDP_END_POINT_ALREADY_NEGOTIATED', 'Endpoint already negotiated');
    assertSdp(offer, 'offer', checkSdpText);
    // Sockets are opened for every line that could be served, before the answer is written.
    const candidates = await this.openLines(['AUDIO', 'VIDEO']);
    let result: { answer: string; lines: NegotiatedLine[]; locals: RtpMediaLine[] };
    try {
      result = answerOffer(offer, this.sdpOptions(preferred), (kind) => candidates.find((l) => l.kind === kind)!, this.sessionId);
    } catch (err) {
      for (const line of candidates) line.close();
      if (err instanceof SdpError) throw new KurentoError('SDP_END_POINT_PROCESS_OFFER_ERROR', `Error processing offer: ${err.message}`);
      throw err;
    }
    for (const line of candidates) if (!result.locals.includes(line)) line.close();
    this.lines = result.locals;
    this.remoteSdp = offer;
    this.localSdp = result.answer;
    this.state = 'answered';
    this.start(result.lines);
    return this.localSdp;
  }

  processAnswer(answer: string): void {
    if (this.state === 'none' || this.state === 'answered') {
      throw new KurentoError('SDP_END_POINT_NOT_OFFER_GENERATED', 'Offer not generated. It is not possible to process an answer.');
    }
    if (this.state === 'negotiated') throw new KurentoError('SDP_END_POINT_ANSWER_ALREADY_PROCCESED', 'Sdp Answer already processed');
    assertSdp(answer, 'answer', checkSdpText);
    let lines: NegotiatedLine[];
    try {
      lines = applyAnswer(this.localSdp!, answer, this.options.key);
    } catch (err) {
      if (err instanceof SdpError) throw new KurentoError('SDP_END_POINT_PROCESS_ANSWER_ERROR', `Error processing answer: ${err.message}`);
      throw err;
    }
    this.remoteSdp = answer;
    this.state = 'negotiated';
    this.start(lines);
  }

  // ---- media ----------------------------------------------------------------------------------

  sendRtp(media: RtpMedia): boolean {
    const session = this.active.get(media.kind)?.line.session;
    if (!session) return false;
    return session.forward(media.kind, media.buffer, media.codec, media.source ?? this.foreignSources.remember(media));
  }

  canSend(kind: RtpKind): boolean {
    return this.active.get(kind)?.negotiated.sending === true;
  }

  sendCodecs(kind: RtpKind): CodecDescription[] {
    const found = this.active.get(kind);
    return found?.negotiated.sending ? found.negotiated.send.map((c) => c.codec) : [];
  }

  receiveCodecs(kind: RtpKind): CodecDescription[] {
    const found = this.active.get(kind);
    return found?.negotiated.receiving ? found.negotiated.receive.map((c) => c.codec) : [];
  }

  /** Whether the peer can ask us for keyframes of what we send it (PLI or FIR negotiated). */
  peerRequestsKeyframes(kind: RtpKind): boolean {
    const feedback = this.active.get(kind)?.negotiated.feedback;
    return feedback !== undefined && (feedback.pli || feedback.fir);
  }

  requestKeyframe(kind: RtpKind): boolean {
    return this.active.get(kind)?.line.session?.requestKeyframe(kind) ?? false;
  }

  sendBitrateLimit(kind: RtpKind, bitsPerSecond: number): void {
    this.active.get(kind)?.line.session?.sendRemb(kind, bitsPerSecond);
  }

  streamCounters(): StreamCounters[] {
    return [...this.active.values()].flatMap((a) => (a.line.session ? sessionCounters(a.line.session) : []));
  }

  /** Datagrams dropped (unreadable, unauthentic, unnegotiated, expired keys) and bytes moved. */
  transportCounters(): { bytesSent: number; bytesReceived: number; packetsDiscarded: number; srtpRejected: number } {
    let bytesSent = 0;
    let bytesReceived = 0;
    let packetsDiscarded = 0;
    let srtpRejected = 0;
    for (const line of this.lines) {
      bytesSent += line.session?.bytesSent ?? 0;
      bytesReceived += line.session?.bytesReceived ?? 0;
      packetsDiscarded += line.dropped;
    }
    for (const a of this.active.values()) {
      const r = a.srtp.rejected;
      srtpRejected += r.authentication + r.replay + r.malformed;
    }
    return { bytesSent, bytesReceived, packetsDiscarded, srtpRejected };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.livenessTimer) clearInterval(this.livenessTimer);
    this.setMedia(false);
    this.setConnected(false);
    for (const line of this.lines) line.close();
    for (const a of this.active.values()) a.srtp.close?.();
    this.active.clear();
    this.lines = [];
    this.removeAllListeners();
  }

  // ---- internals ------------------------------------------------------------------------------

  private sdpOptions(preferred: readonly CodecDescription[]): LocalSdpOptions {
    return { address: this.options.address, ipv6: this.options.ipv6, cname: this.options.cname, key: this.options.key, preferred };
  }

  private async openLines(kinds: readonly RtpKind[]): Promise<RtpMediaLine[]> {
    const lines: RtpMediaLine[] = [];
    try {
      for (const kind of kinds) {
        const line = await RtpMediaLine.open(kind, this.options.portRange, this.options.ipv6);
        line.localAddresses.add(this.options.address);
        lines.push(line);
      }
    } catch (err) {
      for (const line of lines) line.close();
      throw new KurentoError('SDP_END_POINT_CANNOT_CREATE_SESSON', `Cannot open RTP ports: ${(err as Error).message}`);
    }
    return lines;
  }

  /** Starts the negotiated lines and closes the others. */
  private start(negotiated: NegotiatedLine[]): void {
    for (const line of this.lines) {
      const settled = negotiated.find((n) => n.kind === line.kind);
      if (!settled) continue;
      const srtp = this.options.key && settled.remoteKey
        ? new SdesSrtpTransform(this.options.key, settled.remoteKey, () => this.emit('keySoftLimit', line.kind))
        : new PlainTransform();
      const session = line.start(settled, srtp, this.options.cname);
      line.onHeard = () => this.heard();
      session.on('rtp', (kind, buffer, codec, stream) => this.emit('rtp', new RtpMedia(kind, buffer, codec, stream)));
      session.on('keyframeRequest', (kind) => this.emit('keyframeRequest', kind));
      session.on('bitrateEstimate', (kind, bps, measured) => this.emit('bitrateEstimate', kind, bps, measured));
      session.on('receiverLoss', (kind, fraction) => this.emit('receiverLoss', kind, fraction));
      session.on('rtcp', () => this.setMedia(true));
      session.on('bye', () => {
        this.saidBye = true;
        this.setMedia(false);
        this.setConnected(false);
      });
      this.active.set(line.kind, { line, negotiated: settled, srtp });
    }
    this.livenessTimer = setInterval(() => {
      if (this.connected && Date.now() - this.lastHeard > PEER_SILENCE_MS) {
        this.setMedia(false);
        this.setConnected(false);
      }
    }, LIVENESS_CHECK_MS);
    this.livenessTimer.unref();
  }

  private heard(): void {
    // The datagram that said goodbye does not bring the peer back; its next packet would.
    if (this.saidBye) {
      this.saidBye = false;
      return;
    }
    this.lastHeard = Date.now();
    this.setConnected(true);
  }

  private setConnected(connected: boolean): void {
    if (this.connected === connected || (connected && this.closed)) return;
    this.connected = connected;
    if (!connected) this.setMedia(false);
    this.emit('connection', connected ? 'CONNECTED' : 'DISCONNECTED');
  }

  private setMedia(connected: boolean): void {
    if (this.mediaConnected === connected || (connected && (this.closed || !this.connected))) return;
    this.mediaConnected = connected;
    this.emit('media', connected ? 'CONNECTED' : 'DISCONNECTED');
  }
}
