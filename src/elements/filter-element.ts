/**
 * Base of every filter (built-in or from a plugin module): an element whose sink pads take
 * decoded media of the kinds it works on, and which sends on what it makes of each frame.
 *
 *   decoded frame ──► processFrame(frame) ──► a new frame (sent on) | undefined (the input is sent on)
 *
 * The decoded-media layer decodes in front of the filter (one decoder shared with every other
 * consumer of the source) and encodes behind it, per sink format; two filters in a row exchange
 * frames without encoding. Kinds the filter does not work on pass through as packets.
 *
 * Frames are handed over in order. `processFrame` may answer synchronously (drawing on a copy of
 * the picture costs a millisecond) or with a promise (an FFmpeg filter graph on the thread pool);
 * at most `MAX_PENDING` frames wait for asynchronous work, later ones are dropped and counted, so
 * a filter slower than the input lowers the frame rate instead of building up delay. A frame the
 * filter fails on is sent on unchanged and raises one `Error` event (per distinct message), so a
 * bad setting never stalls the pipeline. Heavy analysis (detectors) belongs off the event loop:
 * run it on a worker thread at a bounded rate and draw the last result on every frame.
 */
import type { Frame } from 'node-av';
import { KurentoCode } from '../errors.js';
import { ANY_CAPS, RAW_CAPS, type SinkCaps } from '../media/processing/caps.js';
import type { RawMedia } from '../media/processing/raw-media.js';
import type { MediaKind } from '../media/types.js';
import { MediaElementImpl, type ElementPadSink } from './media-element.js';

export type FrameKind = 'AUDIO' | 'VIDEO';
/** What a filter makes of a frame: a new frame (the base frees it once sent on) or nothing (send the input on). */
export type FilterOutput = Frame | undefined;

/** Frames waiting for asynchronous work beyond this are dropped. */
const MAX_PENDING = 3;

export abstract class FilterElementImpl extends MediaElementImpl {
  private pending = 0;
  private chain: Promise<void> = Promise.resolve();
  private readonly reportedErrors = new Set<string>();
  /** Frames processed, and dropped because the filter was behind (statistics). */
  framesProcessed = 0;
  framesDropped = 0;

  /** The kinds this filter works on; the others pass through as they are. */
  protected processedKinds(): readonly FrameKind[] {
    return ['VIDEO'];
  }

  /**
   * Works on one frame. The input stays valid until the returned promise settles; never free it,
   * and copy it before drawing on it (`writableCopy`): its picture is shared with other consumers.
   */
  protected abstract processFrame(frame: Frame, kind: FrameKind): FilterOutput | Promise<FilterOutput>;

  protected override sinkCaps(pad: ElementPadSink): SinkCaps {
    return (this.processedKinds() as readonly MediaKind[]).includes(pad.kind) ? RAW_CAPS : ANY_CAPS;
  }

  /** The processed kinds changed (a GStreamerFilter's type found after parsing): links route again. */
  protected kindsChanged(): void {
    this.capsChanged();
  }

  override acceptFrame(pad: ElementPadSink, media: RawMedia): void {
    if (!this.processedKinds().includes(media.kind)) {
      super.acceptFrame(pad, media);
      return;
    }
    this.markFlowIn(pad.kind, pad.description);
    if (this.isReleased) return;
    if (this.pending >= MAX_PENDING) {
      this.framesDropped++;
      return;
    }
    // A reference of our own (no picture copy): asynchronous work reads the frame after the
    // layer has freed its own.
    const input = media.frame.clone();
    if (!input) return;
    const own: RawMedia = { kind: media.kind, frame: input };
    let output: FilterOutput | Promise<FilterOutput>;
    try {
      output = this.processFrame(input, media.kind);
    } catch (err) {
      this.reportFailure(err);
      output = undefined;
    }
    if (output instanceof Promise) {
      this.queueAsync(pad, own, output);
      return;
    }
    try {
      this.framesProcessed++;
      this.sendOn(pad, own, output);
    } finally {
      input.free();
    }
  }

  /** Reports a failure once per distinct message as Kurento's `Error` event. */
  protected reportFailure(err: unknown, type = 'FILTER_ERROR'): void {
    const message = err instanceof Error ? err.message : String(err);
    if (this.reportedErrors.has(message)) return;
    if (this.reportedErrors.size > 50) this.reportedErrors.clear();
    this.reportedErrors.add(message);
    this.emitError(type, KurentoCode.UNEXPECTED_ERROR, message);
  }

  /** Frames leave in order: this one waits for those before it; `media.frame` is ours to free. */
  private queueAsync(pad: ElementPadSink, media: RawMedia, work: Promise<FilterOutput>): void {
    this.pending++;
    const previous = this.chain;
    this.chain = (async () => {
      let output: FilterOutput;
      try {
        output = await work;
      } catch (err) {
        this.reportFailure(err);
        output = undefined;
      }
      await previous;
      this.framesProcessed++;
      if (!this.isReleased) this.sendOn(pad, media, output);
      else output?.free();
    })().finally(() => {
      media.frame.free();
      this.pending--;
    });
  }

  private sendOn(pad: ElementPadSink, media: RawMedia, output: FilterOutput): void {
    const out = this.sources.find(pad.kind, pad.description);
    try {
      if (out && out.links.size > 0) {
        this.markFlowOut(out.kind, out.description);
        this.pushFrame(out, output ? { kind: media.kind, frame: output } : media);
      }
    } finally {
      if (output && output !== media.frame) output.free();
    }
  }
}
