/**
 * A detector (faces, barcodes, text...) on a worker thread, so that its 10–50 ms per picture
 * never hold the media worker's event loop, fed at a bounded rate: a picture is offered for
 * every frame, and taken only when the thread is idle and the rate allows. Filters keep drawing
 * the last result on every frame, so the output keeps the input's frame rate whatever the
 * detector costs (what KMS gets from GStreamer's QoS dropping, without the lag).
 *
 * The detector is an ES module whose default export `create(options)` resolves to a function
 * from an input (transferred, not copied) to a result; `detector-worker.ts` hosts it.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

const HOST = fileURLToPath(new URL('./detector-worker.js', import.meta.url));
/**
 * A picture arriving this much before the next detection is due is taken: at 30 fps and 10
 * detections a second, every third frame (100 ms apart) rather than every fourth.
 */
const EARLY_MS = 15;

export interface DetectorOptions {
  /** Most detections started per second. */
  readonly maxPerSecond: number;
  /** Called once when the detector cannot start or fails for good. */
  readonly onError: (message: string) => void;
}

interface Reply<R> {
  readonly id: number;
  readonly result?: R;
  readonly error?: string;
  readonly busyMs?: number;
}

export class DetectorThread<I, R> {
  private readonly worker: Worker;
  private busy = false;
  private nextId = 1;
  private lastStart = -Infinity;
  private closed = false;
  private failed = false;
  private callback: ((result: R) => void) | undefined;
  /** Detections done, and the thread time they took (statistics). */
  detections = 0;
  detectionMs = 0;

  constructor(
    detectorModule: string,
    detectorOptions: unknown,
    private readonly options: DetectorOptions,
  ) {
    this.worker = new Worker(HOST, { workerData: { detectorModule, detectorOptions } });
    this.worker.unref();
    this.worker.on('message', (reply: Reply<R>) => this.onReply(reply));
    this.worker.on('error', (err) => this.fail(err.message));
    this.worker.on('exit', (code) => {
      if (!this.closed) this.fail(`the detector thread ended (code ${code})`);
    });
  }

  /** Whether a new picture would be taken now (idle, rate allows, not failed). */
  wants(now = performance.now()): boolean {
    return !this.busy && !this.closed && !this.failed && now - this.lastStart >= 1000 / this.options.maxPerSecond - EARLY_MS;
  }

  /**
   * Starts a detection on `input` if `wants()`; `transfer` lists buffers moved to the thread.
   * Returns whether the picture was taken.
   */
  offer(input: I, transfer: readonly ArrayBuffer[], onResult: (result: R) => void): boolean {
    const now = performance.now();
    if (!this.wants(now)) return false;
    this.busy = true;
    this.lastStart = now;
    this.callback = onResult;
    this.worker.postMessage({ id: this.nextId++, input }, [...transfer]);
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.worker.terminate();
  }

  private onReply(reply: Reply<R>): void {
    this.busy = false;
    if (reply.error !== undefined) {
      this.options.onError(reply.error);
      return;
    }
    this.detections++;
    this.detectionMs += reply.busyMs ?? 0;
    if (!this.closed && reply.result !== undefined) this.callback?.(reply.result);
  }

  private fail(message: string): void {
    if (this.failed || this.closed) return;
    this.failed = true;
    this.busy = false;
    this.options.onError(message);
  }
}
