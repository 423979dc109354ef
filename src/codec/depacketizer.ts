/**
 * RTP packets of one stream in, encoded frames out, whatever the codec: video goes through the
 * frame assembler with the codec's payload format; audio codecs put one frame in each packet.
 */
import { codecName, type CodecDescription } from '../media/rtp-media.js';
import { FrameAssembler, type AssemblyResult } from './frame-assembler.js';
import { seqDiff, type RtpPacketLike } from './frame.js';
import { h264Format } from './h264.js';
import { jpegDimensions } from './jpeg.js';
import { vp8Format } from './vp8.js';
import { vp9Format } from './vp9.js';

export interface Depacketizer {
  push(packet: RtpPacketLike, nowMs: number): AssemblyResult;
  /** Whether frames are dropped until a key frame comes. */
  readonly waitingForKeyframe: boolean;
}

/**
 * Audio, and the internal whole-frame forms (AAC, JPEG): every packet is a frame that decodes on
 * its own; late and repeated packets are dropped, gaps are left to the decoder.
 */
class WholeFrameDepacketizer implements Depacketizer {
  private last: number | undefined;
  readonly waitingForKeyframe = false;

  constructor(private readonly dimensions?: (frame: Buffer) => { width: number; height: number } | undefined) {}

  push(packet: RtpPacketLike): AssemblyResult {
    const seq = packet.header.sequenceNumber;
    if (this.last !== undefined && seqDiff(seq, this.last) <= 0) return { frames: [], lost: false };
    this.last = seq;
    if (packet.payload.length === 0) return { frames: [], lost: false };
    const size = this.dimensions?.(packet.payload);
    return { frames: [{ data: packet.payload, rtpTimestamp: packet.header.timestamp, keyframe: true, ...(size ?? {}) }], lost: false };
  }
}

/** Codecs the depacketizers understand, by `codecName`. */
export const DEPACKETIZABLE = ['VP8', 'VP9', 'H264', 'OPUS', 'PCMU', 'PCMA', 'AAC', 'JPEG'] as const;

export function createDepacketizer(codec: CodecDescription): Depacketizer | undefined {
  switch (codecName(codec)) {
    case 'VP8':
      return new FrameAssembler(vp8Format);
    case 'VP9':
      return new FrameAssembler(vp9Format);
    case 'H264':
      return new FrameAssembler(h264Format);
    case 'OPUS':
    case 'PCMU':
    case 'PCMA':
    case 'AAC':
      return new WholeFrameDepacketizer();
    case 'JPEG':
      return new WholeFrameDepacketizer(jpegDimensions);
    default:
      return undefined;
  }
}
