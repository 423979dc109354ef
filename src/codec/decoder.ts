/**
 * One stream's decoder: encoded frames in (any codec FFmpeg decodes, named by `codecName`: VP8,
 * H264, OPUS, AAC...), raw pictures or sound out, stamped in microseconds. A frame that does not
 * decode is skipped and counted; the decoder resynchronises on what follows.
 *
 * Sound is decoded with node-av's synchronous calls, pictures with its asynchronous ones on
 * libuv's pool (`call-mode.ts` says why).
 */
import { Codec, CodecContext, Frame, Packet, Rational } from 'node-av';
import { sourceCodecId } from './ffmpeg-codecs.js';
import { runsSynchronously } from './call-mode.js';
import { MediaIoError } from './media-io-error.js';
import { trimMemorySoon } from './memory-trim.js';

/** An encoded frame with its time in microseconds. */
export interface TimedFrame {
  readonly data: Buffer;
  readonly timeUs: number;
  readonly keyframe: boolean;
}

export interface DecoderInput {
  /** `codecName` of what arrives: VP8, OPUS, AAC... */
  readonly codec: string;
  readonly sampleRate?: number;
  readonly channels?: number;
  /** Codec private data (AudioSpecificConfig, avcC), when the codec needs it. */
  readonly extradata?: Buffer;
}

export const MICROSECONDS = new Rational(1, 1_000_000);

export class MediaDecoder {
  private readonly packet = new Packet();
  private closed = false;
  /** The call in progress: the context is freed only after it, never under it. */
  private inFlight: Promise<unknown> = Promise.resolve();
  /** Frames that did not decode (corrupt or missing references). */
  errors = 0;
  framesOut = 0;

  private constructor(
    readonly kind: 'AUDIO' | 'VIDEO',
    readonly input: DecoderInput,
    private readonly context: CodecContext,
  ) {
    this.packet.alloc();
  }

  static async create(kind: 'AUDIO' | 'VIDEO', input: DecoderInput): Promise<MediaDecoder> {
    const id = sourceCodecId(input.codec);
    const codec = id === undefined ? null : Codec.findDecoder(id);
    if (!codec) throw new MediaIoError('STREAM_ERROR_DECODE', `Kuroshio does not decode ${input.codec}`);
    const context = new CodecContext();
    context.allocContext3(codec);
    // One thread: libvpx's and FFmpeg's frame threads add a frame of delay each and collapse
    // when the other core is busy (DESIGN.md §5).
    context.threadCount = 1;
    context.pktTimebase = MICROSECONDS;
    if (kind === 'AUDIO') {
      context.sampleRate = input.sampleRate ?? 48000;
      context.channels = input.channels ?? (input.codec === 'OPUS' ? 2 : 1);
    }
    if (input.extradata) context.extraData = input.extradata;
    const ret = await context.open2(null, null);
    if (ret < 0) {
      context.freeContext();
      throw new MediaIoError('STREAM_ERROR_DECODE', `cannot open the ${input.codec} decoder (${ret})`);
    }
    return new MediaDecoder(kind, input, context);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Decodes one frame. The frames returned are the caller's (free them); their `pts` is in
   * microseconds. A frame that does not decode yields none and counts as an error.
   */
  decode(input: TimedFrame): Promise<Frame[]> {
    if (this.closed) return Promise.resolve([]);
    const work = this.run(input);
    this.inFlight = work.catch(() => undefined);
    return work;
  }

  private async run(input: TimedFrame): Promise<Frame[]> {
    this.packet.data = input.data;
    this.packet.pts = BigInt(Math.round(input.timeUs));
    this.packet.dts = this.packet.pts;
    this.packet.timeBase = MICROSECONDS;
    const sync = runsSynchronously(this.kind);
    const sent = sync ? this.context.sendPacketSync(this.packet) : await this.context.sendPacket(this.packet);
    this.packet.unref();
    if (this.closed) return [];
    if (sent < 0) {
      this.errors++;
      return [];
    }
    const out: Frame[] = [];
    while (!this.closed) {
      const frame = new Frame();
      frame.alloc();
      // Taking the frames out is synchronous either way: FFmpeg's decoders of our codecs decode in
      // `avcodec_send_packet` and only hand over the frame here, and each asynchronous call costs
      // two thread switches (most of a Composite's overhead on one core, see docs/PERFORMANCE.md).
      if (this.context.receiveFrameSync(frame) < 0) {
        frame.free();
        break;
      }
      frame.timeBase = MICROSECONDS;
      out.push(frame);
    }
    // Closed while decoding: nobody will take these.
    if (this.closed) {
      for (const f of out) f.free();
      return [];
    }
    this.framesOut += out.length;
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.inFlight.then(() => {
      this.context.freeContext();
      this.packet.free();
      trimMemorySoon();
    });
  }
}
