/**
 * SDP for plain RTP peers (RtpEndpoint): our offers, our answers to a peer's offer, and what a
 * negotiation settled per media line, on `sdp-transform`.
 *
 * What KMS's RtpEndpoint accepts, we accept: RTP/AVP and RTP/AVPF, RTP/SAVP and RTP/SAVPF with
 * SDES keys, RTCP on the next port, on the port of `a=rtcp:` or muxed (`a=rtcp-mux`), static
 * payload types without `a=rtpmap` (0 = PCMU, 8 = PCMA), any H.264 profile in packetization
 * mode 0 or 1. A line we cannot serve (another transport, no codec in common, no usable key, a
 * second line of a kind, port 0) is rejected in the answer with port 0, never the whole offer;
 * unknown codecs and attributes are ignored.
 */
import { parse, write, type MediaDescription, type SessionDescription } from 'sdp-transform';
import { H264, OPUS, PCMA, PCMU, VP8, VP9 } from '../../media/codecs.js';
import { codecName, fmtpValue, type CodecDescription } from '../../media/rtp-media.js';
import type { NegotiatedCodec, RtpKind } from '../../rtp/rtp-session.js';
import { cryptoAttribute, parseCryptoAttribute, type SdesKey } from './sdes.js';

export type RtpProfile = 'RTP/AVP' | 'RTP/AVPF' | 'RTP/SAVP' | 'RTP/SAVPF';
const PROFILES: readonly string[] = ['RTP/AVP', 'RTP/AVPF', 'RTP/SAVP', 'RTP/SAVPF'];

/** Feedback the peer takes from us (RFC 4585, only in AVPF profiles). */
export interface Feedback {
  nack: boolean;
  pli: boolean;
  fir: boolean;
  remb: boolean;
}

/** Where one of our media lines listens. */
export interface LocalLine {
  kind: RtpKind;
  rtpPort: number;
  rtcpPort: number;
  ssrc: number;
}

export interface LocalSdpOptions {
  address: string;
  ipv6: boolean;
  cname: string;
  /** Our SDES key: an SAVP(F) profile and an `a=crypto` line. */
  key: SdesKey | undefined;
  /** Codecs already flowing into the endpoint, to put first. */
  preferred: readonly CodecDescription[];
}

/** What a negotiation settled for one media line. */
export interface NegotiatedLine {
  /** Index of the line in the SDP. */
  index: number;
  kind: RtpKind;
  /** Codecs the peer takes, with its payload types, in its order. */
  send: NegotiatedCodec[];
  /** Codecs the peer may send, with the payload types it will use. */
  receive: NegotiatedCodec[];
  feedback: Feedback;
  rtcpMux: boolean;
  /** Where the peer said it receives RTP and RTCP (symmetric RTP may learn better). */
  remote: { address: string; rtpPort: number; rtcpAddress: string; rtcpPort: number };
  /** The peer's key, when the line is SRTP. */
  remoteKey: SdesKey | undefined;
  sending: boolean;
  receiving: boolean;
}

/** An SDP that cannot be used at all (as opposed to lines that are rejected). */
export class SdpError extends Error {}

const STATIC_PAYLOADS: Record<number, CodecDescription> = { 0: PCMU, 8: PCMA };

/** The codecs we offer, per kind, with their payload types. */
const OFFERED: Record<RtpKind, { payloadType: number; codec: CodecDescription }[]> = {
  VIDEO: [
    { payloadType: 96, codec: VP8 },
    { payloadType: 97, codec: H264 },
    { payloadType: 98, codec: { mimeType: 'video/H264', clockRate: 90000, parameters: 'packetization-mode=0;profile-level-id=42e01f' } },
    { payloadType: 99, codec: VP9 },
  ],
  AUDIO: [
    { payloadType: 111, codec: OPUS },
    { payloadType: 0, codec: PCMU },
    { payloadType: 8, codec: PCMA },
  ],
};

const SUPPORTED = new Set(['VP8', 'VP9', 'H264', 'OPUS', 'PCMU', 'PCMA']);

function kindOf(type: string): RtpKind | undefined {
  return type === 'audio' ? 'AUDIO' : type === 'video' ? 'VIDEO' : undefined;
}

/** Parses an SDP; throws SdpError when it is not SDP at all. */
export function parseSdp(text: string): SessionDescription {
  let sdp: SessionDescription;
  try {
    sdp = parse(text);
  } catch (err) {
    throw new SdpError(`it does not parse (${(err as Error).message})`);
  }
  if (!Array.isArray(sdp.media) || sdp.media.length === 0) throw new SdpError('no media (m=) section');
  return sdp;
}

/** The codecs of a remote media line that we can carry, with the peer's payload types. */
function remoteCodecs(media: MediaDescription): NegotiatedCodec[] {
  const out: NegotiatedCodec[] = [];
  const payloads = String(media.payloads ?? '').split(/\s+/).filter((p) => /^\d+$/.test(p)).map(Number);
  for (const pt of payloads) {
    const map = media.rtp.find((r) => r.payload === pt);
    const fmtp = media.fmtp.find((f) => f.payload === pt)?.config;
    let codec: CodecDescription | undefined;
    if (map) {
      const name = map.codec.toUpperCase();
      if (!SUPPORTED.has(name)) continue;
      const channels = name === 'OPUS' ? 2 : name === 'PCMU' || name === 'PCMA' ? 1 : undefined;
      codec = { mimeType: `${media.type}/${map.codec}`, clockRate: map.rate ?? (media.type === 'audio' ? 8000 : 90000), ...(channels ? { channels } : {}), ...(fmtp ? { parameters: fmtp } : {}) };
      if (name === 'H264' && !['0', '1', undefined].includes(fmtpValue(codec, 'packetization-mode'))) continue;
      if (name === 'OPUS' && codec.clockRate !== 48000) continue;
    } else {
      codec = STATIC_PAYLOADS[pt];
    }
    if (codec) out.push({ payloadType: pt, codec });
  }
  return out;
}

function remoteFeedback(media: MediaDescription, payloadTypes: readonly number[]): Feedback {
  const avpf = media.protocol.endsWith('AVPF');
  const has = (type: string, subtype?: string): boolean =>
    avpf && (media.rtcpFb ?? []).some((f) => (f.payload === '*' || payloadTypes.includes(Number(f.payload))) && f.type === type && (f.subtype ?? undefined) === subtype);
  return { nack: has('nack'), pli: has('nack', 'pli'), fir: has('ccm', 'fir'), remb: has('goog-remb') };
}

function addressOf(sdp: SessionDescription, media: MediaDescription): string {
  return media.connection?.ip ?? sdp.connection?.ip ?? '0.0.0.0';
}

function remoteDirection(media: MediaDescription, sdp: SessionDescription): { sending: boolean; receiving: boolean } {
  // The peer's direction, seen from us: its sendonly is our receive-only.
  const d = media.direction ?? sdp.direction ?? 'sendrecv';
  return { sending: d === 'sendrecv' || d === 'recvonly', receiving: d === 'sendrecv' || d === 'sendonly' };
}

function remoteKeyOf(media: MediaDescription, suite: string | undefined): { tag: number; key: SdesKey } | undefined {
  for (const c of media.crypto ?? []) {
    const line = parseCryptoAttribute(`${c.id} ${c.suite} ${c.config}`);
    if (line?.key && (suite === undefined || line.suite === suite)) return { tag: line.tag, key: line.key };
  }
  return undefined;
}

/** Our codecs put in the order of `preferred` first. */
function orderedOffer(kind: RtpKind, preferred: readonly CodecDescription[]): { payloadType: number; codec: CodecDescription }[] {
  const rank = (c: CodecDescription): number => {
    const i = preferred.findIndex((p) => codecName(p) === codecName(c));
    return i < 0 ? preferred.length : i;
  };
  return [...OFFERED[kind]].sort((a, b) => rank(a.codec) - rank(b.codec));
}

function sessionSkeleton(options: LocalSdpOptions, sessionId: number): SessionDescription {
  const ipVer = options.ipv6 ? 6 : 4;
  return {
    version: 0,
    origin: { username: '-', sessionId, sessionVersion: 0, netType: 'IN', ipVer, address: options.address },
    name: 'Kurento Media Server',
    connection: { version: ipVer, ip: options.address },
    timing: { start: 0, stop: 0 },
    media: [],
  };
}

function rtpmap(pt: number, codec: CodecDescription): MediaDescription['rtp'][number] {
  const [, name] = codec.mimeType.split('/') as [string, string];
  return { payload: pt, codec: name, rate: codec.clockRate, ...(codec.channels && codec.channels > 1 ? { encoding: codec.channels } : {}) };
}

function localAttributes(m: MediaDescription, line: LocalLine, options: LocalSdpOptions, rtcpMux: boolean): void {
  if (!rtcpMux || line.rtcpPort !== line.rtpPort) m.rtcp = { port: line.rtcpPort };
  m.ssrcs = [{ id: line.ssrc, attribute: 'cname', value: options.cname }];
}

const VIDEO_FEEDBACK: { type: string; subtype?: string }[] = [{ type: 'nack' }, { type: 'nack', subtype: 'pli' }, { type: 'ccm', subtype: 'fir' }, { type: 'goog-remb' }];

/** Our offer: one line per kind asked for, RTP/AVPF (RTP/SAVPF with a key), RTCP muxing offered. */
export function buildOffer(lines: readonly LocalLine[], options: LocalSdpOptions, sessionId: number): string {
  const sdp = sessionSkeleton(options, sessionId);
  for (const line of lines) {
    const codecs = orderedOffer(line.kind, options.preferred);
    const m: MediaDescription = {
      type: line.kind === 'AUDIO' ? 'audio' : 'video',
      port: line.rtpPort,
      protocol: options.key ? 'RTP/SAVPF' : 'RTP/AVPF',
      payloads: codecs.map((c) => c.payloadType).join(' '),
      rtp: codecs.map((c) => rtpmap(c.payloadType, c.codec)),
      fmtp: codecs.filter((c) => c.codec.parameters).map((c) => ({ payload: c.payloadType, config: c.codec.parameters! })),
      direction: 'sendrecv',
      mid: line.kind === 'AUDIO' ? 'audio0' : 'video0',
      rtcpMux: 'rtcp-mux',
    };
    if (line.kind === 'VIDEO') m.rtcpFb = codecs.flatMap((c) => VIDEO_FEEDBACK.map((f) => ({ payload: c.payloadType, ...f })));
    if (options.key) m.crypto = [cryptoLine(1, options.key)];
    localAttributes(m, line, options, false);
    sdp.media.push(m);
  }
  return write(sdp);
}

function cryptoLine(tag: number, key: SdesKey): NonNullable<MediaDescription['crypto']>[number] {
  const [, suite, config] = /^(\d+) (\S+) (.*)$/.exec(cryptoAttribute(tag, key))!.slice(1) as [string, string, string];
  return { id: tag, suite: suite!, config: config! };
}

/** Whether a remote line can be served at all by an endpoint with (or without) a key. */
function lineProblem(media: MediaDescription, key: SdesKey | undefined, taken: Set<RtpKind>): string | undefined {
  const kind = kindOf(media.type);
  if (!kind) return `${media.type} media is not RTP audio or video`;
  if (media.port === 0) return 'the peer rejected it';
  if (!PROFILES.includes(media.protocol)) return `the ${media.protocol} transport is not plain RTP`;
  if (taken.has(kind)) return `a second ${media.type} line`;
  const secure = media.protocol.startsWith('RTP/S');
  if (secure !== (key !== undefined)) return secure ? 'SRTP without a key of ours (no crypto parameter)' : 'plain RTP to an endpoint made for SRTP';
  return undefined;
}

/**
 * Answers a peer's offer: negotiated lines and the answer text. The local line of a kind the
 * answer accepts comes from `localLine` (the caller owns the sockets).
 */
export function answerOffer<L extends LocalLine>(offerText: string, options: LocalSdpOptions, localLine: (kind: RtpKind) => L, sessionId: number): { answer: string; lines: NegotiatedLine[]; locals: L[] } {
  const offer = parseSdp(offerText);
  const answer = sessionSkeleton(options, sessionId);
  const lines: NegotiatedLine[] = [];
  const locals: L[] = [];
  const taken = new Set<RtpKind>();
  offer.media.forEach((media, index) => {
    const kind = kindOf(media.type);
    let problem = lineProblem(media, options.key, taken);
    let codecs: NegotiatedCodec[] = [];
    let remoteKey: { tag: number; key: SdesKey } | undefined;
    if (!problem) {
      codecs = remoteCodecs(media);
      if (codecs.length === 0) problem = 'no codec in common';
      if (options.key) {
        remoteKey = remoteKeyOf(media, options.key.suite);
        if (!remoteKey) problem = `no usable ${options.key.suite} key`;
      }
    }
    const rejected: MediaDescription = {
      type: media.type,
      port: 0,
      protocol: media.protocol,
      payloads: String(media.payloads ?? '0'),
      rtp: [],
      fmtp: [],
      ...(media.mid !== undefined ? { mid: media.mid } : {}),
    };
    if (problem || !kind) {
      answer.media.push(rejected);
      return;
    }
    taken.add(kind);
    const ranked = preferredFirst(codecs, options.preferred);
    const local = localLine(kind);
    locals.push(local);
    const pts = ranked.map((c) => c.payloadType);
    const feedback = remoteFeedback(media, pts);
    const rtcpMux = media.rtcpMux !== undefined;
    const direction = remoteDirection(media, offer);
    const m: MediaDescription = {
      type: media.type,
      port: local.rtpPort,
      protocol: media.protocol,
      payloads: pts.join(' '),
      rtp: ranked.map((c) => rtpmap(c.payloadType, c.codec)),
      fmtp: ranked.filter((c) => c.codec.parameters).map((c) => ({ payload: c.payloadType, config: c.codec.parameters! })),
      direction: direction.sending && direction.receiving ? 'sendrecv' : direction.sending ? 'sendonly' : direction.receiving ? 'recvonly' : 'inactive',
      ...(media.mid !== undefined ? { mid: media.mid } : {}),
      ...(rtcpMux ? { rtcpMux: 'rtcp-mux' as const } : {}),
    };
    const fb = feedbackLines(feedback);
    if (kind === 'VIDEO' && fb.length > 0) m.rtcpFb = pts.flatMap((pt) => fb.map((f) => ({ payload: pt, ...f })));
    if (options.key && remoteKey) m.crypto = [cryptoLine(remoteKey.tag, options.key)];
    localAttributes(m, local, options, rtcpMux);
    answer.media.push(m);
    lines.push(negotiatedLine(offer, media, index, kind, ranked, ranked, feedback, rtcpMux, remoteKey?.key, direction));
  });
  return { answer: write(answer), lines, locals };
}

function feedbackLines(feedback: Feedback): { type: string; subtype?: string }[] {
  return VIDEO_FEEDBACK.filter((f) => (f.type === 'nack' && !f.subtype && feedback.nack) || (f.subtype === 'pli' && feedback.pli) || (f.subtype === 'fir' && feedback.fir) || (f.type === 'goog-remb' && feedback.remb));
}

function preferredFirst(codecs: NegotiatedCodec[], preferred: readonly CodecDescription[]): NegotiatedCodec[] {
  const rank = (c: NegotiatedCodec): number => {
    const i = preferred.findIndex((p) => codecName(p) === codecName(c.codec));
    return i < 0 ? preferred.length : i;
  };
  return [...codecs].sort((a, b) => rank(a) - rank(b));
}

function negotiatedLine(
  sdp: SessionDescription,
  media: MediaDescription,
  index: number,
  kind: RtpKind,
  send: NegotiatedCodec[],
  receive: NegotiatedCodec[],
  feedback: Feedback,
  rtcpMux: boolean,
  remoteKey: SdesKey | undefined,
  direction: { sending: boolean; receiving: boolean },
): NegotiatedLine {
  return {
    index,
    kind,
    send,
    receive,
    feedback,
    rtcpMux,
    remote: {
      address: addressOf(sdp, media),
      rtpPort: media.port,
      rtcpAddress: media.rtcp?.address ?? addressOf(sdp, media),
      rtcpPort: rtcpMux ? media.port : (media.rtcp?.port ?? media.port + 1),
    },
    remoteKey,
    ...direction,
  };
}

/**
 * Applies the peer's answer to our offer: for each of our lines, what the peer accepted. A line
 * the answer rejects (port 0, or missing) carries nothing.
 */
export function applyAnswer(offerText: string, answerText: string, key: SdesKey | undefined): NegotiatedLine[] {
  const offer = parseSdp(offerText);
  const answer = parseSdp(answerText);
  const lines: NegotiatedLine[] = [];
  const taken = new Set<RtpKind>();
  offer.media.forEach((ours, index) => {
    const kind = kindOf(ours.type);
    // Answers that reorder or drop lines (hand-written ones for ffmpeg) are matched by kind.
    const theirs = answer.media[index]?.type === ours.type ? answer.media[index] : answer.media.find((m) => m.type === ours.type);
    if (!kind || !theirs || lineProblem(theirs, key, taken)) return;
    const ourCodecs = remoteCodecs(ours);
    // We send what the peer takes, with its payload types. It should send with ours, but a peer
    // that never read our offer (ffmpeg numbers its own) sends with the numbers of its SDP: those
    // win, and ours serve for the rest.
    const send = remoteCodecs(theirs).filter((c) => ourCodecs.some((o) => codecName(o.codec) === codecName(c.codec)));
    if (send.length === 0) return;
    const receive = [...send, ...ourCodecs.filter((o) => send.some((c) => codecName(c.codec) === codecName(o.codec)) && !send.some((c) => c.payloadType === o.payloadType))];
    const remoteKey = key ? remoteKeyOf(theirs, key.suite)?.key : undefined;
    if (key && !remoteKey) return;
    taken.add(kind);
    const rtcpMux = theirs.rtcpMux !== undefined;
    lines.push(negotiatedLine(answer, theirs, index, kind, send, receive, remoteFeedback(theirs, send.map((c) => c.payloadType)), rtcpMux, remoteKey, remoteDirection(theirs, answer)));
  });
  return lines;
}
