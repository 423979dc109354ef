/**
 * The synthetic load every publisher sends, identical for both servers: VP8 at about 1.5 Mbit/s
 * and Opus at 50 packets/s, with a send-time stamp in each payload.
 *
 * Video: 30 frames/s; delta frames of 6 or 7 packets (880–1000 bytes of payload), a keyframe of
 * 20 packets of 1,150 bytes every 2 s: ≈ 201 packets/s and ≈ 1.53 Mbit/s of payload. Each packet
 * starts with a real VP8 payload descriptor (RFC 7741: X, S and PID=0, a 15-bit PictureID) and
 * the first packet of a frame with a VP8 frame tag (and, for keyframes, the start code and a
 * 640x480 size), so servers that look for keyframes find them. The marker bit closes each frame.
 * Audio: one 20 ms Opus packet of 100 bytes every 20 ms (a CELT-only TOC byte first).
 * A simulcast publisher sends that video as its top layer and two smaller ones beside it
 * (`SIMULCAST_LAYERS`), cut the same way.
 *
 * The last 16 bytes of every payload are the stamp: a magic number, the stream, and the
 * publisher's send time (performance.now() of the client process, which hosts subscribers too,
 * so both ends read the same clock). Neither server touches payloads, so the stamp survives the
 * hop and a subscriber that decrypts a packet reads the exact one-way delay.
 */
import { RtpHeader, RtpPacket } from 'werift';

export type MediaKind = 'audio' | 'video';

export const VIDEO_FPS = 30;
export const AUDIO_PTIME_MS = 20;
const VIDEO_CLOCK = 90_000;
const AUDIO_CLOCK = 48_000;
const KEYFRAME_EVERY_FRAMES = 60;
const AUDIO_PACKET_BYTES = 100;
/** Opus TOC: config 15 (CELT-only, fullband, 20 ms), mono, one frame. */
const OPUS_TOC = 0x78;

export const STAMP_BYTES = 16;
const STAMP_MAGIC = 0x4b52_5348; // "KRSH"

/** How a video stream's frames are cut into packets. */
export interface VideoShape {
  keyframePackets: number;
  keyframePacketBytes: number;
  /** Packets of the delta frames, alternately. */
  deltaPackets: readonly [number, number];
  /** Payload bytes of a delta frame's packets: from the first to below the second. */
  deltaPacketBytes: readonly [number, number];
}

/** The stream every publisher sends (and a simulcast publisher's top layer): ≈ 1.5 Mbit/s. */
export const FULL_VIDEO: VideoShape = { keyframePackets: 20, keyframePacketBytes: 1_150, deltaPackets: [6, 7], deltaPacketBytes: [880, 1_000] };

/**
 * A simulcast publisher's layers, lowest first, as a browser sends them (RIDs q, h, f): about
 * 0.14, 0.5 and 1.5 Mbit/s.
 */
export const SIMULCAST_LAYERS: readonly { rid: string; shape: VideoShape }[] = [
  { rid: 'q', shape: { keyframePackets: 3, keyframePacketBytes: 1_000, deltaPackets: [1, 1], deltaPacketBytes: [500, 600] } },
  { rid: 'h', shape: { keyframePackets: 8, keyframePacketBytes: 1_100, deltaPackets: [2, 2], deltaPacketBytes: [880, 1_000] } },
  { rid: 'f', shape: FULL_VIDEO },
];

function videoPacketsPerSecond(shape: VideoShape): number {
  const delta = (shape.deltaPackets[0] + shape.deltaPackets[1]) / 2;
  return (VIDEO_FPS / KEYFRAME_EVERY_FRAMES) * shape.keyframePackets + ((VIDEO_FPS * (KEYFRAME_EVERY_FRAMES - 1)) / KEYFRAME_EVERY_FRAMES) * delta;
}

/** Packets per second one publisher sends, for the expected figures printed with the results. */
export const PACKETS_PER_SECOND = {
  video: videoPacketsPerSecond(FULL_VIDEO),
  audio: 1000 / AUDIO_PTIME_MS,
};

/** Filler bytes: pseudo-random once, so payloads look like compressed media and cost nothing to build. */
const FILLER = Buffer.from(Array.from({ length: 2_048 }, (_, i) => (i * 2_654_435_761) >>> 24));

/** A stream's RTP numbering: random starts, as RFC 3550 asks. */
class Numbering {
  private sequence = Math.floor(Math.random() * 0x10000);
  private readonly timestampBase = Math.floor(Math.random() * 0x1_0000_0000);

  next(): number {
    const current = this.sequence;
    this.sequence = (this.sequence + 1) & 0xffff;
    return current;
  }

  timestamp(ticks: number): number {
    return (this.timestampBase + ticks) >>> 0;
  }
}

function packet(numbering: Numbering, timestamp: number, marker: boolean, payload: Buffer): RtpPacket {
  // SSRC and payload type are the sender's: werift's RTCRtpSender writes the negotiated ones.
  return new RtpPacket(new RtpHeader({ sequenceNumber: numbering.next(), timestamp, marker }), payload);
}

/** The RFC 7741 payload descriptor with a 15-bit PictureID: 4 bytes. */
function vp8Descriptor(payload: Buffer, startOfFrame: boolean, pictureId: number): number {
  payload[0] = 0x80 | (startOfFrame ? 0x10 : 0); // X, S, PID=0
  payload[1] = 0x80; // I: PictureID present
  payload.writeUInt16BE(0x8000 | (pictureId & 0x7fff), 2); // M: 15 bits
  return 4;
}

/** The VP8 frame header at the start of a frame (RFC 6386 §9.1). */
function vp8FrameHeader(payload: Buffer, offset: number, keyframe: boolean, frameBytes: number): void {
  const firstPartition = Math.min(frameBytes >> 2, 0x7ffff);
  // 3-byte frame tag: P (0 = keyframe), version 0, show_frame 1, first partition size.
  const tag = (keyframe ? 0 : 1) | (1 << 4) | (firstPartition << 5);
  payload[offset] = tag & 0xff;
  payload[offset + 1] = (tag >> 8) & 0xff;
  payload[offset + 2] = (tag >> 16) & 0xff;
  if (!keyframe) return;
  payload[offset + 3] = 0x9d;
  payload[offset + 4] = 0x01;
  payload[offset + 5] = 0x2a;
  payload.writeUInt16LE(640, offset + 6);
  payload.writeUInt16LE(480, offset + 8);
}

function filled(size: number, seed: number): Buffer {
  const payload = Buffer.allocUnsafe(size);
  const start = seed % (FILLER.length - size);
  FILLER.copy(payload, 0, start, start + size);
  return payload;
}

/** One video stream of the load (a publisher's only one, or one simulcast layer). */
export class SyntheticVideo {
  private readonly numbering = new Numbering();
  private frame = 0;

  constructor(private readonly shape: VideoShape = FULL_VIDEO) {}

  /** The packets of the next video frame, sent back to back as an encoder emits them. */
  nextFrame(): RtpPacket[] {
    const { keyframePackets, keyframePacketBytes, deltaPackets, deltaPacketBytes } = this.shape;
    const index = this.frame++;
    const keyframe = index % KEYFRAME_EVERY_FRAMES === 0;
    const count = keyframe ? keyframePackets : deltaPackets[index % 2]!;
    const timestamp = this.numbering.timestamp(Math.round((index * VIDEO_CLOCK) / VIDEO_FPS));
    const packets: RtpPacket[] = [];
    for (let i = 0; i < count; i++) {
      const size = keyframe ? keyframePacketBytes : deltaPacketBytes[0] + ((index * 7 + i * 13) % (deltaPacketBytes[1] - deltaPacketBytes[0]));
      const payload = filled(size, index * 31 + i);
      const offset = vp8Descriptor(payload, i === 0, index);
      if (i === 0) vp8FrameHeader(payload, offset, keyframe, count * size);
      packets.push(packet(this.numbering, timestamp, i === count - 1, payload));
    }
    return packets;
  }
}

/** One publisher's two streams, producing the packets due at each tick. */
export class SyntheticMedia {
  private readonly video = new SyntheticVideo();
  private readonly audio = new Numbering();
  private audioFrame = 0;

  /** The packets of the next video frame, sent back to back as an encoder emits them. */
  nextVideoFrame(): RtpPacket[] {
    return this.video.nextFrame();
  }

  nextAudioPacket(): RtpPacket {
    const index = this.audioFrame++;
    const payload = filled(AUDIO_PACKET_BYTES, index * 17);
    payload[0] = OPUS_TOC;
    return packet(this.audio, this.audio.timestamp(index * (AUDIO_CLOCK / 1000) * AUDIO_PTIME_MS), true, payload);
  }
}

/** Writes the send-time stamp into the last bytes of a payload, just before it is sent. */
export function stamp(payload: Buffer, kind: MediaKind, sentAt: number): void {
  const at = payload.length - STAMP_BYTES;
  payload.writeUInt32BE(STAMP_MAGIC, at);
  payload.writeUInt32BE(kind === 'video' ? 1 : 2, at + 4);
  payload.writeDoubleBE(sentAt, at + 8);
}

/**
 * The send time stamped in a decrypted RTP packet (header included), or undefined when the
 * payload does not end with a stamp: the packet was altered on the way.
 */
export function readStamp(rtp: Buffer): number | undefined {
  const padding = (rtp[0]! & 0x20) !== 0 ? rtp[rtp.length - 1]! : 0;
  const end = rtp.length - padding;
  const at = end - STAMP_BYTES;
  if (at < 12 || rtp.readUInt32BE(at) !== STAMP_MAGIC) return undefined;
  return rtp.readDoubleBE(at + 8);
}
