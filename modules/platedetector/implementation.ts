/**
 * platedetector.PlateDetectorFilter as a plugin: finds plate-shaped regions (`plate-finder.ts`)
 * and reads them with Tesseract (`tesseract.js`, its WebAssembly build and English model from
 * npm packages, on its own worker thread), a couple of times a second. `PlateDetected(plate)` is
 * raised for a confident reading (the characters of Spanish plates, which Kurento's module reads:
 * digits and consonants), not again for the same plate within `REPEAT_AFTER_MS`.
 * `setPlateWidthPercentage` tells how wide plates are expected to be (a fraction of the width).
 */
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Frame, Handlers, MethodParams, PluginApi, PluginImplementation } from 'kuroshio/plugin';
import type api from './api.js';
import { findPlates, pgmOf } from './plate-finder.js';

type Api = typeof api;
type OcrWorker = {
  setParameters(params: Record<string, string>): Promise<unknown>;
  recognize(image: Buffer): Promise<{ data: { text: string; confidence: number } }>;
  terminate(): Promise<unknown>;
};

const require = createRequire(import.meta.url);
const READS_PER_SECOND = 2;
const REPEAT_AFTER_MS = 5000;
const MIN_CONFIDENCE = 60;
const PLATE_CHARACTERS = '0123456789BCDFGHJKLMNPRSTVWXYZ';

async function startOcr(): Promise<OcrWorker> {
  const { createWorker } = (await import('tesseract.js')) as unknown as { createWorker(lang: string, oem: number, options: Record<string, unknown>): Promise<OcrWorker> };
  const worker = await createWorker('eng', 1, {
    langPath: join(dirname(require.resolve('@tesseract.js-data/eng/package.json')), '4.0.0_best_int'),
    corePath: dirname(require.resolve('tesseract.js-core/package.json')),
    cachePath: join(tmpdir(), 'kuroshio-tesseract'),
    cacheMethod: 'none',
    gzip: true,
  });
  await worker.setParameters({ tessedit_char_whitelist: `${PLATE_CHARACTERS} `, tessedit_pageseg_mode: '7' });
  return worker;
}

export default function implement(kuroshio: PluginApi): PluginImplementation {
  const { FilterElement, isYuv420p, yuvPlanes } = kuroshio;

  class PlateDetectorFilter extends FilterElement implements Handlers<Api, 'PlateDetectorFilter'> {
    private ocr: Promise<OcrWorker> | undefined;
    private reading = false;
    private lastRead = -Infinity;
    private plateWidth = 0.2;
    private readonly reported = new Map<string, number>();

    setPlateWidthPercentage(params: MethodParams<Api, 'PlateDetectorFilter', 'setPlateWidthPercentage'>): null {
      this.plateWidth = Math.max(0.02, Math.min(1, params.plateWidthPercentage));
      return null;
    }

    protected override processFrame(frame: Frame): undefined {
      const now = performance.now();
      if (this.reading || now - this.lastRead < 1000 / READS_PER_SECOND || !isYuv420p(frame)) return undefined;
      const planes = yuvPlanes(frame);
      const [plate] = findPlates(planes.y, planes.yStride, planes.width, planes.height, this.plateWidth * 0.5);
      if (!plate) return undefined;
      // A little inside the plate's border, which OCR would read as a character.
      const inset = Math.round(plate.height * 0.08);
      const image = pgmOf(planes.y, planes.yStride, { x: plate.x + inset, y: plate.y + inset, width: plate.width - 2 * inset, height: plate.height - 2 * inset });
      this.reading = true;
      this.lastRead = now;
      this.ocr ??= startOcr();
      this.ocr
        .then((ocr) => ocr.recognize(image))
        .then(({ data }) => this.onText(data.text, data.confidence))
        .catch((err: Error) => this.reportFailure(`plate reader: ${err.message}`))
        .finally(() => (this.reading = false));
      return undefined;
    }

    override release(): void {
      void this.ocr?.then((ocr) => ocr.terminate()).catch((err: Error) => this.reportFailure(`plate reader: ${err.message}`));
      super.release();
    }

    private onText(text: string, confidence: number): void {
      const plate = text.replace(/\s+/g, ' ').trim();
      if (confidence < MIN_CONFIDENCE || plate.replace(/ /g, '').length < 4) return;
      const now = Date.now();
      const last = this.reported.get(plate);
      if (last !== undefined && now - last < REPEAT_AFTER_MS) return;
      this.reported.set(plate, now);
      this.emit('PlateDetected', { plate });
    }
  }

  return { PlateDetectorFilter };
}
