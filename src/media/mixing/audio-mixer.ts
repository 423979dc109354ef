/**
 * Sound from several inputs mixed on a clock, one mix per output: each output hears either
 * everyone but itself (a Composite's mix-minus: nobody hears their own voice come back) or a
 * chosen set of inputs (a Mixer's connections).
 *
 *   input sound ─ resample to 48 kHz stereo float ─ jitter buffer ─┐
 *                                                                   ├─ every 20 ms: one block each
 *   clock ─────────────────────────────────────────────────────────┘    → sum → mix per output
 *
 * Every 20 ms each input gives one block from its buffer, or nothing: an input that stalls or
 * starves is silent in the mix, never waited for (an input starts, and restarts after running
 * dry, once 40 ms are buffered; past 160 ms the oldest sound is dropped, so a sender whose clock
 * runs fast cannot build up delay). The blocks are added once; each "everyone but me" mix is that
 * sum minus the output's own block, so N outputs cost N subtractions, not N sums of N - 1.
 * Summing is a few thousand float additions per block, done here in JavaScript; a filter graph
 * (`amix`) per output would wait for its slowest input and cost N graphs.
 *
 * Input sound is converted by node-av's `FilterAPI`, synchronously (a 20 ms frame is little work).
 */
import { FilterAPI, type Frame } from 'node-av';
import { trimMemorySoon } from '../../codec/memory-trim.js';
import type { RawMedia } from '../processing/raw-media.js';
import { MediaClock } from './media-clock.js';
import { interleavedSamples, MIX_BLOCK_SAMPLES, MIX_CHANNELS, MIX_RATE, soundFrame } from './frames.js';

/** Which inputs an output hears. */
export type Hearing = { readonly everyoneBut: string } | { readonly only: ReadonlySet<string> };

export interface AudioMixerHooks {
  /** The outputs to make now, with what each hears (outputs nobody listens to are left out). */
  outputs(): Iterable<readonly [string, Hearing]>;
  /** One block of an output's mix (the frame is freed after the call: clone it to keep it). */
  output(id: string, media: RawMedia): void;
  failed(message: string): void;
}

const BLOCK_MS = (MIX_BLOCK_SAMPLES / MIX_RATE) * 1000;
const BLOCK_VALUES = MIX_BLOCK_SAMPLES * MIX_CHANNELS;
/** Buffered before an input is heard (and again after it ran dry). */
const START_BLOCKS = 2;
/** Buffered beyond this, the oldest sound is dropped. */
const MAX_BLOCKS = 8;
/** Late ticks still mixed after the event loop was held up (200 ms of sound). */
const MAX_CATCH_UP = 10;
const CONVERSION = `aresample=${MIX_RATE},aformat=sample_fmts=flt:channel_layouts=stereo`;

/** A ring of interleaved samples. */
class SampleBuffer {
  private readonly ring = new Float32Array(BLOCK_VALUES * (MAX_BLOCKS + 2));
  private start = 0;
  size = 0;

  write(samples: Float32Array): void {
    const capacity = this.ring.length;
    let values = samples;
    if (values.length > capacity) values = values.subarray(values.length - capacity);
    const overflow = this.size + values.length - capacity;
    if (overflow > 0) this.drop(overflow);
    let end = (this.start + this.size) % capacity;
    let offset = 0;
    while (offset < values.length) {
      const n = Math.min(values.length - offset, capacity - end);
      this.ring.set(values.subarray(offset, offset + n), end);
      offset += n;
      end = (end + n) % capacity;
    }
    this.size += values.length;
  }

  /** Moves up to `into.length` values into `into` (the rest left as it was); returns how many. */
  read(into: Float32Array): number {
    const count = Math.min(into.length, this.size);
    const capacity = this.ring.length;
    let offset = 0;
    while (offset < count) {
      const n = Math.min(count - offset, capacity - this.start);
      into.set(this.ring.subarray(this.start, this.start + n), offset);
      offset += n;
      this.start = (this.start + n) % capacity;
    }
    this.size -= count;
    return count;
  }

  drop(values: number): void {
    const n = Math.min(values, this.size);
    this.start = (this.start + n) % this.ring.length;
    this.size -= n;
  }
}

class MixerInput {
  readonly buffer = new SampleBuffer();
  readonly block = new Float32Array(BLOCK_VALUES);
  /** Heard in the mix (it had enough sound buffered and has not run dry since). */
  playing = false;
  /** It gave a block at the current tick. */
  inMix = false;
  /** Times its oldest sound was dropped because too much was buffered. */
  dropped = 0;
  private readonly converter = FilterAPI.create(CONVERSION);
  private closed = false;

  constructor(private readonly failed: (message: string) => void) {}

  /**
   * Converts the sound into the mix's format at once: node-av's synchronous call, as a 20 ms
   * frame is far less work than an asynchronous call's hand-offs (see `MediaDecoder`).
   */
  push(frame: Frame): void {
    if (this.closed) return;
    try {
      for (const converted of this.converter.processAllSync(frame)) {
        this.buffer.write(interleavedSamples(converted));
        converted.free();
      }
    } catch (err) {
      this.failed(err instanceof Error ? err.message : String(err));
    }
  }

  /** Takes this tick's block; false when the input is not heard at this tick. */
  take(): boolean {
    const buffer = this.buffer;
    if (!this.playing && buffer.size >= START_BLOCKS * BLOCK_VALUES) this.playing = true;
    if (buffer.size > MAX_BLOCKS * BLOCK_VALUES) {
      buffer.drop(buffer.size - (START_BLOCKS + 1) * BLOCK_VALUES);
      this.dropped++;
    }
    this.inMix = false;
    if (!this.playing) return false;
    const got = buffer.read(this.block);
    if (got < BLOCK_VALUES) {
      // Ran dry: what came is heard, then it waits to buffer again.
      this.block.fill(0, got);
      this.playing = false;
      if (got === 0) return false;
    }
    this.inMix = true;
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.converter.close();
    trimMemorySoon();
  }
}

export interface AudioMixerStats {
  inputs: number;
  blocksMixed: number;
  framesDropped: number;
}

export class AudioMixer {
  private readonly inputs = new Map<string, MixerInput>();
  private readonly clock = new MediaClock(BLOCK_MS, (timeUs) => this.tick(timeUs), MAX_CATCH_UP);
  private readonly sum = new Float32Array(BLOCK_VALUES);
  private readonly mix = new Float32Array(BLOCK_VALUES);
  private blocksMixed = 0;
  private closed = false;

  constructor(private readonly hooks: AudioMixerHooks) {}

  get stats(): AudioMixerStats {
    let dropped = 0;
    for (const input of this.inputs.values()) dropped += input.dropped;
    return { inputs: this.inputs.size, blocksMixed: this.blocksMixed, framesDropped: dropped };
  }

  /** Sound of an input (the frame stays the caller's). */
  push(id: string, frame: Frame): void {
    if (this.closed) return;
    let input = this.inputs.get(id);
    if (!input) {
      input = new MixerInput((message) => this.hooks.failed(message));
      this.inputs.set(id, input);
    }
    input.push(frame);
    if (!this.clock.running) this.clock.start();
  }

  removeInput(id: string): void {
    const input = this.inputs.get(id);
    if (!input) return;
    input.close();
    this.inputs.delete(id);
    if (this.inputs.size === 0) this.clock.stop();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clock.stop();
    for (const input of this.inputs.values()) input.close();
    this.inputs.clear();
  }

  private tick(timeUs: number): void {
    const sum = this.sum;
    sum.fill(0);
    let heard = 0;
    for (const input of this.inputs.values()) {
      if (!input.take()) continue;
      heard++;
      const block = input.block;
      for (let i = 0; i < BLOCK_VALUES; i++) sum[i]! += block[i]!;
    }
    if (heard === 0) return; // nobody speaks: nothing is sent, as a muted sender sends nothing
    this.blocksMixed++;
    for (const [id, hearing] of this.hooks.outputs()) {
      if (!this.mixFor(id, hearing)) continue;
      const frame = soundFrame(this.mix, timeUs);
      try {
        this.hooks.output(id, { kind: 'AUDIO', frame });
      } finally {
        frame.free();
      }
    }
  }

  /** Fills `this.mix` with what an output hears; false when it hears nothing at this tick. */
  private mixFor(id: string, hearing: Hearing): boolean {
    const mix = this.mix;
    if ('everyoneBut' in hearing) {
      mix.set(this.sum);
      const own = this.inputs.get(hearing.everyoneBut);
      if (own?.inMix) for (let i = 0; i < BLOCK_VALUES; i++) mix[i]! -= own.block[i]!;
    } else {
      mix.fill(0);
      let any = false;
      for (const source of hearing.only) {
        const input = this.inputs.get(source);
        if (!input?.inMix) continue;
        any = true;
        for (let i = 0; i < BLOCK_VALUES; i++) mix[i]! += input.block[i]!;
      }
      if (!any) return false;
    }
    for (let i = 0; i < BLOCK_VALUES; i++) {
      const v = mix[i]!;
      if (v > 1) mix[i] = 1;
      else if (v < -1) mix[i] = -1;
    }
    return true;
  }
}
