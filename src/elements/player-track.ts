/**
 * One track of a played source on its way into the pipeline: frames of the file in, RTP packets
 * out, in the file's own codec. VP8, VP9, H.264, Opus and G.711 go out as peers take them; AAC
 * goes out whole, one frame per packet, in the pipeline's internal AAC form (its rate, channels
 * and AudioSpecificConfig in the description): a recorder of an AAC profile stores it as it is,
 * and the decoded-media layer transcodes it for peers that do not take it.
 *
 * VP8 and H.264 sent as they are can still answer a key frame request (KeyframeOnDemand) —
 * unless `useEncodedMedia` says the media must not be decoded, as in KMS.
 */
import type { RtpPacket } from 'werift';
import type { SourceFrame, SourceTrack } from '../codec/container-reader.js';
import type { TimedFrame } from '../codec/decoder.js';
import { joinAnnexB, NAL_PPS, NAL_SPS, parseAvcC, splitAnnexB, splitLengthPrefixed } from '../codec/h264.js';
import { KeyframeOnDemand } from '../codec/keyframe-on-demand.js';
import { MediaIoError } from '../codec/media-io-error.js';
import { RtpPacketizer } from '../codec/packetizer.js';
import { vp8Dimensions } from '../codec/vp8.js';
import { H264, OPUS, PCMA, PCMU, VP8, VP9 } from '../media/codecs.js';
import type { CodecDescription } from '../media/rtp-media.js';

const OUTPUT: Record<string, { codec: CodecDescription; payloadType: number }> = {
  VP8: { codec: VP8, payloadType: 96 },
  VP9: { codec: VP9, payloadType: 98 },
  H264: { codec: H264, payloadType: 102 },
  OPUS: { codec: OPUS, payloadType: 111 },
  PCMU: { codec: PCMU, payloadType: 0 },
  PCMA: { codec: PCMA, payloadType: 8 },
};

/** The internal AAC form for a file's AAC track. */
function aacOutput(source: SourceTrack): { codec: CodecDescription; payloadType: number } {
  const config = source.extradata && source.extradata.length > 0 ? `config=${source.extradata.toString('hex')}` : undefined;
  return { codec: { mimeType: 'audio/AAC', clockRate: source.sampleRate, channels: source.channels, ...(config ? { parameters: config } : {}) }, payloadType: 100 };
}

export class PlayerTrack {
  readonly codec: CodecDescription;
  private readonly packetizer: RtpPacketizer;
  /** H.264 parameter sets from the container or the SDP; `lengthSize` 0: samples are Annex B already. */
  private readonly avc: { lengthSize: number; sps: Buffer[]; pps: Buffer[] } | undefined;
  private size: { width: number; height: number } | undefined;
  /** Key frames on demand for video sent as it is. */
  private readonly keyframes: KeyframeOnDemand | undefined;

  private constructor(
    readonly source: SourceTrack,
    output: { codec: CodecDescription; payloadType: number },
    useEncodedMedia: boolean,
  ) {
    this.codec = output.codec;
    this.packetizer = new RtpPacketizer(output.codec, output.payloadType);
    this.avc = source.codec === 'H264' && source.extradata ? h264ParameterSets(source.extradata) : undefined;
    if (source.width > 0 && source.height > 0) this.size = { width: source.width, height: source.height };
    if (!useEncodedMedia && source.kind === 'VIDEO' && KeyframeOnDemand.supports(source.codec)) {
      // The decoder gets the bitstream as it goes out (Annex B with inline parameter sets).
      this.keyframes = new KeyframeOnDemand(source.codec);
    }
  }

  /** The codec a track of this source sends; undefined when the pipeline cannot carry it. */
  static outputCodec(source: SourceTrack): CodecDescription | undefined {
    return (OUTPUT[source.codec] ?? (source.codec === 'AAC' ? aacOutput(source) : undefined))?.codec;
  }

  static create(source: SourceTrack, useEncodedMedia: boolean): PlayerTrack {
    const output = OUTPUT[source.codec] ?? (source.codec === 'AAC' ? aacOutput(source) : undefined);
    if (!output) throw new MediaIoError('STREAM_ERROR_FAILED', `Kuroshio cannot play ${source.codec} media`);
    return new PlayerTrack(source, output, useEncodedMedia);
  }

  /** A receiver wants a key frame: a track sent as it is makes one if it can (a file has none to give). */
  requestKeyframe(): void {
    this.keyframes?.request();
  }

  /**
   * RTP packets for one frame of the source. `offsetUs` shifts media time onto the output's
   * continuous timeline (it grows with each seek or restart).
   */
  async packetize(frame: SourceFrame, offsetUs: number): Promise<RtpPacket[]> {
    const asIs: TimedFrame = { data: this.bitstream(frame), timeUs: frame.timeUs, keyframe: frame.keyframe };
    const frames = this.keyframes ? await this.keyframes.process(asIs) : [asIs];
    const packets: RtpPacket[] = [];
    for (const f of frames) {
      if (f.keyframe && this.codec.mimeType === 'video/VP8') this.size = vp8Dimensions(f.data) ?? this.size;
      const time = ((f.timeUs + offsetUs) * this.codec.clockRate) / 1_000_000;
      packets.push(...this.packetizer.packetize({ data: f.data, keyframe: f.keyframe, time, ...(this.size ?? {}) }));
    }
    return packets;
  }

  close(): void {
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
