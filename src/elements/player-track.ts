/**
 * One track of a played source on its way into the pipeline: frames of the file in, RTP packets
 * out. Codecs WebRTC peers take (VP8, VP9, H.264, Opus, G.711) are packetized as they are;
 * others are transcoded (video to VP8, audio to Opus) unless `useEncodedMedia` forbids it.
 */
import type { RtpPacket } from 'werift';
import type { SourceFrame, SourceTrack } from '../codec/container-reader.js';
import { joinAnnexB, NAL_SPS, parseAvcC, splitLengthPrefixed } from '../codec/h264.js';
import { MediaIoError } from '../codec/media-io-error.js';
import { RtpPacketizer } from '../codec/packetizer.js';
import { Transcoder, type TimedFrame } from '../codec/transcoder.js';
import { vp8Dimensions } from '../codec/vp8.js';
import type { CodecDescription } from '../media/rtp-media.js';

const OUTPUT: Record<string, { codec: CodecDescription; payloadType: number }> = {
  VP8: { codec: { mimeType: 'video/VP8', clockRate: 90000 }, payloadType: 96 },
  VP9: { codec: { mimeType: 'video/VP9', clockRate: 90000, parameters: 'profile-id=0' }, payloadType: 98 },
  H264: {
    codec: { mimeType: 'video/H264', clockRate: 90000, parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f' },
    payloadType: 102,
  },
  OPUS: { codec: { mimeType: 'audio/opus', clockRate: 48000, channels: 2, parameters: 'minptime=10;useinbandfec=1' }, payloadType: 111 },
  PCMU: { codec: { mimeType: 'audio/PCMU', clockRate: 8000, channels: 1 }, payloadType: 0 },
  PCMA: { codec: { mimeType: 'audio/PCMA', clockRate: 8000, channels: 1 }, payloadType: 8 },
};

export class PlayerTrack {
  readonly codec: CodecDescription;
  private readonly packetizer: RtpPacketizer;
  private readonly avc: { lengthSize: number; sps: Buffer[]; pps: Buffer[] } | undefined;
  private size: { width: number; height: number } | undefined;

  private constructor(
    readonly source: SourceTrack,
    outputName: string,
    private readonly transcoder: Transcoder | undefined,
  ) {
    const output = OUTPUT[outputName]!;
    this.codec = output.codec;
    this.packetizer = new RtpPacketizer(output.codec, output.payloadType);
    this.avc = source.codec === 'H264' && source.extradata?.[0] === 1 ? parseAvcC(source.extradata) : undefined;
    if (source.width > 0 && source.height > 0) this.size = { width: source.width, height: source.height };
  }

  /** The codec a track of this source sends: its own when peers take it, else the transcoding target. */
  static outputCodec(source: SourceTrack): CodecDescription {
    return (OUTPUT[source.codec] ?? OUTPUT[source.kind === 'VIDEO' ? 'VP8' : 'OPUS']!).codec;
  }

  static async create(source: SourceTrack, useEncodedMedia: boolean): Promise<PlayerTrack> {
    if (OUTPUT[source.codec]) return new PlayerTrack(source, source.codec, undefined);
    if (useEncodedMedia) throw new MediaIoError('STREAM_ERROR_FAILED', `${source.codec} cannot be sent without transcoding (useEncodedMedia is set)`);
    const target = source.kind === 'VIDEO' ? 'VP8' : 'OPUS';
    const input = { codec: source.codec, sampleRate: source.sampleRate, channels: source.channels, ...(source.extradata ? { extradata: source.extradata } : {}) };
    return new PlayerTrack(source, target, await Transcoder.create(source.kind, input, target));
  }

  get transcoding(): boolean {
    return this.transcoder !== undefined;
  }

  /**
   * RTP packets for one frame of the source. `offsetUs` shifts media time onto the output's
   * continuous timeline (it grows with each seek or restart).
   */
  async packetize(frame: SourceFrame, offsetUs: number): Promise<RtpPacket[]> {
    const frames: TimedFrame[] = this.transcoder ? await this.transcoder.push(frame) : [{ data: this.bitstream(frame), timeUs: frame.timeUs, keyframe: frame.keyframe }];
    const packets: RtpPacket[] = [];
    for (const f of frames) {
      if (f.keyframe && this.codec.mimeType === 'video/VP8') this.size = vp8Dimensions(f.data) ?? this.size;
      const time = ((f.timeUs + offsetUs) * this.codec.clockRate) / 1_000_000;
      packets.push(...this.packetizer.packetize({ data: f.data, keyframe: f.keyframe, time, ...(this.size ?? {}) }));
    }
    return packets;
  }

  close(): void {
    this.transcoder?.close();
  }

  /** H.264 in MP4/MKV is length-prefixed with parameter sets aside: RTP wants Annex B with them inline. */
  private bitstream(frame: SourceFrame): Buffer {
    if (!this.avc) return frame.data;
    const nals = splitLengthPrefixed(frame.data, this.avc.lengthSize);
    const hasSps = nals.some((n) => (n[0]! & 0x1f) === NAL_SPS);
    return joinAnnexB(frame.keyframe && !hasSps ? [...this.avc.sps, ...this.avc.pps, ...nals] : nals);
  }
}
