/**
 * One stream's encoder: raw pictures or sound in (node-av frames stamped in microseconds),
 * encoded frames out in a target codec, stamped in microseconds. The target's picture and sound
 * format is made here: pictures are converted to the encoder's pixel format (and scaled when the
 * output has a fixed size), sound is resampled to the codec's rate and channels.
 *
 * Video follows its input: when the pictures change size (the publisher switched cameras), the
 * encoder is opened again at the new size, starting with a key frame. Its bitrate can change
 * while it runs: libx264 reconfigures itself between frames; libvpx cannot, so a VP8/VP9 encoder
 * whose target moved far enough is reopened (with a key frame) — at most every few seconds.
 *
 * Pictures are converted and encoded with node-av's asynchronous calls (on libuv's thread pool),
 * sound with its synchronous ones: `call-mode.ts` says why, and where the pictures' calls switch.
 */
import {
  AV_CODEC_FLAG_GLOBAL_HEADER,
  AV_PICTURE_TYPE_I,
  CodecContext,
  Encoder,
  FF_ENCODER_AAC,
  FF_ENCODER_LIBOPUS,
  FF_ENCODER_LIBVPX_VP8,
  FF_ENCODER_LIBVPX_VP9,
  FF_ENCODER_LIBX264,
  FF_ENCODER_MJPEG,
  FF_ENCODER_PCM_ALAW,
  FF_ENCODER_PCM_MULAW,
  FilterAPI,
  Frame,
  Packet,
  Rational,
  avRescaleQ,
} from 'node-av';
import { MICROSECONDS, type TimedFrame } from './decoder.js';
import { runsSynchronously } from './call-mode.js';
import { MediaIoError } from './media-io-error.js';
import { trimMemorySoon } from './memory-trim.js';

export type EncoderTarget = 'VP8' | 'VP9' | 'H264' | 'OPUS' | 'PCMU' | 'PCMA' | 'AAC' | 'MJPEG';

export interface EncoderSettings {
  /** Target bitrate in bits/s (video and AAC/Opus; G.711 has a fixed one). */
  readonly bitrate?: number;
  /**
   * H.264 parameter sets in front of every key frame rather than once in the codec private data:
   * what RTP needs (a file keeps them in its header).
   */
  readonly inBandParameterSets?: boolean;
  /** H.264 slices no larger than this (bytes), so each fits an RTP packet (packetization mode 0). */
  readonly maxSliceBytes?: number;
  /** Output picture size; by default the input's (reopening the encoder when it changes). */
  readonly size?: { readonly width: number; readonly height: number };
}

const VIDEO_CLOCK = new Rational(1, 90_000);
/** A gap in the input sound longer than this is kept in the output rather than closed up. */
const MAX_AUDIO_GAP_US = 100_000;
/** libvpx is reopened for a new bitrate only when it moved this much, and this rarely. */
const VPX_REOPEN_RATIO = 1.5;
const VPX_REOPEN_MIN_INTERVAL_MS = 3000;

const VIDEO_TARGETS = new Set<EncoderTarget>(['VP8', 'VP9', 'H264', 'MJPEG']);

/** Sound as each audio codec takes it (G.711 in 20 ms packets). */
const AUDIO_FORMAT: Partial<Record<EncoderTarget, string>> = {
  OPUS: 'aresample=48000,aformat=channel_layouts=stereo',
  AAC: 'aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo',
  PCMU: 'aresample=8000,aformat=sample_fmts=s16:channel_layouts=mono,asetnsamples=n=160:p=0',
  PCMA: 'aresample=8000,aformat=sample_fmts=s16:channel_layouts=mono,asetnsamples=n=160:p=0',
};

function openEncoder(target: EncoderTarget, settings: EncoderSettings, bitrate: number): Promise<Encoder> {
  // Codec options go through `configure`: node-av's `options` corrupts the heap (DESIGN.md §5).
  const video = (name: typeof FF_ENCODER_LIBX264 | typeof FF_ENCODER_LIBVPX_VP8 | typeof FF_ENCODER_LIBVPX_VP9, extra: Record<string, unknown>, options: Record<string, string>, configure: (c: CodecContext) => void = () => undefined) =>
    Encoder.create(name, {
      threadCount: 1,
      gopSize: 600,
      bitrate,
      ...extra,
      configure: (c) => {
        for (const [key, value] of Object.entries(options)) c.setOption(key, value);
        configure(c);
        c.timeBase = VIDEO_CLOCK;
        c.framerate = new Rational(30, 1);
      },
    });
  switch (target) {
    case 'H264': {
      const options: Record<string, string> = { preset: 'ultrafast', tune: 'zerolatency', profile: 'baseline' };
      if (settings.maxSliceBytes) options['slice-max-size'] = String(settings.maxSliceBytes);
      // A rate cap with a one-second buffer: what a real-time link can carry, adjustable live.
      return video(FF_ENCODER_LIBX264, { maxBFrames: 0, maxRate: bitrate, bufSize: bitrate }, options, (c) => {
        // Without a global header, x264 repeats SPS and PPS before each key frame.
        if (!settings.inBandParameterSets) c.setFlags(AV_CODEC_FLAG_GLOBAL_HEADER);
      });
    }
    case 'VP8':
      return video(FF_ENCODER_LIBVPX_VP8, {}, { deadline: 'realtime', 'cpu-used': '8', 'lag-in-frames': '0', 'error-resilient': '1' });
    case 'VP9':
      return video(FF_ENCODER_LIBVPX_VP9, {}, { deadline: 'realtime', 'cpu-used': '8', 'lag-in-frames': '0', 'row-mt': '0' });
    case 'MJPEG':
      return Encoder.create(FF_ENCODER_MJPEG, { autoFormat: true, configure: (c) => (c.timeBase = VIDEO_CLOCK) });
    case 'AAC':
      return Encoder.create(FF_ENCODER_AAC, { bitrate: 128_000, autoResample: true, configure: (c) => { if (!settings.inBandParameterSets) c.setFlags(AV_CODEC_FLAG_GLOBAL_HEADER); } });
    case 'OPUS':
      return Encoder.create(FF_ENCODER_LIBOPUS, { bitrate: 64_000, autoResample: true, configure: (c) => c.setOption('application', 'voip') });
    case 'PCMU':
      return Encoder.create(FF_ENCODER_PCM_MULAW, {});
    case 'PCMA':
      return Encoder.create(FF_ENCODER_PCM_ALAW, {});
  }
}

export class MediaEncoder {
  private encoder: Encoder | undefined;
  private opening: Promise<Encoder> | undefined;
  /** Picture conversion (scale, pixel format) or sound resampling in front of the codec. */
  private converter: FilterAPI | undefined;
  private converterFor = '';
  private size: { width: number; height: number } | undefined;
  private bitrate: number;
  private openedBitrate: number;
  private openedAt = 0;
  /** Last picture time given to the codec, on its 90 kHz clock: it must always grow. */
  private lastPts = -1n;
  private closed = false;
  private inFlight: Promise<unknown> = Promise.resolve();
  /** Audio timing: node-av's encoder re-frames sound and numbers packets by samples. */
  private audioStartUs: number | undefined;
  private samplesIn = 0;
  private samplesOut = 0;
  /** Frames encoded, and the CPU-free wall time spent in the codec (statistics). */
  framesIn = 0;
  framesOut = 0;
  bytesOut = 0;
  encodeMicros = 0;

  constructor(
    readonly kind: 'AUDIO' | 'VIDEO',
    readonly target: EncoderTarget,
    private readonly settings: EncoderSettings = {},
  ) {
    if (VIDEO_TARGETS.has(target) !== (kind === 'VIDEO')) throw new MediaIoError('STREAM_ERROR_FAILED', `${target} is not a ${kind.toLowerCase()} codec`);
    this.bitrate = settings.bitrate ?? (kind === 'VIDEO' ? 1_000_000 : 64_000);
    this.openedBitrate = this.bitrate;
  }

  /** Codec private data of the output (parameter sets, AudioSpecificConfig), once open. */
  get extradata(): Buffer | undefined {
    return this.encoder?.getCodecContext()?.extraData ?? undefined;
  }

  /** Picture size of the output, once the first picture was encoded. */
  get outputSize(): { width: number; height: number } | undefined {
    return this.size;
  }

  get sampleRate(): number | undefined {
    return this.encoder?.getCodecContext()?.sampleRate;
  }

  get channels(): number | undefined {
    return this.encoder?.getCodecContext()?.channels;
  }

  get targetBitrate(): number {
    return this.bitrate;
  }

  /** Changes the target bitrate (bits/s) for the frames to come. */
  setBitrate(bitsPerSecond: number): void {
    if (this.kind !== 'VIDEO' || bitsPerSecond <= 0) return;
    this.bitrate = Math.round(bitsPerSecond);
    const ctx = this.encoder?.getCodecContext();
    if (this.target === 'H264' && ctx) {
      ctx.bitRate = BigInt(this.bitrate);
      ctx.rcMaxRate = BigInt(this.bitrate);
      this.openedBitrate = this.bitrate;
    }
  }

  /**
   * Encodes one frame (`frame.pts` in microseconds; the frame stays the caller's). `keyframe`
   * makes the output a key frame. Returns the encoded frames, stamped in microseconds.
   */
  encode(frame: Frame, keyframe = false): Promise<TimedFrame[]> {
    if (this.closed) return Promise.resolve([]);
    const work = this.run(frame, keyframe);
    this.inFlight = work.catch(() => undefined);
    return work;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.inFlight.then(() => this.free());
  }

  private async run(input: Frame, keyframe: boolean): Promise<TimedFrame[]> {
    const started = performance.now();
    this.framesIn++;
    const out: TimedFrame[] = [];
    if (this.kind === 'VIDEO') {
      const pts = (input.pts * 9n) / 100n; // µs → 90 kHz, the encoder's clock
      if (pts <= this.lastPts) return out; // never back in time, nor twice at one time: the codec would refuse it
      this.lastPts = pts;
      const reopen = this.needsReopen(input);
      if (reopen) this.free();
      // Pictures are converted and encoded on the pool (`call-mode.ts`).
      const sync = runsSynchronously('VIDEO');
      const format = `${input.width}x${input.height}/${input.format}`;
      for (const picture of sync ? this.convertSync(input, format) : await this.convert(input, format)) {
        picture.pts = pts;
        picture.timeBase = VIDEO_CLOCK;
        out.push(...(await this.encodeVideo(picture, keyframe || reopen, sync)));
        if (picture !== input) picture.free();
      }
    } else {
      // Sound is converted and encoded with synchronous calls (`call-mode.ts`).
      const timeUs = Number(input.pts);
      const encoder = this.encoder ?? (await this.open());
      if (this.closed) return [];
      for (const sound of this.convertSync(input, `${input.sampleRate}/${input.format}/${input.channels}`)) {
        this.trackAudioInput(timeUs, sound.nbSamples, sound.sampleRate);
        sound.timeBase = MICROSECONDS;
        out.push(...this.timed(encoder.encodeAllSync(sound), MICROSECONDS));
        if (sound !== input) sound.free();
      }
    }
    this.encodeMicros += (performance.now() - started) * 1000;
    return this.closed ? [] : out;
  }

  /** A new picture size, or a VP8/VP9 bitrate that moved far enough: open the codec again. */
  private needsReopen(frame: Frame): boolean {
    if (!this.encoder) return false;
    if (!this.settings.size && this.size && (this.size.width !== (frame.width & ~1) || this.size.height !== (frame.height & ~1))) return true;
    if (this.target !== 'VP8' && this.target !== 'VP9') return false;
    const ratio = this.bitrate / this.openedBitrate;
    return (ratio > VPX_REOPEN_RATIO || ratio < 1 / VPX_REOPEN_RATIO) && Date.now() - this.openedAt > VPX_REOPEN_MIN_INTERVAL_MS;
  }

  private async open(): Promise<Encoder> {
    if (this.encoder) return this.encoder;
    this.opening ??= openEncoder(this.target, this.settings, this.bitrate);
    try {
      this.encoder = await this.opening;
    } finally {
      this.opening = undefined;
    }
    this.openedBitrate = this.bitrate;
    this.openedAt = Date.now();
    return this.encoder;
  }

  /**
   * The frame as the codec takes it: the same frame when it already is (no copy), else through a
   * conversion filter built for the input's format (rebuilt when that changes).
   */
  private async convert(frame: Frame, inputFormat: string): Promise<Frame[]> {
    const converter = this.converterOf(frame, inputFormat);
    return converter ? converter.processAll(frame) : [frame];
  }

  private convertSync(frame: Frame, inputFormat: string): Frame[] {
    const converter = this.converterOf(frame, inputFormat);
    return converter ? converter.processAllSync(frame) : [frame];
  }

  /** The conversion filter for the input's format, or undefined when the codec takes it as it is. */
  private converterOf(frame: Frame, inputFormat: string): FilterAPI | undefined {
    const description = this.kind === 'VIDEO' ? this.pictureFilter(frame) : AUDIO_FORMAT[this.target];
    if (!description) return undefined;
    if (!this.converter || this.converterFor !== `${inputFormat}|${description}`) {
      this.converter?.close();
      this.converter = FilterAPI.create(description);
      this.converterFor = `${inputFormat}|${description}`;
    }
    return this.converter;
  }

  /** The picture conversion a frame needs, or undefined when the codec takes it as it is. */
  private pictureFilter(frame: Frame): string | undefined {
    const size = this.settings.size ?? { width: frame.width & ~1, height: frame.height & ~1 };
    this.size = size;
    const pixelFormat = this.target === 'MJPEG' ? 'yuvj420p' : 'yuv420p';
    const yuv420p = 0; // AV_PIX_FMT_YUV420P
    if (this.target !== 'MJPEG' && frame.format === yuv420p && frame.width === size.width && frame.height === size.height) return undefined;
    return `scale=${size.width}:${size.height},format=${pixelFormat}`;
  }

  private async encodeVideo(picture: Frame, keyframe: boolean, sync: boolean): Promise<TimedFrame[]> {
    const encoder = this.encoder ?? (await this.open());
    if (this.closed) return [];
    const ctx = encoder.getCodecContext();
    // A codec's first picture is a key frame anyway.
    if (!keyframe || !ctx) {
      if (sync) return this.timed(encoder.encodeAllSync(picture), VIDEO_CLOCK);
      await encoder.encode(picture);
      return this.timed(this.receiveAll(encoder), VIDEO_CLOCK);
    }
    // node-av's Encoder clears the picture type of every frame it is given (FFmpeg's CLI does the
    // same when re-encoding), so a forced key frame goes to the codec directly, with the time
    // base conversion the Encoder would have made.
    picture.pts = avRescaleQ(picture.pts, VIDEO_CLOCK, ctx.timeBase);
    picture.timeBase = ctx.timeBase;
    picture.duration = 1n;
    picture.pictType = AV_PICTURE_TYPE_I;
    const ret = sync ? ctx.sendFrameSync(picture) : await ctx.sendFrame(picture);
    if (ret < 0) throw new MediaIoError('STREAM_ERROR_FAILED', `the encoder refused a picture (${ret})`);
    return this.timed(this.receiveAll(encoder), VIDEO_CLOCK);
  }

  /**
   * The packets the codec has ready, taken synchronously: libvpx and x264 encode in
   * `avcodec_send_frame` and only hand over packets here, and each asynchronous call costs two
   * thread switches (see the decoder).
   */
  private receiveAll(encoder: Encoder): Packet[] {
    const packets: Packet[] = [];
    for (let p: unknown = encoder.receiveSync(); p instanceof Packet; p = encoder.receiveSync()) packets.push(p);
    return packets;
  }

  /** Counts resampled input samples; a jump in the input's times (a pause, lost packets) shifts the output. */
  private trackAudioInput(timeUs: number, samples: number, sampleRate: number): void {
    if (this.audioStartUs === undefined) this.audioStartUs = timeUs;
    const expectedUs = this.audioStartUs + (this.samplesIn / sampleRate) * 1_000_000;
    if (timeUs - expectedUs > MAX_AUDIO_GAP_US) this.audioStartUs += timeUs - expectedUs;
    this.samplesIn += samples;
  }

  /** Encoded packets as timed frames (the packets are freed). */
  private timed(packets: Packet[], timeBase: Rational): TimedFrame[] {
    const out: TimedFrame[] = [];
    const ctx = this.encoder?.getCodecContext();
    for (const p of packets) {
      let timeUs: number;
      if (this.kind === 'AUDIO' && ctx && this.audioStartUs !== undefined) {
        // `delay`: the encoder's priming samples, which come out before the first input sample.
        timeUs = this.audioStartUs + ((this.samplesOut - ctx.delay) / ctx.sampleRate) * 1_000_000;
        this.samplesOut += ctx.frameSize > 0 ? ctx.frameSize : Number(p.duration);
      } else {
        const tb = p.timeBase.den > 0 ? p.timeBase : timeBase;
        timeUs = (Number(p.pts) * tb.num * 1_000_000) / tb.den;
      }
      if (p.data) {
        out.push({ data: Buffer.from(p.data), timeUs, keyframe: p.isKeyframe });
        this.bytesOut += p.data.length;
      }
      p.free();
    }
    this.framesOut += out.length;
    return out;
  }

  private free(): void {
    if (this.encoder) trimMemorySoon();
    this.encoder?.close();
    this.encoder = undefined;
    this.converter?.close();
    this.converter = undefined;
    this.converterFor = '';
  }
}
