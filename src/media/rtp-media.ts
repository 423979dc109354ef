/**
 * What travels downstream between elements: RTP packets with the description of their codec,
 * and data-channel messages. The SFU path forwards these as they are; only the endpoint that
 * sends them to the network rewrites SSRC, sequence numbers, timestamps and payload type.
 */
import { RtpPacket } from 'werift';
import type { ReceiveStream } from '../rtp/receive-stream.js';

/** A codec as negotiated: `video/VP8`, `audio/opus`, ... */
export interface CodecDescription {
  /** MIME type with the original capitalisation of the SDP, e.g. `video/H264`. */
  readonly mimeType: string;
  readonly clockRate: number;
  readonly channels?: number;
  /** fmtp line, e.g. `profile-level-id=42e01f;packetization-mode=1`. */
  readonly parameters?: string;
}

/**
 * One RTP packet in the pipeline: the plaintext bytes of exactly one packet, its codec, and —
 * when it came from a peer over the fast path — the incoming stream it belongs to, whose history
 * answers retransmission requests for every copy forwarded. Elements that want a parsed packet
 * (recorders, filters) read `packet`, parsed on first use; the forwarding path never does.
 */
export class RtpMedia {
  private parsed: RtpPacket | undefined;

  constructor(
    readonly kind: 'AUDIO' | 'VIDEO',
    readonly buffer: Buffer,
    readonly codec: CodecDescription,
    readonly source?: ReceiveStream,
  ) {}

  /** Wraps an already parsed packet (players, the werift path). */
  static fromPacket(kind: 'AUDIO' | 'VIDEO', packet: RtpPacket, codec: CodecDescription): RtpMedia {
    const media = new RtpMedia(kind, packet.serialize(), codec);
    media.parsed = packet;
    return media;
  }

  get packet(): RtpPacket {
    this.parsed ??= RtpPacket.deSerialize(this.buffer);
    return this.parsed;
  }
}

export interface DataMedia {
  readonly kind: 'DATA';
  /** Label of the data channel the message came on. */
  readonly label: string;
  readonly ordered: boolean;
  readonly protocol: string;
  readonly data: string | Buffer;
}

export type MediaUnit = RtpMedia | DataMedia;

export function codecName(codec: CodecDescription): string {
  return codec.mimeType.slice(codec.mimeType.indexOf('/') + 1).toUpperCase();
}

/** True when two descriptions name the same codec (and, for H.264, the same packetization). */
export function sameCodec(a: CodecDescription, b: CodecDescription): boolean {
  if (a.mimeType.toLowerCase() !== b.mimeType.toLowerCase() || a.clockRate !== b.clockRate) return false;
  if (codecName(a) === 'H264') return fmtpValue(a, 'packetization-mode') === fmtpValue(b, 'packetization-mode');
  return true;
}

export function fmtpValue(codec: CodecDescription, key: string): string | undefined {
  for (const part of (codec.parameters ?? '').split(';')) {
    const [k, v] = part.split('=');
    if (k?.trim().toLowerCase() === key) return v?.trim();
  }
  return undefined;
}

/**
 * Whether an RTP packet starts a picture that decodes on its own. Only the payload descriptor
 * is read (RFC 7741 for VP8, RFC 9628 for VP9, RFC 6184 for H.264).
 */
export function isKeyframeStart(codec: CodecDescription, payload: Buffer): boolean {
  switch (codecName(codec)) {
    case 'VP8':
      return vp8Keyframe(payload);
    case 'VP9':
      return vp9Keyframe(payload);
    case 'H264':
      return h264Keyframe(payload);
    default:
      return false;
  }
}

function vp8Keyframe(p: Buffer): boolean {
  if (p.length < 1) return false;
  const x = (p[0]! & 0x80) !== 0;
  const s = (p[0]! & 0x10) !== 0;
  const partition = p[0]! & 0x07;
  if (!s || partition !== 0) return false;
  let offset = 1;
  if (x) {
    if (p.length < 2) return false;
    const ext = p[1]!;
    offset = 2;
    if (ext & 0x80) offset += p.length > offset && p[offset]! & 0x80 ? 2 : 1; // PictureID
    if (ext & 0x40) offset += 1; // TL0PICIDX
    if (ext & 0x30) offset += 1; // TID/KEYIDX
  }
  // VP8 payload header: P bit (inverse key frame flag) is bit 0 of the first byte.
  return p.length > offset && (p[offset]! & 0x01) === 0;
}

function vp9Keyframe(p: Buffer): boolean {
  if (p.length < 1) return false;
  const b = p[0]!;
  const interPicturePredicted = (b & 0x40) !== 0;
  const startOfFrame = (b & 0x08) !== 0;
  return !interPicturePredicted && startOfFrame;
}

function h264Keyframe(p: Buffer): boolean {
  if (p.length < 2) return false;
  const nalType = p[0]! & 0x1f;
  if (nalType === 5 || nalType === 7) return true; // IDR slice or SPS
  if (nalType === 24) {
    // STAP-A: aggregated NAL units, each with a 16-bit size.
    let offset = 1;
    while (offset + 2 < p.length) {
      const size = p.readUInt16BE(offset);
      const type = p[offset + 2]! & 0x1f;
      if (type === 5 || type === 7) return true;
      offset += 2 + size;
    }
    return false;
  }
  if (nalType === 28) {
    // FU-A: the start fragment carries the original NAL type.
    const start = (p[1]! & 0x80) !== 0;
    const type = p[1]! & 0x1f;
    return start && (type === 5 || type === 7);
  }
  return false;
}
