/**
 * Decode → (scale) → encode for one track, when what arrives is not what the file (or the peer)
 * takes: Opus → AAC for MP4, VP8/VP9 → H.264 for MP4, H.264 → VP8 for WebM, video → JPEG for a
 * snapshot, AAC → Opus for a browser. Only node-av's asynchronous calls are used, so the work
 * runs on libuv's thread pool and the worker's event loop stays free.
 *
 * Video keeps the size of the first decoded picture (later changes are scaled to it) and turns
 * every incoming key frame into an outgoing one, so key frame requests still work through it.
 */
import {
  AV_CODEC_FLAG_GLOBAL_HEADER,
  AV_PICTURE_TYPE_I,
  Codec,
  CodecContext,
  Encoder,
  FF_ENCODER_AAC,
  FF_ENCODER_LIBOPUS,
  FF_ENCODER_LIBVPX_VP8,
  FF_ENCODER_LIBX264,
  FF_ENCODER_MJPEG,
  FilterAPI,
  Frame,
  Packet,
  Rational,
  avRescaleQ,
} from 'node-av';
import { sourceCodecId } from './ffmpeg-codecs.js';
import { MediaIoError } from './media-io-error.js';
import type { FileCodec } from './media-profile.js';

/** A frame with its time in microseconds. */
export interface TimedFrame {
  readonly data: Buffer;
  readonly timeUs: number;
  readonly keyframe: boolean;
}

const MICROSECONDS = new Rational(1, 1_000_000);
const VIDEO_CLOCK = new Rational(1, 90_000);
/** A gap in the input sound longer than this is kept in the output rather than closed up. */
const MAX_AUDIO_GAP_US = 100_000;

export interface TranscoderInput {
  /** `codecName` of what arrives: VP8, OPUS, ... */
  readonly codec: string;
  readonly sampleRate?: number;
  readonly channels?: number;
  readonly extradata?: Buffer;
}

export interface TranscoderOptions {
  /**
   * H.264 parameter sets in front of every key frame rather than once in the codec private data:
   * what RTP needs (a file keeps them in its header).
   */
  readonly inBandParameterSets?: boolean;
}

/** Our video encoders: one thread, a key frame at least every 600 pictures, on the 90 kHz clock. */
function createVideoEncoder(
  name: typeof FF_ENCODER_LIBX264 | typeof FF_ENCODER_LIBVPX_VP8,
  settings: { bitrate?: number; maxBFrames?: number },
  codecOptions: Record<string, string>,
  configure: (c: CodecContext) => void = () => undefined,
): Promise<Encoder> {
  return Encoder.create(name, {
    threadCount: 1,
    gopSize: 600,
    ...settings,
    configure: (c) => {
      for (const [key, value] of Object.entries(codecOptions)) c.setOption(key, value);
      configure(c);
      c.timeBase = VIDEO_CLOCK;
      c.framerate = new Rational(30, 1);
    },
  });
}

async function createEncoder(target: FileCodec, options: TranscoderOptions): Promise<Encoder> {
  // Codec options go through `configure` (node-av's `options` corrupts the heap, DESIGN.md §5).
  switch (target) {
    case 'H264':
      return createVideoEncoder(FF_ENCODER_LIBX264, { maxBFrames: 0 }, { preset: 'ultrafast', tune: 'zerolatency', crf: '23', profile: 'baseline' }, (c) => {
        // Without a global header, x264 repeats SPS and PPS before each key frame.
        if (!options.inBandParameterSets) c.setFlags(AV_CODEC_FLAG_GLOBAL_HEADER);
      });
    case 'VP8':
      return createVideoEncoder(FF_ENCODER_LIBVPX_VP8, { bitrate: 1_000_000 }, { deadline: 'realtime', 'cpu-used': '8', 'lag-in-frames': '0' });
    case 'MJPEG':
      return Encoder.create(FF_ENCODER_MJPEG, { configure: (c) => (c.timeBase = VIDEO_CLOCK) });
    case 'AAC':
      return Encoder.create(FF_ENCODER_AAC, { bitrate: 128_000, autoResample: true, configure: (c) => c.setFlags(AV_CODEC_FLAG_GLOBAL_HEADER) });
    case 'OPUS':
      return Encoder.create(FF_ENCODER_LIBOPUS, { bitrate: 64_000, autoResample: true, configure: (c) => c.setOption('application', 'voip') });
    default:
      throw new MediaIoError('STREAM_ERROR_FAILED', `Kuroshio does not encode ${target}`);
  }
}

export class Transcoder {
  private readonly packet = new Packet();
  private readonly frame = new Frame();
  private scaler: FilterAPI | undefined;
  private size: { width: number; height: number } | undefined;
  private closed = false;
  /**
   * Audio timing. node-av's encoder re-frames audio (1024-sample AAC frames from 960-sample Opus
   * ones) and numbers the packets it makes by samples, not by the input's times, so output times
   * are counted here: from the first input time, by samples, shifted by any gap in the input.
   */
  private audioStartUs: number | undefined;
  private samplesIn = 0;
  private samplesOut = 0;
  /** Frames decoded and encoded (for statistics and tests). */
  framesOut = 0;

  private constructor(
    private readonly kind: 'AUDIO' | 'VIDEO',
    private readonly decoder: CodecContext,
    private readonly encoder: Encoder,
    /** Pixel format the encoder takes: JPEG is full-range 4:2:0, the others limited-range. */
    private readonly pixelFormat: 'yuv420p' | 'yuvj420p' = 'yuv420p',
  ) {
    this.packet.alloc();
    this.frame.alloc();
  }

  static async create(kind: 'AUDIO' | 'VIDEO', input: TranscoderInput, target: FileCodec, options: TranscoderOptions = {}): Promise<Transcoder> {
    const id = sourceCodecId(input.codec);
    const codec = id === undefined ? null : Codec.findDecoder(id);
    if (!codec) throw new MediaIoError('STREAM_ERROR_DECODE', `Kuroshio does not decode ${input.codec}`);
    const decoder = new CodecContext();
    decoder.allocContext3(codec);
    decoder.threadCount = 1;
    decoder.pktTimebase = MICROSECONDS;
    if (kind === 'AUDIO') {
      decoder.sampleRate = input.sampleRate ?? 48000;
      decoder.channels = input.channels ?? (input.codec === 'OPUS' ? 2 : 1);
    }
    if (input.extradata) decoder.extraData = input.extradata;
    const ret = await decoder.open2(null, null);
    if (ret < 0) {
      decoder.freeContext();
      throw new MediaIoError('STREAM_ERROR_DECODE', `cannot open the ${input.codec} decoder (${ret})`);
    }
    let encoder: Encoder;
    try {
      encoder = await createEncoder(target, options);
    } catch (err) {
      decoder.freeContext();
      throw err;
    }
    return new Transcoder(kind, decoder, encoder, target === 'MJPEG' ? 'yuvj420p' : 'yuv420p');
  }

  /** Codec private data of the output (parameter sets, AudioSpecificConfig), once known. */
  get extradata(): Buffer | undefined {
    return this.encoder.getCodecContext()?.extraData ?? undefined;
  }

  /** Picture size of the output, once the first picture was decoded. */
  get outputSize(): { width: number; height: number } | undefined {
    return this.size;
  }

  get sampleRate(): number | undefined {
    return this.encoder.getCodecContext()?.sampleRate;
  }

  get channels(): number | undefined {
    return this.encoder.getCodecContext()?.channels;
  }

  /**
   * Decodes one frame without encoding it: brings the decoder's reference pictures up to date
   * (to encode a later frame of the same group of pictures).
   */
  async decodeOnly(input: TimedFrame): Promise<void> {
    if (this.closed || !(await this.send(input))) return;
    while (!this.closed && (await this.decoder.receiveFrame(this.frame)) >= 0) this.frame.unref();
  }

  /**
   * Decodes one frame and encodes whatever it yields. A frame that does not decode is skipped.
   * `forceKeyframe` makes the output a key frame even when the input is not one.
   */
  async push(input: TimedFrame, forceKeyframe = false): Promise<TimedFrame[]> {
    if (this.closed || !(await this.send(input))) return [];
    const out: TimedFrame[] = [];
    while (!this.closed && (await this.decoder.receiveFrame(this.frame)) >= 0) {
      this.frame.timeBase = MICROSECONDS;
      if (this.kind === 'VIDEO') {
        for (const scaled of await this.scale(this.frame)) {
          scaled.pts = (scaled.pts * 9n) / 100n; // µs → 90 kHz, the encoder's clock
          scaled.timeBase = VIDEO_CLOCK;
          out.push(...(input.keyframe || forceKeyframe ? await this.encodeKeyframe(scaled) : await this.encode(scaled, VIDEO_CLOCK)));
          scaled.free();
        }
      } else {
        this.trackAudioInput(input.timeUs, this.frame.nbSamples, this.frame.sampleRate);
        out.push(...(await this.encode(this.frame, MICROSECONDS)));
      }
      this.frame.unref();
    }
    return out;
  }

  /** Hands one frame to the decoder; false when it does not take it. */
  private async send(input: TimedFrame): Promise<boolean> {
    this.packet.data = input.data;
    this.packet.pts = BigInt(Math.round(input.timeUs));
    this.packet.dts = this.packet.pts;
    this.packet.timeBase = MICROSECONDS;
    const sent = await this.decoder.sendPacket(this.packet);
    this.packet.unref();
    return sent >= 0; // corrupt input: the decoder resynchronises on what follows
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.encoder.close();
    this.scaler?.close();
    this.decoder.freeContext();
    this.packet.free();
    this.frame.free();
  }

  /** Counts decoded samples; a jump in the input's times (a pause, lost packets) shifts the output. */
  private trackAudioInput(timeUs: number, samples: number, sampleRate: number): void {
    if (this.audioStartUs === undefined) this.audioStartUs = timeUs;
    const expectedUs = this.audioStartUs + (this.samplesIn / sampleRate) * 1_000_000;
    if (timeUs - expectedUs > MAX_AUDIO_GAP_US) this.audioStartUs += timeUs - expectedUs;
    this.samplesIn += samples;
  }

  /** Every picture at the size of the first one, in the encoder's 4:2:0. */
  private async scale(frame: Frame): Promise<Frame[]> {
    if (!this.size) {
      this.size = { width: frame.width & ~1, height: frame.height & ~1 };
      this.scaler = FilterAPI.create(`scale=${this.size.width}:${this.size.height},format=${this.pixelFormat}`);
    }
    return this.scaler!.processAll(frame);
  }

  private async encode(frame: Frame, timeBase: Rational): Promise<TimedFrame[]> {
    return this.timed(await this.encoder.encodeAll(frame), timeBase);
  }

  /**
   * Encodes a picture as a key frame. node-av's Encoder clears the picture type of every frame it
   * is given (FFmpeg's CLI does the same when re-encoding), so once it is open the frame goes to
   * the codec directly, with the time base conversion the Encoder would have made.
   */
  private async encodeKeyframe(frame: Frame): Promise<TimedFrame[]> {
    const ctx = this.encoder.getCodecContext();
    if (!ctx) return this.encode(frame, VIDEO_CLOCK); // an encoder's first picture is a key frame anyway
    frame.pts = avRescaleQ(frame.pts, VIDEO_CLOCK, ctx.timeBase);
    frame.timeBase = ctx.timeBase;
    frame.duration = 1n;
    frame.pictType = AV_PICTURE_TYPE_I;
    const ret = await ctx.sendFrame(frame);
    if (ret < 0) throw new MediaIoError('STREAM_ERROR_FAILED', `the encoder refused a picture (${ret})`);
    const packets: Packet[] = [];
    for (let p = await this.encoder.receive(); p instanceof Packet; p = await this.encoder.receive()) packets.push(p);
    return this.timed(packets, VIDEO_CLOCK);
  }

  /** Encoded packets as timed frames (the packets are freed). */
  private timed(packets: Packet[], timeBase: Rational): TimedFrame[] {
    const out: TimedFrame[] = [];
    const ctx = this.encoder.getCodecContext();
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
      if (p.data) out.push({ data: Buffer.from(p.data), timeUs, keyframe: p.isKeyframe });
      p.free();
    }
    this.framesOut += out.length;
    return out;
  }
}
