/**
 * Frames the mixers make themselves (a background picture, a mix of sound) and reading the
 * samples of sound frames, on node-av.
 *
 * Frames are allocated by FFmpeg and written through their planes (`frame.data`, views of the
 * frame's own memory): node-av's `Frame.fromVideoBuffer`/`fromAudioBuffer` (`frame.fromBuffer`)
 * leave the frame pointing into the JavaScript buffer they were given, so a frame built that way
 * crashes the worker once the buffer is collected while FFmpeg still holds the frame (reproduced
 * with a filter graph and forced collections).
 */
import { AV_CHANNEL_LAYOUT_STEREO, AV_PIX_FMT_YUV420P, AV_SAMPLE_FMT_FLT, Frame, Rational } from 'node-av';

/** The clock of every frame the mixers handle: microseconds on the worker's clock. */
export const MICROSECONDS = new Rational(1, 1_000_000);
/** The mixers' sound: 48 kHz stereo, interleaved 32-bit float, in 20 ms blocks. */
export const MIX_RATE = 48_000;
export const MIX_CHANNELS = 2;
export const MIX_BLOCK_SAMPLES = 960;

export type Rgb = readonly [number, number, number];

const NAMED: Record<string, Rgb> = {
  black: [0, 0, 0], white: [255, 255, 255], gray: [128, 128, 128], grey: [128, 128, 128],
  red: [255, 0, 0], green: [0, 128, 0], lime: [0, 255, 0], blue: [0, 0, 255], yellow: [255, 255, 0],
  cyan: [0, 255, 255], magenta: [255, 0, 255], orange: [255, 165, 0], navy: [0, 0, 128],
};

/** `#rrggbb`, `0xrrggbb`, `rrggbb` or a basic colour name; undefined when it is none of them. */
export function parseColor(text: string): Rgb | undefined {
  const named = NAMED[text.trim().toLowerCase()];
  if (named) return named;
  const hex = /^(?:#|0x)?([0-9a-f]{6})$/i.exec(text.trim())?.[1];
  if (!hex) return undefined;
  const value = parseInt(hex, 16);
  return [(value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff];
}

/** A colour as FFmpeg's filter options spell it. */
export function ffmpegColor([r, g, b]: Rgb): string {
  return `0x${((r << 16) | (g << 8) | b).toString(16).padStart(6, '0')}`;
}

/** A picture of one colour (YUV 4:2:0, BT.601 limited range, what the encoders take). */
export function solidPicture(width: number, height: number, [r, g, b]: Rgb): Frame {
  const frame = new Frame();
  frame.alloc();
  frame.width = width;
  frame.height = height;
  frame.format = AV_PIX_FMT_YUV420P;
  frame.timeBase = MICROSECONDS;
  allocate(frame, `a ${width}x${height} picture`);
  const y = Math.round(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255);
  const u = Math.round(128 + (-37.797 * r - 74.203 * g + 112 * b) / 255);
  const v = Math.round(128 + (112 * r - 93.786 * g - 18.214 * b) / 255);
  const planes = frame.data!;
  planes[0]!.fill(y);
  planes[1]!.fill(u);
  planes[2]!.fill(v);
  return frame;
}

/** A block of mixed sound as a frame stamped `timeUs` (samples interleaved, as the mixers keep them). */
export function soundFrame(samples: Float32Array, timeUs: number): Frame {
  const frame = new Frame();
  frame.alloc();
  frame.nbSamples = samples.length / MIX_CHANNELS;
  frame.format = AV_SAMPLE_FMT_FLT;
  frame.sampleRate = MIX_RATE;
  frame.channelLayout = AV_CHANNEL_LAYOUT_STEREO;
  allocate(frame, 'a sound frame');
  Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength).copy(frame.data![0]!);
  frame.pts = BigInt(timeUs);
  frame.timeBase = MICROSECONDS;
  return frame;
}

/** The samples of a frame in the mixers' format (interleaved float), as a view of its memory. */
export function interleavedSamples(frame: Frame): Float32Array {
  return floatView(frame.data![0]!, frame.nbSamples * MIX_CHANNELS);
}

/** Gives a described frame its FFmpeg-owned planes (the frame is freed if that fails). */
function allocate(frame: Frame, what: string): void {
  const ret = frame.getBuffer();
  if (ret < 0) {
    frame.free();
    throw new Error(`cannot allocate ${what} (${ret})`);
  }
}

function floatView(plane: Buffer, count: number): Float32Array {
  if (plane.byteOffset % 4 === 0) return new Float32Array(plane.buffer, plane.byteOffset, count);
  // FFmpeg aligns its planes; should one ever not be, work on a copy.
  const copy = new Float32Array(count);
  new Uint8Array(copy.buffer).set(plane.subarray(0, count * 4));
  return copy;
}
