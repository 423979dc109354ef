/**
 * The RTP session with one peer on the fast path: SRTP in and out, incoming streams demultiplexed
 * by SSRC (RTX unwrapped), forwarding with header rewriting into per-peer outgoing streams,
 * and the RTCP that per-hop reliability needs — receiver and sender reports, NACK both ways
 * (retransmissions come from the source's shared history), PLI/FIR and REMB.
 *
 * It knows nothing of SDP or ICE: the WebRTC session configures it from the negotiation and
 * hands it datagrams and a way to send them.
 */
import { sameCodec, type CodecDescription } from '../media/rtp-media.js';
import type { LayerPreference } from '../media/simulcast/layer-policy.js';
import { TypedEmitter } from '../typed-emitter.js';
import { ReceiveStream } from './receive-stream.js';
import {
  RTP_FIXED_HEADER,
  SEQUENCE_EXTENSION_BYTES,
  copyWithoutExtensions,
  findExtension,
  isValidRtp,
  payloadOffset,
  payloadType,
  rewriteHeader,
  sequenceNumber,
  ssrc as readSsrc,
  timestamp as readTimestamp,
} from './rtp-header.js';
import {
  buildNack,
  buildFir,
  buildPli,
  buildReceiverReport,
  buildRemb,
  buildSdesCname,
  isRtcpPacket,
  parseRtcp,
  type ReportBlock,
  type RtcpRecord,
} from './rtcp.js';
import { SendStream } from './send-stream.js';
import { readRetransmission, writePadding, writeRetransmission, type RepairStream } from './repair-packets.js';
import { SenderReports } from './sender-reports.js';
import { TransportCcSender } from './transport-cc-sender.js';
import { TransportFeedbackSender } from './transport-feedback-sender.js';
import type { SendSideEstimator } from './congestion/send-side-estimator.js';
import { SimulcastGroup, type SimulcastLayer } from './simulcast-group.js';
import { Vp8PictureIds } from './vp8-picture-ids.js';
import { Vp9SvcFilter, type SvcVerdict } from './vp9-svc-filter.js';
import type { NegotiatedCodec, RtpKind, RtpSessionConfig, RtpSessionEvents } from './rtp-session-config.js';
import { SRTP_MAX_OVERHEAD, type SrtpTransform } from './srtp-transform.js';

export type { NegotiatedCodec, RtpKind, RtpSessionConfig, RtpSessionEvents } from './rtp-session-config.js';

/** How often receiver/sender reports go out (RFC 3550 allows ~5 s; browsers like ~1 s). */
const REPORT_INTERVAL_MS = 1000;
const NACK_INTERVAL_MS = 20;
/**
 * Where every session of this worker builds the packet it sends: rewritten, protected and sent
 * before the next one is built. One buffer for all of them, because `sendDatagram` is done with
 * it when it returns (a synchronous sendto, or a copy for a send that has to wait). Per-stream
 * rings of buffers cost ~100 KB per subscriber and spread the hot path over as many cache lines.
 */
const outgoingPacket = Buffer.allocUnsafe(1500 + SRTP_MAX_OVERHEAD);

interface Outgoing {
  stream: SendStream;
  codecs: NegotiatedCodec[];
  /** The receive stream feeding this one right now (retransmissions come from its history). */
  source: ReceiveStream | undefined;
  /** The codec of the last packet forwarded (retransmissions use its payload types). */
  codec: NegotiatedCodec | undefined;
  /** Source codec descriptions already matched to what the peer negotiated (null: no match). */
  resolved: WeakMap<CodecDescription, NegotiatedCodec | null>;
  /** VP8 picture ids re-based across simulcast layer switches, once a layered source came. */
  vp8: Vp8PictureIds | undefined;
  /** Whether that codec is VP9 (whose spatial layers are chosen per peer). */
  vp9: boolean;
  /** The spatial layers of VP9 SVC this peer gets, once VP9 was forwarded. */
  svc: Vp9SvcFilter | undefined;
  /** Transport-wide sequence numbers on this kind's packets, when the peer gives feedback on them. */
  transportCc: TransportCcSender | undefined;
}

/** Where repair packets of an outgoing stream go: its SSRCs and the codec's payload types. */
function repairStream(out: Outgoing, codec: NegotiatedCodec): RepairStream {
  return { ssrc: out.stream.ssrc, payloadType: codec.payloadType, rtxSsrc: out.stream.rtxSsrc, rtxPayloadType: codec.rtxPayloadType, nextRtxSequence: () => out.stream.nextRtxSequence() };
}

export class RtpSession extends TypedEmitter<RtpSessionEvents> {
  private readonly incoming = new Map<number, ReceiveStream>();
  private readonly incomingKind = new Map<number, RtpKind>();
  private readonly outgoing = new Map<RtpKind, Outgoing>();
  private readonly receiveCodecs = new Map<number, { kind: RtpKind; codec: CodecDescription; rtxOf?: number }>();
  private readonly rtcpScratch = Buffer.alloc(1500 + SRTP_MAX_OVERHEAD);
  private reportTimer: NodeJS.Timeout | undefined;
  private nackTimer: NodeJS.Timeout | undefined;
  private readonly senderReports = new SenderReports();
  /** The layers of the peer's simulcast video, when it sends them. */
  readonly simulcast: SimulcastGroup | undefined;
  private readonly layerKeyframeAsked = new WeakMap<SimulcastLayer, number>();
  private closed = false;
  private firSequence = 0;
  /** Transport-wide feedback on what the peer sends, when negotiated. */
  private readonly feedback: { extensionId: number; sender: TransportFeedbackSender } | undefined;
  /** Datagrams dropped: undecryptable, malformed, or from streams we never agreed to. */
  dropped = 0;
  received = 0;
  sentPackets = 0;
  bytesReceived = 0;
  bytesSent = 0;

  constructor(
    private readonly config: RtpSessionConfig,
    private readonly srtp: SrtpTransform,
    /** Sends the first `length` bytes of `buf`, and is done with `buf` when it returns (copy it to keep it). */
    private readonly sendDatagram: (buf: Buffer, length: number) => void,
  ) {
    super();
    for (const kind of ['AUDIO', 'VIDEO'] as const) {
      const send = config.send[kind];
      if (send) {
        const clockRate = send.codecs[0]?.codec.clockRate ?? (kind === 'AUDIO' ? 48000 : 90000);
        this.outgoing.set(kind, {
          stream: new SendStream(send.ssrc, clockRate, send.rtxSsrc),
          codecs: send.codecs,
          source: undefined,
          codec: undefined,
          resolved: new WeakMap(),
          vp8: undefined,
          vp9: false,
          svc: undefined,
          transportCc: kind === 'VIDEO' && config.transportCc ? this.transportCcSender(config.transportCc.extensionId) : undefined,
        });
      }
      for (const c of config.receive[kind]?.codecs ?? []) {
        this.receiveCodecs.set(c.payloadType, { kind, codec: c.codec });
        if (c.rtxPayloadType !== undefined) this.receiveCodecs.set(c.rtxPayloadType, { kind, codec: c.codec, rtxOf: c.payloadType });
      }
    }
    if (config.simulcast) {
      const { rids, ridExtension, repairedRidExtension, ssrcs } = config.simulcast;
      this.simulcast = new SimulcastGroup(rids, ridExtension, repairedRidExtension);
      this.simulcast.requestKeyframe = (layer) => this.requestLayerKeyframe(layer);
      const videoClock = config.receive.VIDEO?.codecs[0]?.codec.clockRate ?? 90000;
      ssrcs?.forEach((layerSsrc, i) => this.simulcast!.bind(rids[i]!, this.receiveStream(layerSsrc, 'VIDEO', videoClock)));
    }
    if (config.transportFeedback) {
      this.feedback = { extensionId: config.transportFeedback.extensionId, sender: new TransportFeedbackSender(() => this.senderSsrc(), (packets) => this.sendRtcp(packets)) };
    }
    this.reportTimer = setInterval(() => this.sendReports(), REPORT_INTERVAL_MS);
    this.reportTimer.unref();
  }

  // ---- receiving ------------------------------------------------------------------------------

  /**
   * An SRTP or SRTCP datagram from the peer. Returns whether it was accepted (authentic, well
   * formed, of a negotiated payload type): a transport latching onto its sender needs to know.
   */
  handleDatagram(buf: Buffer): boolean {
    if (this.closed) return false;
    const droppedBefore = this.dropped;
    this.receive(buf);
    return this.dropped === droppedBefore;
  }

  private receive(buf: Buffer): void {
    this.bytesReceived += buf.length;
    if (isRtcpPacket(buf)) {
      const length = this.srtp.unprotectRtcp(buf, buf.length);
      if (length < 0) {
        this.dropped++;
        return;
      }
      this.handleRtcp(parseRtcp(buf, length));
      return;
    }
    const length = this.srtp.unprotectRtp(buf, buf.length);
    if (length < 0 || !isValidRtp(buf, length)) {
      this.dropped++;
      return;
    }
    this.received++;
    const pt = payloadType(buf);
    const codec = this.receiveCodecs.get(pt);
    if (!codec) {
      this.dropped++;
      return;
    }
    if (this.feedback) {
      // Every packet counts for the sender's estimate, RTX and padding-only probes too.
      const element = findExtension(buf, length, this.feedback.extensionId);
      if (element && element[1] >= 2) this.feedback.sender.received(buf.readUInt16BE(element[0]));
    }
    let packet = buf.subarray(0, length);
    let ssrcValue = readSsrc(packet);
    const unknown = this.simulcast && codec.kind === 'VIDEO' && !this.incoming.has(ssrcValue) && !this.config.remoteSsrcs.has(ssrcValue);
    if (unknown && !this.simulcast!.claim(packet, ssrcValue, codec.rtxOf !== undefined, () => this.receiveStream(ssrcValue, codec.kind, codec.codec.clockRate))) {
      this.dropped++; // a simulcast stream not named yet: its sender names it (RID) until we report on it
      return;
    }
    if (codec.rtxOf !== undefined) {
      const unwrapped = this.unwrapRtx(packet, codec.rtxOf);
      if (!unwrapped) return; // padding-only probe, or garbage
      packet = unwrapped;
      ssrcValue = readSsrc(packet);
    }
    const stream = this.receiveStream(ssrcValue, codec.kind, codec.codec.clockRate);
    const seq = sequenceNumber(packet);
    const now = Date.now();
    if (!stream.update(seq, readTimestamp(packet), now)) {
      this.dropped++;
      return;
    }
    if (stream.hasMissing) this.watchForLoss();
    if (stream.layer) stream.layer.lastPacketMs = now;
    stream.bytes += packet.length - payloadOffset(packet, packet.length);
    stream.remember(seq, packet, packet.length);
    this.emit('rtp', codec.kind, packet, codec.codec, stream);
  }

  // ---- sending --------------------------------------------------------------------------------

  /**
   * Forwards a packet from a source stream to the peer, rewritten into our outgoing stream of that
   * kind. Returns false when the peer did not negotiate the packet's codec (nothing is sent).
   */
  forward(kind: RtpKind, packet: Buffer, codec: CodecDescription, source: ReceiveStream): boolean {
    const out = this.outgoing.get(kind);
    if (!out || this.closed) return false;
    // Codec descriptions are shared objects per source stream: resolve each one once.
    let negotiated = out.resolved.get(codec);
    if (negotiated === undefined) {
      negotiated = out.codecs.find((c) => sameCodec(c.codec, codec)) ?? null;
      out.resolved.set(codec, negotiated);
    }
    if (!negotiated) return false;
    out.source = source;
    if (out.codec !== negotiated) {
      out.codec = negotiated;
      out.vp9 = /\/vp9$/i.test(negotiated.codec.mimeType);
    }
    const now = Date.now();
    let verdict: SvcVerdict = 'pass';
    if (out.vp9) {
      out.svc ??= new Vp9SvcFilter(
        () => this.layerPreference(),
        () => this.emit('keyframeRequest', kind),
      );
      verdict = out.svc.filter(packet.subarray(payloadOffset(packet)), now);
      if (verdict === 'drop') {
        out.stream.skip();
        return true;
      }
    }
    out.stream.map(source.ssrc, sequenceNumber(packet), readTimestamp(packet), now);
    const seq = out.stream.mappedSeq;
    const ts = out.stream.mappedTs;
    const headerLength = out.transportCc ? RTP_FIXED_HEADER + SEQUENCE_EXTENSION_BYTES : RTP_FIXED_HEADER;
    const length = copyWithoutExtensions(packet, packet.length, outgoingPacket, headerLength - RTP_FIXED_HEADER);
    if (verdict === 'end-of-picture') outgoingPacket[1]! |= 0x80;
    if (source.layer && /vp8$/i.test(negotiated.codec.mimeType)) (out.vp8 ??= new Vp8PictureIds()).rewrite(outgoingPacket, headerLength, length, source.ssrc);
    rewriteHeader(outgoingPacket, { ssrc: out.stream.ssrc, sequenceNumber: seq, timestamp: ts, payloadType: negotiated.payloadType });
    out.stream.sent(length - headerLength, ts, now);
    if (out.transportCc) {
      out.transportCc.stamp(outgoingPacket, length, now);
      this.protectAndSend(outgoingPacket, length);
      out.transportCc.maybeProbe(now);
    } else this.protectAndSend(outgoingPacket, length);
    return true;
  }

  /** Where the peer's wishes for the layers of VP9 SVC come from (`vp9-svc-filter.ts`). */
  setLayerPreference(preference: () => LayerPreference | undefined): void {
    this.layerPreference = preference;
  }

  private layerPreference: () => LayerPreference | undefined = () => undefined;

  /** Whether the video this session forwards is VP9 with spatial layers (SVC). */
  get forwardsSpatialLayers(): boolean {
    return this.outgoing.get('VIDEO')?.svc?.layered ?? false;
  }

  /** Asks the peer for a keyframe on what it sends us of this kind (every layer of a simulcast). */
  requestKeyframe(kind: RtpKind): boolean {
    const method = this.config.feedback?.keyframe ?? 'pli';
    if (kind === 'VIDEO' && this.simulcast && method !== 'none') {
      const layers = this.simulcast.layers.filter((l) => l.stream);
      if (layers.length > 0) {
        this.sendRtcp(layers.map((l) => buildPli(this.senderSsrc(), l.stream!.ssrc)));
        return true;
      }
    }
    const target = this.firstIncoming(kind);
    if (target === undefined || method === 'none') return false;
    this.firSequence = (this.firSequence + 1) & 0xff;
    this.sendRtcp([method === 'pli' ? buildPli(this.senderSsrc(), target) : buildFir(this.senderSsrc(), target, this.firSequence)]);
    return true;
  }

  /** Tells the peer the most we want to receive of a kind (REMB). */
  sendRemb(kind: RtpKind, bitsPerSecond: number): void {
    const ssrcs = [...this.incomingKind].filter(([, k]) => k === kind).map(([s]) => s);
    if (ssrcs.length > 0 && this.config.feedback?.remb !== false) this.sendRtcp([buildRemb(this.senderSsrc(), bitsPerSecond, ssrcs)]);
  }

  canSend(kind: RtpKind): boolean {
    return this.outgoing.has(kind);
  }

  /** The send-side estimator of a kind we send, when the peer gives transport-wide feedback. */
  congestion(kind: RtpKind): SendSideEstimator | undefined {
    return this.outgoing.get(kind)?.transportCc?.estimator;
  }

  sendStream(kind: RtpKind): SendStream | undefined {
    return this.outgoing.get(kind)?.stream;
  }

  receiveStreams(): { kind: RtpKind; stream: ReceiveStream }[] {
    return [...this.incoming.values()].map((stream) => ({ kind: this.incomingKind.get(stream.ssrc)!, stream }));
  }

  get roundTripTimeMs(): number {
    return this.senderReports.rttMs;
  }

  close(): void {
    this.closed = true;
    if (this.reportTimer) clearInterval(this.reportTimer);
    if (this.nackTimer) clearInterval(this.nackTimer);
    for (const out of this.outgoing.values()) out.transportCc?.close();
    this.feedback?.sender.close();
    this.srtp.close?.();
    this.removeAllListeners();
  }

  // ---- internals ------------------------------------------------------------------------------

  /** A PLI for one simulcast layer, at most one per 300 ms (the selectors ask again until it comes). */
  private requestLayerKeyframe(layer: SimulcastLayer): void {
    const now = Date.now();
    if (!layer.stream || now - (this.layerKeyframeAsked.get(layer) ?? 0) < 300) return;
    this.layerKeyframeAsked.set(layer, now);
    this.sendRtcp([buildPli(this.senderSsrc(), layer.stream.ssrc)]);
  }

  private receiveStream(ssrcValue: number, kind: RtpKind, clockRate: number): ReceiveStream {
    let stream = this.incoming.get(ssrcValue);
    if (!stream) {
      stream = new ReceiveStream(ssrcValue, clockRate);
      this.incoming.set(ssrcValue, stream);
      this.incomingKind.set(ssrcValue, kind);
    }
    return stream;
  }

  /** The packet an RTX packet repairs, if it repairs a stream we know (not padding-only). */
  private unwrapRtx(rtx: Buffer, originalPt: number): Buffer | undefined {
    const rtxSsrc = readSsrc(rtx);
    const original = this.config.remoteSsrcs.get(rtxSsrc)?.repairs ?? this.simulcast?.repairedBy(rtxSsrc);
    return original === undefined ? undefined : readRetransmission(rtx, original, originalPt);
  }

  private handleRtcp(records: RtcpRecord[]): void {
    this.emit('rtcp');
    const now = Date.now();
    for (const r of records) {
      switch (r.type) {
        case 'sr':
          this.incoming.get(r.ssrc)?.onSenderReport(r.ntpSeconds, r.ntpFraction, now, r.rtpTimestamp);
          this.emit('senderReport', r);
          this.onReportBlocks(r.reports, now);
          break;
        case 'rr':
          this.onReportBlocks(r.reports, now);
          break;
        case 'nack':
          this.retransmit(r.mediaSsrc, r.lost);
          break;
        case 'pli':
        case 'fir': {
          const target = r.type === 'pli' ? r.mediaSsrc : r.entries[0]?.ssrc;
          for (const [kind, out] of this.outgoing) {
            if (out.stream.ssrc !== target) continue;
            if (r.type === 'pli') out.stream.pliCount++;
            else out.stream.firCount++;
            this.emit('keyframeRequest', kind);
          }
          break;
        }
        case 'bye':
          this.emit('bye', r.ssrcs);
          break;
        case 'twcc':
          this.outgoing.get('VIDEO')?.transportCc?.onFeedback(r, now);
          break;
        case 'remb':
          for (const [kind, out] of this.outgoing) {
            // With transport-wide feedback, the estimate is ours (a peer sends both only in error).
            if (r.ssrcs.includes(out.stream.ssrc) && !out.transportCc) {
              out.stream.remb = r.bitrate;
              this.emit('bitrateEstimate', kind, r.bitrate, false);
            }
          }
          break;
        default:
          break;
      }
    }
  }

  /** Answers a NACK from the shared history of the source, as RTX when the peer negotiated it. */
  private retransmit(mediaSsrc: number, lost: number[]): void {
    for (const out of this.outgoing.values()) {
      if (out.stream.ssrc !== mediaSsrc || !out.source) continue;
      out.stream.nackCount++;
      const codec = out.codec;
      const now = Date.now();
      for (const seq of lost) {
        if (!out.stream.mayRetransmit(seq, now, this.senderReports.rttMs)) continue;
        const sourceSeq = out.stream.sourceSeq(seq);
        const kept = sourceSeq === undefined ? undefined : out.source.recall(sourceSeq);
        if (!kept || !codec) continue;
        const ts = out.stream.outTimestamp(readTimestamp(kept.packet));
        const source = out.source;
        const rewrite = out.vp8 ? (buf: Buffer, offset: number, end: number): void => out.vp8!.rewrite(buf, offset, end, source.ssrc) : undefined;
        const length = writeRetransmission(outgoingPacket, out.transportCc ? SEQUENCE_EXTENSION_BYTES : 0, kept, seq, ts, repairStream(out, codec), rewrite);
        out.transportCc?.stamp(outgoingPacket, length, now);
        this.protectAndSend(outgoingPacket, length);
        out.stream.retransmitted++;
      }
    }
  }

  private transportCcSender(extensionId: number): TransportCcSender {
    const sender: TransportCcSender = new TransportCcSender(extensionId, {
      sendPadding: () => this.sendPadding(),
      roundTripTimeMs: () => this.senderReports.rttMs,
      estimate: (bps) => {
        const out = this.outgoing.get('VIDEO');
        if (out) out.stream.remb = bps;
        this.emit('bitrateEstimate', 'VIDEO', bps, true);
      },
    });
    return sender;
  }

  /** A probe's padding packet on the video's RTX stream; 0 when none can go (no RTX). */
  private sendPadding(): number {
    const out = this.outgoing.get('VIDEO');
    const codec = out?.codec ?? out?.codecs.find((c) => c.rtxPayloadType !== undefined);
    if (!out?.transportCc || !codec || this.closed) return 0;
    const length = writePadding(outgoingPacket, SEQUENCE_EXTENSION_BYTES, repairStream(out, codec), out.stream.lastTimestamp);
    if (length === undefined) return 0;
    out.transportCc.stamp(outgoingPacket, length, Date.now(), true);
    this.protectAndSend(outgoingPacket, length);
    return length;
  }

  private protectAndSend(buf: Buffer, length: number): void {
    const protectedLength = this.srtp.protectRtp(buf, length);
    if (protectedLength < 0) return;
    this.sentPackets++;
    this.bytesSent += protectedLength;
    this.sendDatagram(buf, protectedLength);
  }

  private sendRtcp(packets: Buffer[]): void {
    if (this.closed) return;
    let length = 0;
    for (const p of packets) {
      if (length + p.length > 1400) break;
      p.copy(this.rtcpScratch, length);
      length += p.length;
    }
    const protectedLength = this.srtp.protectRtcp(this.rtcpScratch, length);
    if (protectedLength >= 0) this.sendDatagram(this.rtcpScratch, protectedLength);
  }

  private senderSsrc(): number {
    return this.outgoing.get('VIDEO')?.stream.ssrc ?? this.outgoing.get('AUDIO')?.stream.ssrc ?? this.config.rtcpSsrc;
  }

  private firstIncoming(kind: RtpKind): number | undefined {
    for (const [ssrcValue, k] of this.incomingKind) if (k === kind) return ssrcValue;
    for (const [ssrcValue, info] of this.config.remoteSsrcs) if (info.kind === kind && info.repairs === undefined) return ssrcValue;
    return undefined;
  }

  private sendReports(): void {
    const now = Date.now();
    const blocks: ReportBlock[] = [...this.incoming.values()].map((s) => s.report(now));
    const sending = [...this.outgoing.values()].filter((out) => out.stream.packetCount > 0);
    const packets = sending.map((out, i) => this.senderReports.build(out.stream, now, i === 0 ? blocks : []));
    if (sending.length === 0) packets.push(buildReceiverReport(this.config.rtcpSsrc, blocks));
    packets.push(buildSdesCname(this.senderSsrc(), this.config.cname));
    this.sendRtcp(packets);
  }

  /** Report blocks about what we send: the loss the peer saw, and the round trip. */
  private onReportBlocks(reports: ReportBlock[], now: number): void {
    for (const r of reports) {
      for (const [kind, out] of this.outgoing) if (out.stream.ssrc === r.ssrc) this.emit('receiverLoss', kind, r.fractionLost / 256);
      this.senderReports.onReportBlock(r, now);
    }
  }

  /**
   * Checks for packets to ask again every 20 ms, from the first gap until no stream misses any:
   * a session that receives nothing, or nothing lost (every subscriber, most publishers), runs no
   * timer at all.
   */
  private watchForLoss(): void {
    if (this.nackTimer || this.closed || this.config.feedback?.nack === false) return;
    this.nackTimer = setInterval(() => this.sendNacks(), NACK_INTERVAL_MS);
    this.nackTimer.unref();
  }

  private sendNacks(): void {
    const now = Date.now();
    const packets: Buffer[] = [];
    let missing = false;
    for (const stream of this.incoming.values()) {
      if (!stream.hasMissing) continue;
      missing = true;
      const lost = stream.lostToRequest(now, this.senderReports.rttMs);
      if (lost.length > 0) packets.push(buildNack(this.senderSsrc(), stream.ssrc, lost));
    }
    if (packets.length > 0) this.sendRtcp(packets);
    if (!missing) {
      clearInterval(this.nackTimer);
      this.nackTimer = undefined;
    }
  }
}
