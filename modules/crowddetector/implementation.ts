/**
 * crowddetector.CrowdDetectorFilter as a plugin: occupancy, fluidity and direction events per
 * region of interest (`crowd-analysis.ts`), computed on the luma plane scaled to
 * `processingWidth` (320 by default, as in KMS).
 */
import type { ConstructorParams, Frame, ObjectInit, PluginApi, PluginImplementation } from 'kuroshio/plugin';
import type api from './api.js';
import { CrowdAnalysis, type Roi } from './crowd-analysis.js';

type Api = typeof api;

/** The luma plane scaled (nearest sample) to `width`, keeping the aspect ratio. */
function scaledLuma(y: Buffer, stride: number, srcWidth: number, srcHeight: number, width: number): { luma: Uint8Array; width: number; height: number } {
  const w = Math.max(16, Math.min(srcWidth, Math.round(width)));
  const h = Math.max(16, Math.round((srcHeight * w) / srcWidth));
  const luma = new Uint8Array(w * h);
  for (let row = 0; row < h; row++) {
    const from = Math.floor((row * srcHeight) / h) * stride;
    for (let col = 0; col < w; col++) luma[row * w + col] = y[from + Math.floor((col * srcWidth) / w)]!;
  }
  return { luma, width: w, height: h };
}

export default function implement(kuroshio: PluginApi): PluginImplementation {
  const { FilterElement, isYuv420p, yuvPlanes } = kuroshio;

  class CrowdDetectorFilter extends FilterElement {
    private readonly analysis: CrowdAnalysis;

    constructor(init: ObjectInit) {
      super(init);
      const params = init.params as ConstructorParams<Api, 'CrowdDetectorFilter'>;
      const rois: Roi[] = params.rois.map((r) => ({ id: r.id, points: r.points, config: r.regionOfInterestConfig }));
      this.analysis = new CrowdAnalysis(rois);
    }

    protected override processFrame(frame: Frame): undefined {
      if (!isYuv420p(frame)) return undefined;
      const planes = yuvPlanes(frame);
      const processingWidth = this.storedProperty<number>('processingWidth') ?? 320;
      const { luma, width, height } = scaledLuma(planes.y, planes.yStride, planes.width, planes.height, processingWidth);
      for (const { type, ...data } of this.analysis.push(luma, width, height)) this.emit(type, data);
      return undefined;
    }
  }

  return { CrowdDetectorFilter };
}
