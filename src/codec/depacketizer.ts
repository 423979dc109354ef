/**
 * RTP packets of one stream in, encoded frames out, whatever the codec: video goes through the
 * frame assembler with the codec's payload format; audio codecs put one frame in each packet.
 */
import { codecName, type CodecDescription } from '../media/rtp-media.js';
import { FrameAssembler, type AssemblyResult } from './frame-assembler.js';
import { seqDiff, type RtpPacketLike } from './frame.js';
import { h264Format } from './h264.js';
import { vp8Format } from './vp8.js';
import { vp9Format } from './vp9.js';

export interface Depacketizer {
  push(packet: RtpPacketLike, nowMs: number): AssemblyResult;
  /** Whether frames are dropped until a key frame comes. */
  readonly waitingForKeyframe: boolean;
}

/** Audio: every packet is a frame; late and repeated packets are dropped, gaps are left to the decoder. */
class AudioDepacketizer implements Depacketizer {
  private last: number | undefined;
  readonly waitingForKeyframe = false;

  push(packet: RtpPacketLike): AssemblyResult {
    const seq = packet.header.sequenceNumber;
    if (this.last !== undefined && seqDiff(seq, this.last) <= 0) return { frames: [], lost: false };
    this.last = seq;
    if (packet.payload.length === 0) return { frames: [], lost: false };
    return { frames: [{ data: packet.payload, rtpTimestamp: packet.header.timestamp, keyframe: true }], lost: false };
  }
}

/** Codecs the depacketizers understand, by `codecName`. */
export const DEPACKETIZABLE = ['VP8', 'VP9', 'H264', 'OPUS', 'PCMU', 'PCMA'] as const;

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
      return new AudioDepacketizer();
    default:
      return undefined;
  }
}
