/**
 * ZBarFilter: reads barcodes and QR codes in the video and raises `CodeFound(codeType, value)`,
 * as KMS does with GStreamer's `zbar` element. ZBar runs on a detector thread at most
 * `SCANS_PER_SECOND` times a second (every frame at 30 fps would cost most of a core, as it does
 * in KMS); the picture passes unchanged. KMS's rule for repeats: the same symbol (type and value)
 * is reported again only once a second has passed since it was last reported, so a code held in
 * view raises one event a second.
 */
import type { Frame } from 'node-av';
import { DetectorThread } from '../filters/detector-thread.js';
import { isYuv420p, lumaOf, yuvPlanes } from '../filters/picture.js';
import type { FoundCode, ScanInput } from '../filters/zbar-detector.js';
import { FilterElementImpl, type FilterOutput } from './filter-element.js';
import type { ObjectInit } from './media-object.js';

const SCANNER = new URL('../filters/zbar-detector.js', import.meta.url).href;
const SCANS_PER_SECOND = 10;
/** KMS reports a symbol again only this long after its last report. */
const REPEAT_AFTER_MS = 1000;

export class ZBarFilterImpl extends FilterElementImpl {
  private readonly scanner: DetectorThread<ScanInput, FoundCode[]>;
  /** When each symbol was last reported. */
  private readonly lastReported = new Map<string, number>();

  constructor(init: ObjectInit) {
    super(init);
    this.scanner = new DetectorThread<ScanInput, FoundCode[]>(SCANNER, {}, {
      maxPerSecond: SCANS_PER_SECOND,
      onError: (message) => this.reportFailure(`barcode scanner: ${message}`),
    });
  }

  /** Scans made so far and their mean thread time (bench/filters reads them). */
  get detectionStats(): { detections: number; msPerDetection: number } {
    const d = this.scanner;
    return { detections: d.detections, msPerDetection: d.detections > 0 ? d.detectionMs / d.detections : 0 };
  }

  protected override processFrame(frame: Frame): FilterOutput {
    if (!isYuv420p(frame) || !this.scanner.wants()) return undefined;
    const planes = yuvPlanes(frame);
    // A packed copy goes to the thread (the frame itself is freed after this call).
    const luma = new Uint8Array(lumaOf(planes));
    this.scanner.offer({ width: planes.width, height: planes.height, luma }, [luma.buffer], (codes) => this.onCodes(codes));
    return undefined;
  }

  override release(): void {
    this.scanner.close();
    super.release();
  }

  private onCodes(codes: readonly FoundCode[]): void {
    const now = Date.now();
    for (const code of codes) {
      const key = `${code.codeType}\u0000${code.value}`;
      const last = this.lastReported.get(key);
      if (last !== undefined && now - last <= REPEAT_AFTER_MS) continue;
      this.lastReported.set(key, now);
      this.emit('CodeFound', { codeType: code.codeType, value: code.value });
    }
    if (this.lastReported.size > 256) {
      for (const [key, at] of this.lastReported) if (now - at > REPEAT_AFTER_MS) this.lastReported.delete(key);
    }
  }
}
