/**
 * An FFmpeg filter chain (`hflip`, `eq=saturation=0`...) applied to one frame at a time, on
 * libuv's thread pool (node-av's asynchronous calls). The graph is built for the first frame's
 * size and format and rebuilt when they change (a resolution change mid-stream), or when the
 * description is changed (`setElementProperty`). Frames keep their capture time.
 */
import { FilterAPI, type Frame } from 'node-av';

export class FrameFilterGraph {
  private api: FilterAPI | undefined;
  private builtFor = '';
  private closed = false;
  /** The call in progress: the graph is freed only after it, never under it. */
  private inFlight: Promise<unknown> = Promise.resolve();

  constructor(private description: string) {}

  get filters(): string {
    return this.description;
  }

  /** A new chain for the next frames. */
  setDescription(description: string): void {
    this.description = description;
    this.builtFor = '';
  }

  /**
   * The filtered frame (the caller frees it), or undefined when the chain held it back (a rate
   * change). Frames in make frames out one for one for every chain but rate changes.
   */
  run(frame: Frame): Promise<Frame | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    // One frame at a time: node-av's FilterAPI receives into one frame of its own, so a second
    // call while one is in flight takes that frame from under it (frames lost, "Failed to clone
    // frame"). Callers may start the next frame before this one settles.
    const work = this.inFlight.then(() => this.runNow(frame));
    this.inFlight = work.catch(() => undefined);
    return work;
  }

  private async runNow(frame: Frame): Promise<Frame | undefined> {
    if (this.closed) return undefined;
    const key = `${frame.width}x${frame.height}/${frame.format}/${frame.sampleRate}/${frame.nbSamples > 0 ? 'a' : 'v'}|${this.description}`;
    if (!this.api || key !== this.builtFor) {
      this.api?.close();
      this.api = FilterAPI.create(this.description);
      this.builtFor = key;
    }
    const outputs = await this.api.processAll(frame);
    if (this.closed) {
      for (const f of outputs) f.free();
      return undefined;
    }
    const [first, ...rest] = outputs;
    for (const f of rest) f.free();
    return first;
  }

  close(): void {
    this.closed = true;
    const api = this.api;
    this.api = undefined;
    void this.inFlight.then(() => api?.close());
  }
}
