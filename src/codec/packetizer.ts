/**
 * Encoded frames in, RTP packets out: the codec's payload format, then sequence numbers, the
 * timestamp in the codec's clock and the marker bit on the last packet of each frame. The stream
 * keeps one SSRC and a continuous sequence whatever happens upstream (seek, loop, new source).
 */
import { randomInt } from 'node:crypto';
import { RtpHeader, RtpPacket } from 'werift';
import { codecName, type CodecDescription } from '../media/rtp-media.js';
import { packetizeH264, splitAnnexB } from './h264.js';
import { packetizeVp8 } from './vp8.js';
import { packetizeVp9 } from './vp9.js';

/** Payload size that fits a 1500-byte MTU with IP, UDP, SRTP, header extensions and TURN. */
export const MAX_RTP_PAYLOAD = 1100;

export interface FrameToSend {
  /** VP8/VP9 frame, H.264 access unit in Annex B, or one audio packet. */
  data: Buffer;
  keyframe: boolean;
  /** Presentation time in the codec's clock units, from the start of the stream. */
  time: number;
  width?: number;
  height?: number;
}

export class RtpPacketizer {
  readonly ssrc = randomInt(1, 0xffffffff);
  private sequence = randomInt(0, 0xffff);
  private readonly timestampBase = randomInt(0, 0xffffffff);
  private pictureId = randomInt(0, 0x7fff);
  private readonly name: string;

  constructor(
    readonly codec: CodecDescription,
    readonly payloadType: number,
  ) {
    this.name = codecName(codec);
  }

  packetize(frame: FrameToSend): RtpPacket[] {
    const payloads = this.payloads(frame);
    const timestamp = (this.timestampBase + Math.round(frame.time)) >>> 0;
    return payloads.map((payload, k) => {
      const header = new RtpHeader({
        payloadType: this.payloadType,
        sequenceNumber: this.sequence,
        timestamp,
        ssrc: this.ssrc,
        marker: k === payloads.length - 1 && this.isVideo,
      });
      this.sequence = (this.sequence + 1) & 0xffff;
      return new RtpPacket(header, payload);
    });
  }

  private get isVideo(): boolean {
    return this.codec.mimeType.toLowerCase().startsWith('video/');
  }

  private payloads(frame: FrameToSend): Buffer[] {
    switch (this.name) {
      case 'VP8':
        return packetizeVp8(frame.data, this.nextPictureId(), MAX_RTP_PAYLOAD);
      case 'VP9': {
        const size = frame.width && frame.height ? { width: frame.width, height: frame.height } : undefined;
        return packetizeVp9(frame.data, frame.keyframe, this.nextPictureId(), MAX_RTP_PAYLOAD, size);
      }
      case 'H264':
        return packetizeH264(splitAnnexB(frame.data), MAX_RTP_PAYLOAD);
      default:
        return [frame.data];
    }
  }

  private nextPictureId(): number {
    this.pictureId = (this.pictureId + 1) & 0x7fff;
    return this.pictureId;
  }
}
