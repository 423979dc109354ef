/**
 * One track of a played source on its way into the pipeline: frames of the file in, RTP packets
 * out. Codecs WebRTC peers take (VP8, VP9, H.264, Opus, G.711) are packetized as they are;
 * others are transcoded (video to VP8, audio to Opus) unless `useEncodedMedia` forbids it.
 * VP8 and H.264 sent as they are can still answer a key frame request (KeyframeOnDemand) —
 * unless `useEncodedMedia` says the media must not be decoded, as in KMS.
 */
import type { RtpPacket } from 'werift';
import type { SourceFrame, SourceTrack } from '../codec/container-reader.js';
import { joinAnnexB, NAL_PPS, NAL_SPS, parseAvcC, splitAnnexB, splitLengthPrefixed } from '../codec/h264.js';
import { KeyframeOnDemand } from '../codec/keyframe-on-demand.js';
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
  /** H.264 parameter sets from the container or the SDP; `lengthSize` 0: samples are Annex B already. */
  private readonly avc: { lengthSize: number; sps: Buffer[]; pps: Buffer[] } | undefined;
  private size: { width: number; height: number } | undefined;
  /** Key frames on demand for video sent as it is. */
  private readonly keyframes: KeyframeOnDemand | undefined;
  /** A transcoded video track owes a key frame: its next output is made one. */
  private keyframeOwed = false;

  private constructor(
    readonly source: SourceTrack,
    outputName: string,
    private readonly transcoder: Transcoder | undefined,
    useEncodedMedia = true,
  ) {
    const output = OUTPUT[outputName]!;
    this.codec = output.codec;
    this.packetizer = new RtpPacketizer(output.codec, output.payloadType);
    this.avc = source.codec === 'H264' && source.extradata ? h264ParameterSets(source.extradata) : undefined;
    if (source.width > 0 && source.height > 0) this.size = { width: source.width, height: source.height };
    if (!transcoder && !useEncodedMedia && source.kind === 'VIDEO' && KeyframeOnDemand.supports(outputName)) {
      // The decoder gets the bitstream as it goes out (Annex B with inline parameter sets).
      this.keyframes = new KeyframeOnDemand(outputName);
    }
  }

  /** The codec a track of this source sends: its own when peers take it, else the transcoding target. */
  static outputCodec(source: SourceTrack): CodecDescription {
    return (OUTPUT[source.codec] ?? OUTPUT[source.kind === 'VIDEO' ? 'VP8' : 'OPUS']!).codec;
  }

  static async create(source: SourceTrack, useEncodedMedia: boolean): Promise<PlayerTrack> {
    if (OUTPUT[source.codec]) return new PlayerTrack(source, source.codec, undefined, useEncodedMedia);
    if (useEncodedMedia) throw new MediaIoError('STREAM_ERROR_FAILED', `${source.codec} cannot be sent without transcoding (useEncodedMedia is set)`);
    const target = source.kind === 'VIDEO' ? 'VP8' : 'OPUS';
    const input = { codec: source.codec, sampleRate: source.sampleRate, channels: source.channels, ...(source.extradata ? { extradata: source.extradata } : {}) };
    return new PlayerTrack(source, target, await Transcoder.create(source.kind, input, target));
  }

  get transcoding(): boolean {
    return this.transcoder !== undefined;
  }

  /** A receiver wants a key frame: a transcoded track encodes one, a track sent as it is makes one if it can. */
  requestKeyframe(): void {
    if (this.transcoder) this.keyframeOwed = this.source.kind === 'VIDEO';
    else this.keyframes?.request();
  }

  /**
   * RTP packets for one frame of the source. `offsetUs` shifts media time onto the output's
   * continuous timeline (it grows with each seek or restart).
   */
  async packetize(frame: SourceFrame, offsetUs: number): Promise<RtpPacket[]> {
    let frames: TimedFrame[];
    if (this.transcoder) {
      const force = this.keyframeOwed;
      this.keyframeOwed = false;
      frames = await this.transcoder.push(frame, force);
    } else {
      const asIs: TimedFrame = { data: this.bitstream(frame), timeUs: frame.timeUs, keyframe: frame.keyframe };
      frames = this.keyframes ? await this.keyframes.process(asIs) : [asIs];
    }
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
    this.keyframes?.close();
  }

  /**
   * H.264 in MP4/MKV is length-prefixed with parameter sets aside, and an RTSP camera may give its
   * parameter sets only in the SDP: RTP wants Annex B with them in front of every key frame.
   */
  private bitstream(frame: SourceFrame): Buffer {
    if (!this.avc) return frame.data;
    const nals = this.avc.lengthSize === 0 ? splitAnnexB(frame.data) : splitLengthPrefixed(frame.data, this.avc.lengthSize);
    const hasSps = nals.some((n) => (n[0]! & 0x1f) === NAL_SPS);
    return joinAnnexB(frame.keyframe && !hasSps ? [...this.avc.sps, ...this.avc.pps, ...nals] : nals);
  }
}

/** Parameter sets of an avcC record (MP4, MKV) or of Annex B codec private data (RTSP, raw H.264). */
function h264ParameterSets(extradata: Buffer): { lengthSize: number; sps: Buffer[]; pps: Buffer[] } | undefined {
  if (extradata[0] === 1) return parseAvcC(extradata);
  const nals = splitAnnexB(extradata);
  const sps = nals.filter((n) => (n[0]! & 0x1f) === NAL_SPS);
  const pps = nals.filter((n) => (n[0]! & 0x1f) === NAL_PPS);
  return sps.length > 0 && pps.length > 0 ? { lengthSize: 0, sps, pps } : undefined;
}
