/**
 * The media path through werift's own RTP stack: its transceivers send and receive RTP, handle
 * NACK/RTX, and carry our PLI and REMB. Every session starts on it; the fast path
 * (`fast-media-path.ts`) takes over once DTLS connects, unless `KUROSHIO_RTP_PATH=werift`.
 */
import {
  MediaStream,
  PictureLossIndication,
  ReceiverEstimatedMaxBitrate,
  RtcpPayloadSpecificFeedback,
  type RTCPeerConnection,
  type RTCRtpTransceiver,
  type RtcpPacket,
} from 'werift';
import { RtpMedia, sameCodec } from '../../media/rtp-media.js';
import { MediaPath, type BypassCounters, type RtpKind, type StreamCounters } from './media-path.js';
import { describeCodec, receivingTransceiver, sendingTransceiver, toKind } from './transceivers.js';

/** werift's stats entries, read as loosely typed records (its types do not describe them). */
type WeriftStats = Record<string, number | string | undefined>[];

export class WeriftMediaPath extends MediaPath {
  private readonly watched = new WeakSet<RTCRtpTransceiver>();
  private readonly mediaStream = new MediaStream();
  private readonly sendSsrcByKind = new Map<RtpKind, number>();
  /** Source SSRC last forwarded per kind: a change is a new source, so the sender re-bases. */
  private readonly lastSourceSsrc = new Map<RtpKind, number>();

  constructor(private readonly pc: RTCPeerConnection) {
    super();
  }

  /** Listens to a transceiver's media and feedback (once, however often it is handed in). */
  watchTransceiver(transceiver: RTCRtpTransceiver): void {
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
    transceiver.receiver.onRtcp.subscribe(() => this.emit('rtcp'));
    transceiver.sender.onRtcp.subscribe((rtcp) => this.onSenderRtcp(kind, rtcp));
    transceiver.sender.onPictureLossIndication.subscribe(() => this.emit('keyframeRequest', kind));
  }

  /** Our SSRC for a kind, once a transceiver of that kind exists. */
  ssrcOfSender(kind: RtpKind): number | undefined {
    return this.sendSsrcByKind.get(kind);
  }

  override sendRtp(media: RtpMedia): boolean {
    const kind = media.kind;
    const transceiver = sendingTransceiver(this.pc, kind);
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

  override canRequestKeyframe(kind: RtpKind): boolean {
    return this.receivedSsrc(kind) !== undefined;
  }

  override requestKeyframe(kind: RtpKind): boolean {
    const transceiver = receivingTransceiver(this.pc, kind);
    const ssrc = this.receivedSsrc(kind);
    if (!transceiver || ssrc === undefined) return false;
    transceiver.receiver.sendRtcpPLI(ssrc).catch((err: Error) => this.emit('failure', `PLI failed: ${err.message}`));
    return true;
  }

  override sendRemb(kind: RtpKind, bitsPerSecond: number): void {
    const transceiver = receivingTransceiver(this.pc, kind);
    const ssrc = this.receivedSsrc(kind);
    if (!transceiver || ssrc === undefined) return;
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

  /** Per-stream RTP counters, read synchronously from werift's senders and receivers. */
  override streamCounters(): StreamCounters[] {
    const out: StreamCounters[] = [];
    const now = Date.now();
    for (const t of this.pc.getTransceivers()) {
      const kind = toKind(t.kind);
      const fromSender = t.sender.collectStats(now) as unknown as WeriftStats;
      const outbound = fromSender.find((s) => s.type === 'outbound-rtp');
      const remote = fromSender.find((s) => s.type === 'remote-inbound-rtp');
      if (outbound && Number(outbound.packetsSent ?? 0) > 0) {
        out.push({
          direction: 'outbound', kind, ssrc: Number(outbound.ssrc), codec: t.sender.codec?.mimeType ?? '',
          packets: Number(outbound.packetsSent ?? 0), bytes: Number(outbound.bytesSent ?? 0), frames: Number(outbound.framesSent ?? 0),
          nackCount: Number(outbound.nackCount ?? 0), pliCount: Number(outbound.pliCount ?? 0),
          packetsLost: Number(remote?.packetsLost ?? 0), fractionLost: Number(remote?.fractionLost ?? 0),
          jitter: Number(remote?.jitter ?? 0), roundTripTime: Number(remote?.roundTripTime ?? 0),
          remb: Number(t.sender.receiverEstimatedMaxBitrate ?? 0),
        });
      }
      const fromReceiver = t.receiver.collectStats(now) as unknown as WeriftStats;
      for (const inbound of fromReceiver.filter((s) => s.type === 'inbound-rtp')) {
        out.push({
          direction: 'inbound', kind, ssrc: Number(inbound.ssrc), codec: String(t.codecs[0]?.mimeType ?? ''),
          packets: Number(inbound.packetsReceived ?? 0), bytes: Number(inbound.bytesReceived ?? 0), frames: Number(inbound.framesReceived ?? 0),
          nackCount: Number(inbound.nackCount ?? 0), pliCount: Number(inbound.pliCount ?? 0),
          packetsLost: Number(inbound.packetsLost ?? 0), fractionLost: 0, jitter: Number(inbound.jitter ?? 0),
          roundTripTime: 0, remb: 0,
        });
      }
    }
    return out;
  }

  /** Everything goes through werift's DTLS transport, whose own counters include it. */
  override bypassCounters(): BypassCounters {
    return { bytesSent: 0, bytesReceived: 0, dropped: 0 };
  }

  /** Nothing to free: the transceivers close with the peer connection. */
  override close(): void {}

  private onSenderRtcp(kind: RtpKind, rtcp: RtcpPacket): void {
    this.emit('rtcp');
    if (rtcp.type !== RtcpPayloadSpecificFeedback.type) return;
    const feedback = (rtcp as RtcpPayloadSpecificFeedback).feedback;
    if (feedback instanceof ReceiverEstimatedMaxBitrate) this.emit('bitrateEstimate', kind, Number(feedback.bitrate), false);
    else if (!(feedback instanceof PictureLossIndication)) this.emit('keyframeRequest', kind); // FIR
  }

  /** The SSRC the peer sends a kind on, which PLI and REMB name. */
  private receivedSsrc(kind: RtpKind): number | undefined {
    const transceiver = receivingTransceiver(this.pc, kind);
    return transceiver?.receiver.track?.ssrc ?? transceiver?.receiver.tracks[0]?.ssrc;
  }
}
