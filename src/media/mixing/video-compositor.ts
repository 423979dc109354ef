/**
 * Pictures from several inputs made into one, on a clock: a Composite's grid, an AlphaBlending's
 * layers. Each input's newest decoded picture is kept; every 1/fps the current filter graph
 * (node-av's `FilterComplexAPI`, asynchronous calls on libuv's thread pool) gets one copy of each
 * and gives one picture out, stamped with the tick's time.
 *
 *   input pictures ─ keep newest ─┐
 *                                  ├─ every tick: graph (scale + xstack / overlay) → one picture
 *   clock ────────────────────────┘
 *
 * Nothing waits for an input: one that stalls, or sends fewer pictures than the clock ticks,
 * repeats its last picture in its own place while the others move on. A tick arriving while the
 * graph still works on the previous one waits for it, and a later tick replaces a waiting one
 * (which is counted as skipped): a slow moment delays a picture, a slow machine lowers the frame
 * rate, and neither builds a queue.
 *
 * Layout changes never freeze the output: when the plan changes (an input joins or leaves,
 * changes picture size, the layout moves), the new graph is built beside the current one and fed
 * the same pictures; the current graph keeps giving the output until the new one gives its first
 * picture (building a graph takes tens of milliseconds), then the new one takes over.
 */
import { AV_BUFFERSRC_FLAG_KEEP_REF, FilterComplexAPI, type FilterContext, type Frame } from 'node-av';
import { trimMemorySoon } from '../../codec/memory-trim.js';
import type { RawMedia } from '../processing/raw-media.js';
import { MediaClock } from './media-clock.js';
import { MICROSECONDS, solidPicture } from './frames.js';
import { BACKGROUND, type CompositionPlan, type PictureSize } from './video-layout.js';

export interface CompositorHooks {
  /** The graph for the inputs that have a picture now (ids in arrival order, with sizes). */
  plan(inputs: ReadonlyMap<string, PictureSize>): CompositionPlan | undefined;
  /** One composed picture (the frame is freed after the call: clone it to keep it). */
  output(media: RawMedia): void;
  /** A graph could not be built or run. */
  failed(message: string): void;
}

export interface CompositorStats {
  framesOut: number;
  ticksSkipped: number;
  graphsBuilt: number;
  /** Wall time from a tick to its picture, averaged (ms). */
  composeMs: number;
  inputs: number;
  /** The latest pauses over 150 ms between two pictures out: [when it ended (Date.now()), ms]. */
  pauses: Array<[number, number]>;
}

/** Pauses longer than this are remembered (the last few) for the statistics. */
const PAUSE_MS = 150;
const PAUSES_KEPT = 20;

/** One filter graph and the work in flight on it. */
class Graph {
  busy = false;
  /** A tick that came while the graph was busy: composed as soon as it is free. */
  waitingTick: number | undefined;
  /** It has given a picture: it may be the current graph. */
  ready = false;
  private closed = false;
  private readonly api: FilterComplexAPI;
  private background: Frame | undefined;

  constructor(readonly plan: CompositionPlan) {
    this.api = FilterComplexAPI.create(plan.description, {
      inputs: plan.inputs.map((_, i) => ({ label: `in${i}` })),
      outputs: [{ label: 'out' }],
      // One thread: predictable on a shared machine, as libvpx is kept (DESIGN.md §5).
      threads: 1,
    });
    if (plan.background) this.background = solidPicture(plan.background.width, plan.background.height, plan.background.color);
  }

  /** Feeds one picture per input, stamped `timeUs`; resolves with the graph's picture, if any. */
  async compose(pictures: ReadonlyMap<string, Frame>, timeUs: number): Promise<Frame | undefined> {
    this.busy = true;
    try {
      for (const [i, id] of this.plan.inputs.entries()) {
        const source = id === BACKGROUND ? this.background : pictures.get(id);
        if (!source) return undefined; // an input left between planning and composing
        // A reference per push: the graph keeps its own, and the stored picture's time stays untouched.
        const copy = source.clone();
        if (!copy) throw new Error('cannot reference a picture');
        copy.pts = BigInt(timeUs);
        copy.timeBase = MICROSECONDS;
        try {
          if (this.closed) return undefined;
          if (!queuePicture(this.api, `in${i}`, copy)) await this.api.process(`in${i}`, copy);
        } finally {
          copy.free();
        }
      }
      // The graph runs when its picture is asked for: scaling every input and stacking them is
      // one call on the pool.
      const got = this.closed ? null : await this.api.receive('out');
      const out = got && typeof got === 'object' && 'pts' in got ? got : undefined;
      if (!out || this.closed) {
        out?.free();
        return undefined;
      }
      this.ready = true;
      out.pts = BigInt(timeUs);
      out.timeBase = MICROSECONDS;
      return out;
    } finally {
      this.busy = false;
      if (this.closed) this.free();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.busy) this.free();
  }

  private free(): void {
    if (this.api.isOpen) this.api.close();
    this.background?.free();
    this.background = undefined;
    trimMemorySoon(); // the graph's pictures were allocated on the pool's threads
  }
}

/** node-av's state of one input of a `FilterComplexAPI` (not in its typings). */
interface GraphInput {
  buffersrc?: FilterContext | null;
}

/**
 * Queues a picture on an input of a graph already running, synchronously and without running the
 * graph (no `AV_BUFFERSRC_FLAG_PUSH`, which `process` always sets): the graph then does a tick's
 * work in the one asynchronous `receive`, instead of a pool call per input. Each asynchronous
 * call costs two thread switches, which were most of a Composite's overhead beside the ffmpeg
 * command line on one core (docs/PERFORMANCE.md). False when the input has no source yet (the
 * graph is built by its first `process`) or node-av's internals are not as expected: the caller
 * then uses `process`. The picture's time base is the graph's (microseconds), so no rescaling.
 */
function queuePicture(api: FilterComplexAPI, label: string, picture: Frame): boolean {
  if (!api.isInitialized) return false;
  const inputs = (api as unknown as { inputs?: unknown }).inputs;
  const source = inputs instanceof Map ? (inputs.get(label) as GraphInput | undefined)?.buffersrc : undefined;
  if (!source || typeof source.buffersrcAddFrameSync !== 'function') return false;
  const ret = source.buffersrcAddFrameSync(picture, AV_BUFFERSRC_FLAG_KEEP_REF);
  if (ret < 0) throw new Error(`the compositor's graph refused a picture (${ret})`);
  return true;
}

export class VideoCompositor {
  private readonly pictures = new Map<string, Frame>();
  private readonly sizes = new Map<string, PictureSize>();
  private readonly clock: MediaClock;
  private current: Graph | undefined;
  private next: Graph | undefined;
  /** A plan whose graph failed: not tried again until the plan changes. */
  private failedKey: string | undefined;
  private lastTickOut = 0;
  private lastOutAt = 0;
  private readonly pauses: Array<[number, number]> = [];
  private closed = false;
  private readonly counters = { framesOut: 0, ticksSkipped: 0, graphsBuilt: 0, composeMsTotal: 0 };

  constructor(
    framesPerSecond: number,
    private readonly hooks: CompositorHooks,
  ) {
    this.clock = new MediaClock(1000 / framesPerSecond, (timeUs) => this.tick(timeUs));
  }

  get stats(): CompositorStats {
    const c = this.counters;
    return {
      framesOut: c.framesOut,
      ticksSkipped: c.ticksSkipped + this.clock.ticksSkipped,
      graphsBuilt: c.graphsBuilt,
      composeMs: c.framesOut === 0 ? 0 : c.composeMsTotal / c.framesOut,
      inputs: this.pictures.size,
      pauses: [...this.pauses],
    };
  }

  /** The newest picture of an input (kept by reference; the caller keeps its own frame). */
  setPicture(id: string, frame: Frame): void {
    if (this.closed) return;
    const copy = frame.clone();
    if (!copy) return;
    this.pictures.get(id)?.free();
    this.pictures.set(id, copy);
    const size = this.sizes.get(id);
    if (!size || size.width !== frame.width || size.height !== frame.height) this.sizes.set(id, { width: frame.width, height: frame.height });
    if (!this.clock.running) this.clock.start();
  }

  /** An input leaves: the next plan goes without it (its last picture stays until that is ready). */
  removeInput(id: string): void {
    if (!this.sizes.delete(id)) return;
    if (this.sizes.size === 0) this.stopAll();
  }

  setFrameRate(framesPerSecond: number): void {
    this.clock.setPeriod(1000 / framesPerSecond);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopAll();
  }

  private tick(timeUs: number): void {
    const plan = this.hooks.plan(this.sizes);
    if (!plan) return;
    this.prepare(plan);
    for (const graph of [this.current, this.next]) {
      if (!graph) continue;
      if (!graph.busy) this.run(graph, timeUs);
      else {
        if (graph.waitingTick !== undefined && graph === this.current) this.counters.ticksSkipped++;
        graph.waitingTick = timeUs;
      }
    }
  }

  private run(graph: Graph, timeUs: number): void {
    const started = performance.now();
    graph.compose(this.pictures, timeUs).then(
      (frame) => {
        this.composed(graph, frame, timeUs, started);
        const waiting = graph.waitingTick;
        graph.waitingTick = undefined;
        if (waiting !== undefined && !this.closed && (graph === this.current || graph === this.next)) this.run(graph, waiting);
      },
      (err: unknown) => this.graphFailed(graph, err),
    );
  }

  /** Makes sure the graph for `plan` exists: current, or being prepared beside it. */
  private prepare(plan: CompositionPlan): void {
    if (this.current?.plan.key === plan.key || this.next?.plan.key === plan.key || this.failedKey === plan.key) return;
    this.next?.close();
    this.next = undefined;
    try {
      const graph = new Graph(plan);
      this.counters.graphsBuilt++;
      if (this.current) this.next = graph;
      else this.current = graph;
    } catch (err) {
      this.failedKey = plan.key;
      this.hooks.failed(err instanceof Error ? err.message : String(err));
    }
  }

  private composed(graph: Graph, frame: Frame | undefined, timeUs: number, started: number): void {
    if (!frame) return;
    try {
      if (graph === this.next) {
        // The new layout is ready: it takes over from this tick on.
        this.current?.close();
        this.current = graph;
        this.next = undefined;
        this.dropUnused();
      } else if (graph !== this.current) return;
      if (this.closed || timeUs <= this.lastTickOut) return; // one picture per tick
      this.lastTickOut = timeUs;
      const now = performance.now();
      if (this.lastOutAt > 0 && now - this.lastOutAt > PAUSE_MS) {
        this.pauses.push([Date.now(), Math.round(now - this.lastOutAt)]);
        if (this.pauses.length > PAUSES_KEPT) this.pauses.shift();
      }
      this.lastOutAt = now;
      this.counters.framesOut++;
      this.counters.composeMsTotal += performance.now() - started;
      this.hooks.output({ kind: 'VIDEO', frame });
    } finally {
      frame.free();
    }
  }

  private graphFailed(graph: Graph, err: unknown): void {
    if (graph === this.current) this.current = undefined;
    if (graph === this.next) this.next = undefined;
    this.failedKey = graph.plan.key;
    graph.close();
    if (!this.closed) this.hooks.failed(err instanceof Error ? err.message : String(err));
  }

  /** Pictures of inputs that left, once no graph uses them any more. */
  private dropUnused(): void {
    const used = new Set([...(this.current?.plan.inputs ?? []), ...(this.next?.plan.inputs ?? [])]);
    for (const [id, frame] of this.pictures) {
      if (!this.sizes.has(id) && !used.has(id)) {
        frame.free();
        this.pictures.delete(id);
      }
    }
  }

  private stopAll(): void {
    this.clock.stop();
    this.current?.close();
    this.next?.close();
    this.current = undefined;
    this.next = undefined;
    for (const frame of this.pictures.values()) frame.free();
    this.pictures.clear();
    this.sizes.clear();
  }
}
