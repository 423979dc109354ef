/**
 * One track of a recording: RTP packets of one kind in, timed frames in the file's codec out.
 *
 *   depacketize → place on the shared clock → drop while paused → (transcode) → frames in file time
 *
 * The shared clock is the sender's, through the RTCP sender reports its packets carry
 * (`RtpMedia.source`), and the arrival time of the first packet before any report came.
 *
 * The track says when it is ready to be declared in the container (it knows its codec
 * parameters: picture size, parameter sets, sample rate), and asks for a key frame whenever the
 * file would otherwise continue with pictures that cannot be decoded.
 */
import { createDepacketizer, type Depacketizer } from '../codec/depacketizer.js';
import type { TrackInfo } from '../codec/container-writer.js';
import { NAL_PPS, NAL_SPS, joinAnnexB, splitAnnexB } from '../codec/h264.js';
import { MediaIoError } from '../codec/media-io-error.js';
import { fileCodecFor, type FileCodec, type ProfileSpec } from '../codec/media-profile.js';
import { opusHead } from '../codec/opus.js';
import { Transcoder, type TimedFrame } from '../codec/transcoder.js';
import { RtpClock, type SenderClock, type SenderTimeline } from '../media/rtp-clock.js';
import { codecName, type CodecDescription, type RtpMedia } from '../media/rtp-media.js';

export interface TrackEvents {
  /** Frames ready for the file, times in ms on the local clock (pauses already taken out). */
  frames(frames: TimedFrame[]): void;
  keyframeNeeded(): void;
  failed(error: MediaIoError): void;
}

export class RecorderTrack {
  readonly kind: 'AUDIO' | 'VIDEO';
  private depacketizer: Depacketizer | undefined;
  private clock: RtpClock | undefined;
  /** The incoming stream's SSRC: a new one starts a new clock (its timestamps start anywhere). */
  private ssrc: number | undefined;
  /** The sender report last applied to the clock. */
  private report: SenderClock | undefined;
  private source: CodecDescription | undefined;
  private transcoder: Transcoder | undefined;
  private transcoderReady: Promise<Transcoder | undefined> | undefined;
  /** Transcoding runs one frame at a time, in order. */
  private chain: Promise<void> = Promise.resolve();
  private needKeyframe = true;
  private closed = false;
  private lastTimeUs = -Infinity;
  /** Set once the track knows what to declare in the container. */
  info: TrackInfo | undefined;
  fileCodec: FileCodec | undefined;

  constructor(
    kind: 'AUDIO' | 'VIDEO',
    private readonly profile: ProfileSpec,
    private readonly events: TrackEvents,
    /** The sender's clock, shared with the recording's other track. */
    private readonly timeline: SenderTimeline,
  ) {
    this.kind = kind;
  }

  get transcoding(): boolean {
    return this.transcoder !== undefined || this.transcoderReady !== undefined;
  }

  /**
   * One packet. `pausedMs` is how long the recording was paused so far; `paused` drops it.
   * The packet's frames leave through `events.frames`.
   */
  push(unit: RtpMedia, nowMs: number, paused: boolean, pausedMs: number): void {
    if (this.closed) return;
    if (!this.source || this.source.mimeType !== unit.codec.mimeType || this.source.clockRate !== unit.codec.clockRate) this.startSource(unit.codec);
    if (!this.depacketizer) return; // a codec that cannot be recorded (already reported)
    if (unit.packet.header.ssrc !== this.ssrc) {
      this.ssrc = unit.packet.header.ssrc;
      this.clock = new RtpClock(unit.codec.clockRate);
      this.report = undefined;
    }
    const result = this.depacketizer.push(unit.packet, nowMs);
    if (result.lost) this.events.keyframeNeeded();
    for (const frame of result.frames) {
      const localMs = this.clock!.onPacket(frame.rtpTimestamp, nowMs);
      if (paused) {
        this.needKeyframe = this.kind === 'VIDEO';
        continue;
      }
      if (this.needKeyframe && !frame.keyframe) continue;
      this.needKeyframe = false;
      // The clock's anchor may still move by a little jitter: never let a track's time go back.
      const timeUs = Math.max((localMs - pausedMs) * 1000, this.lastTimeUs + 1);
      this.lastTimeUs = timeUs;
      const timed: TimedFrame = { data: frame.data, timeUs, keyframe: frame.keyframe };
      if (!this.info && !this.transcoding) this.describe(frame.data, frame.width, frame.height);
      this.deliver(timed);
    }
    // A new sender report moves the stream onto the sender's clock (after the packet's frames, so
    // the clock has seen one); the objects are replaced, never changed, at each report.
    const report = unit.source?.senderReport;
    if (report && report !== this.report && this.timeline.apply(this.clock!, report)) this.report = report;
  }

  /** Waits for the frames being transcoded. */
  async drain(): Promise<void> {
    await this.chain;
  }

  close(): void {
    this.closed = true;
    this.transcoder?.close();
    void this.transcoderReady?.then((t) => t?.close());
  }

  private startSource(codec: CodecDescription): void {
    const depacketizer = createDepacketizer(codec);
    if (!depacketizer) {
      this.events.failed(new MediaIoError('STREAM_ERROR_FAILED', `cannot record ${codec.mimeType}`));
      return;
    }
    this.source = codec;
    this.depacketizer = depacketizer;
    this.clock = new RtpClock(codec.clockRate);
    this.report = undefined;
    this.needKeyframe = this.kind === 'VIDEO';
    const { codec: fileCodec, transcode } = fileCodecFor(this.profile, this.kind, codec);
    if (this.fileCodec && this.fileCodec !== fileCodec && this.info) {
      // The file already declared another codec for this track: transcode to it instead.
      this.startTranscoder(codec, this.fileCodec);
      return;
    }
    this.fileCodec = fileCodec;
    if (transcode) this.startTranscoder(codec, fileCodec);
  }

  private startTranscoder(codec: CodecDescription, target: FileCodec): void {
    const input = { codec: codecName(codec), sampleRate: codec.clockRate, ...(codec.channels ? { channels: codec.channels } : {}) };
    this.transcoderReady = Transcoder.create(this.kind, input, target).then(
      (t) => {
        if (this.closed) {
          t.close();
          return undefined;
        }
        this.transcoder = t;
        return t;
      },
      (err: unknown) => {
        this.events.failed(err instanceof MediaIoError ? err : new MediaIoError('STREAM_ERROR_FAILED', String(err)));
        return undefined;
      },
    );
  }

  private deliver(frame: TimedFrame): void {
    if (!this.transcoderReady) {
      this.events.frames([frame]);
      return;
    }
    const ready = this.transcoderReady;
    this.chain = this.chain
      .then(async () => {
        const transcoder = await ready;
        if (!transcoder || this.closed) return;
        const out = await transcoder.push(frame);
        if (out.length === 0) return;
        if (!this.info) this.describeTranscoded(transcoder);
        this.events.frames(out);
      })
      .catch((err: unknown) => {
        this.closed = true;
        this.events.failed(new MediaIoError('STREAM_ERROR_FAILED', `transcoding failed: ${err instanceof Error ? err.message : String(err)}`));
      });
  }

  /** Track parameters of media stored as it arrives. */
  private describe(data: Buffer, width: number | undefined, height: number | undefined): void {
    const codec = this.fileCodec!;
    if (this.kind === 'AUDIO') {
      const channels = codec === 'OPUS' ? 2 : (this.source?.channels ?? 1);
      const sampleRate = this.source?.clockRate ?? 48000;
      this.info = { kind: 'AUDIO', codec, sampleRate, channels, ...(codec === 'OPUS' ? { extradata: opusHead(channels) } : {}) };
      return;
    }
    if (!width || !height) return; // wait for a key frame that carries the size
    let extradata: Buffer | undefined;
    if (codec === 'H264') {
      const sets = splitAnnexB(data).filter((n) => [NAL_SPS, NAL_PPS].includes(n[0]! & 0x1f));
      if (sets.length < 2) return;
      extradata = joinAnnexB(sets);
    }
    this.info = { kind: 'VIDEO', codec, width, height, ...(extradata ? { extradata } : {}) };
  }

  private describeTranscoded(t: Transcoder): void {
    const codec = this.fileCodec!;
    const extradata = t.extradata;
    if (this.kind === 'AUDIO') {
      this.info = { kind: 'AUDIO', codec, sampleRate: t.sampleRate ?? 48000, channels: t.channels ?? 2, ...(extradata ? { extradata } : {}) };
      return;
    }
    const size = t.outputSize;
    if (!size) return;
    this.info = { kind: 'VIDEO', codec, width: size.width, height: size.height, ...(extradata ? { extradata } : {}) };
  }
}
