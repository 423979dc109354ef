/**
 * The fast media path of a WebRTC session: once werift has done ICE and the DTLS handshake, RTP
 * and RTCP no longer go through werift. Media datagrams are taken off the ICE connection before
 * werift sees them and handed to our RTP session (SRTP, streams, RTCP); what we send goes
 * straight to the selected candidate pair's UDP socket, with one sendto per datagram from native
 * code (transport/udp/direct-sender.ts). DTLS (and SCTP data channels on it) and
 * STUN stay with werift.
 *
 * `KUROSHIO_RTP_PATH=werift` keeps werift's own RTP stack instead (the baseline in benchmarks).
 */
import type { LayerPreference } from '../../media/simulcast/layer-policy.js';
import type { Socket } from 'node:dgram';
import type { RTCDtlsTransport, RTCPeerConnection, RTCRtpTransceiver } from 'werift';
import { RtpMedia } from '../../media/rtp-media.js';
import { ForeignSources } from '../../rtp/foreign-sources.js';
import { sessionCounters } from '../../rtp/stream-counters.js';
import { RtpSession, type NegotiatedCodec, type RtpKind, type RtpSessionConfig } from '../../rtp/rtp-session.js';
import { WeriftSrtpTransform, type SrtpKeys, type SrtpTransform } from '../../rtp/srtp-transform.js';
import { SrtpSession, srtpAddonAvailable } from '../srtp/index.js';
import { DirectUdpSender } from '../udp/direct-sender.js';
import { transportCcExtensionId, transportFeedbackExtensionId } from './header-extension-sdp.js';
import { MediaPath, type BypassCounters, type StreamCounters } from './media-path.js';
import { offeredSimulcast } from './simulcast-sdp.js';
import { describeCodec, isMediaCodec, isReceiving, isSending, toKind } from './transceivers.js';

/** Which RTP path new sessions use. */
export function fastPathEnabled(): boolean {
  return process.env.KUROSHIO_RTP_PATH !== 'werift';
}

/** Builds the SRTP transform for the session keys. */
export type SrtpFactory = (keys: SrtpKeys) => SrtpTransform;

/**
 * The native module (cached OpenSSL contexts, in place) when it was built; werift's JavaScript
 * otherwise, or when `KUROSHIO_SRTP=js` asks for it (the baseline in benchmarks).
 */
function defaultSrtpFactory(): SrtpFactory {
  if (process.env.KUROSHIO_SRTP !== 'js' && srtpAddonAvailable()) return (keys) => new SrtpSession(keys);
  return (keys) => new WeriftSrtpTransform(keys);
}

let srtpFactory: SrtpFactory | undefined;

// werift's internals the fast path reaches into (its public types do not describe them): the
// DTLS session's SRTP keys, and the ICE connection's nominated pair, socket and datagram event.
interface DtlsInternals {
  dtls?: {
    srtp: { srtpProfile?: number };
    extractSessionKeys(keyLength: number, saltLength: number): { localKey: Buffer; localSalt: Buffer; remoteKey: Buffer; remoteSalt: Buffer };
  };
}

interface UdpLike {
  type: string;
  closed?: boolean;
  socket?: Socket;
}

interface NominatedPair {
  protocol: { transport?: UdpLike };
  remoteAddr: readonly [string, number];
}

interface IceConnectionInternals {
  nominated?: NominatedPair;
  onData: { execute: (data: Buffer) => void };
  send(data: Buffer): Promise<void>;
}

function keyLengths(profile: number): { key: number; salt: number } {
  switch (profile) {
    case 0x0007:
      return { key: 16, salt: 12 };
    case 0x0008:
      return { key: 32, salt: 12 };
    default:
      return { key: 16, salt: 14 };
  }
}

/** The negotiated media codecs of a transceiver, each with the RTX payload type repairing it. */
function negotiatedCodecs(transceiver: RTCRtpTransceiver): NegotiatedCodec[] {
  const rtx = transceiver.codecs.filter((c) => c.name.toLowerCase() === 'rtx');
  return transceiver.codecs
    .filter(isMediaCodec)
    .map((c) => {
      const repair = rtx.find((r) => new RegExp(`(^|;)\\s*apt=${c.payloadType}(;|$)`).test(r.parameters ?? ''));
      return { payloadType: c.payloadType, codec: describeCodec(c), ...(repair ? { rtxPayloadType: repair.payloadType } : {}) };
    });
}

/** SSRCs announced in an SDP (a=ssrc, a=ssrc-group:FID) by media kind. */
export function announcedSsrcs(sdp: string): Map<number, { kind: RtpKind; repairs?: number }> {
  const out = new Map<number, { kind: RtpKind; repairs?: number }>();
  let kind: RtpKind | undefined;
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('m=')) kind = line.startsWith('m=audio') ? 'AUDIO' : line.startsWith('m=video') ? 'VIDEO' : undefined;
    if (!kind) continue;
    const ssrcLine = /^a=ssrc:(\d+) /.exec(line);
    if (ssrcLine && !out.has(Number(ssrcLine[1]))) out.set(Number(ssrcLine[1]), { kind });
    const fid = /^a=ssrc-group:FID (\d+) (\d+)/.exec(line);
    if (fid) out.set(Number(fid[2]), { kind, repairs: Number(fid[1]) });
  }
  return out;
}

/**
 * Takes the media of a connected peer connection onto our RTP session. Returns undefined when
 * the session cannot be taken over (no keys yet, a transport we do not handle), in which case
 * werift keeps carrying the media.
 */
export function attachFastPath(pc: RTCPeerConnection, remoteSdp: string, cname: string): FastMediaPath | undefined {
  const dtls = pc.dtlsTransports[0] as (RTCDtlsTransport & DtlsInternals) | undefined;
  const ice = pc.iceTransports[0]?.connection as unknown as IceConnectionInternals | undefined;
  const profile = dtls?.dtls?.srtp.srtpProfile;
  if (!dtls?.dtls || !ice || profile === undefined) return undefined;
  const lengths = keyLengths(profile);
  const keys = dtls.dtls.extractSessionKeys(lengths.key, lengths.salt);
  srtpFactory ??= defaultSrtpFactory();
  const srtp = srtpFactory({ profile, ...keys });

  const simulcast = offeredSimulcast(remoteSdp);
  const transportCcId = transportCcExtensionId(remoteSdp);
  const feedbackId = transportFeedbackExtensionId(remoteSdp);
  const config: RtpSessionConfig = {
    cname, rtcpSsrc: 0, send: {}, receive: {}, remoteSsrcs: announcedSsrcs(remoteSdp),
    ...(simulcast ? { simulcast } : {}),
    ...(transportCcId !== undefined ? { transportCc: { extensionId: transportCcId } } : {}),
    ...(feedbackId !== undefined ? { transportFeedback: { extensionId: feedbackId } } : {}),
  };
  for (const t of pc.getTransceivers()) {
    const kind = toKind(t.kind);
    const codecs = negotiatedCodecs(t);
    if (config.rtcpSsrc === 0) config.rtcpSsrc = t.receiver.rtcpSsrc;
    if (isSending(t) && !config.send[kind]) {
      const rtx = codecs.some((c) => c.rtxPayloadType !== undefined);
      config.send[kind] = { ssrc: t.sender.ssrc, ...(rtx ? { rtxSsrc: t.sender.rtxSsrc } : {}), codecs };
    }
    if (isReceiving(t) && !config.receive[kind]) config.receive[kind] = { codecs };
  }

  const senders = new WeakMap<Socket, DirectUdpSender>();
  const send = (buf: Buffer, length: number): void => {
    const pair = ice.nominated;
    const transport = pair?.protocol.transport;
    if (pair && transport?.type === 'udp' && transport.socket && !transport.closed) {
      let sender = senders.get(transport.socket);
      if (!sender) {
        sender = new DirectUdpSender(transport.socket);
        senders.set(transport.socket, sender);
      }
      sender.send(buf, length, pair.remoteAddr[0], pair.remoteAddr[1]);
    } else {
      // TCP and TURN go through werift, which may hold the buffer: give it its own copy. A failed
      // send means the pair is gone; the packet is lost like any other, and ICE reports the rest.
      void ice.send(Buffer.from(buf.subarray(0, length))).catch(() => undefined);
    }
  };
  const session = new RtpSession(config, srtp, send);

  // Media datagrams (RFC 7983: first byte 128-191) come to us; werift keeps DTLS and STUN.
  const werift = ice.onData.execute;
  ice.onData.execute = (data: Buffer) => {
    const first = data[0]!;
    if (first >= 128 && first <= 191) session.handleDatagram(data);
    else werift(data);
  };
  return new FastMediaPath(session);
}

/** Our RTP session as the WebRTC session's media path. */
export class FastMediaPath extends MediaPath {
  /** Histories of media that came from elsewhere than a fast-path peer. */
  private readonly foreignSources = new ForeignSources();

  constructor(private readonly session: RtpSession) {
    super();
    session.on('rtp', (kind, buffer, codec, stream) => this.emit('rtp', new RtpMedia(kind, buffer, codec, stream)));
    session.on('keyframeRequest', (kind) => this.emit('keyframeRequest', kind));
    session.on('bitrateEstimate', (kind, bps, measured) => this.emit('bitrateEstimate', kind, bps, measured));
    session.on('receiverLoss', (kind, fraction) => this.emit('receiverLoss', kind, fraction));
    session.on('rtcp', () => this.emit('rtcp'));
  }

  override sendRtp(media: RtpMedia): boolean {
    return this.session.forward(media.kind, media.buffer, media.codec, media.source ?? this.foreignSources.remember(media));
  }

  /**
   * Always: the RTP session picks the stream to ask when it sends, so a request counts for the
   * spacing even when there is no stream to ask yet.
   */
  override canRequestKeyframe(): boolean {
    return true;
  }

  override requestKeyframe(kind: RtpKind): boolean {
    return this.session.requestKeyframe(kind);
  }

  override sendRemb(kind: RtpKind, bitsPerSecond: number): void {
    this.session.sendRemb(kind, bitsPerSecond);
  }

  override setLayerPreference(preference: () => LayerPreference | undefined): void {
    this.session.setLayerPreference(preference);
  }

  override forwardsSpatialLayers(): boolean {
    return this.session.forwardsSpatialLayers;
  }

  override streamCounters(): StreamCounters[] {
    return sessionCounters(this.session);
  }

  /** Media bypasses werift's DTLS transport here: what our RTP session saw. */
  override bypassCounters(): BypassCounters {
    return { bytesSent: this.session.bytesSent, bytesReceived: this.session.bytesReceived, dropped: this.session.dropped };
  }

  override close(): void {
    this.session.close();
  }
}
