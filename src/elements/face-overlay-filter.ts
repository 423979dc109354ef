/**
 * FaceOverlayFilter: finds faces and draws an image over each one (Kurento's "magic mirror").
 * `setOverlayedImage(uri, offsetXPercent, offsetYPercent, widthPercent, heightPercent)` places
 * the image relative to each face's box: offsets and sizes are fractions of the box (−0.35,
 * −1.2, 1.6, 1.6 puts a hat on the head, as in Kurento's tutorial); `unsetOverlayedImage` stops.
 *
 * Faces are found by BlazeFace on a detector thread (`filters/face-detector.ts`) at most
 * `DETECTIONS_PER_SECOND` times a second while an image is set; every frame draws the image at
 * the faces' tracked places (`filters/face-tracker.ts`), so the output keeps the input's frame
 * rate. A detector that cannot start raises `Error` once and the video passes unchanged.
 */
import type { Frame } from 'node-av';
import { DetectorThread } from '../filters/detector-thread.js';
import type { FaceBox, FaceInput } from '../filters/face-detector.js';
import { FaceTracker } from '../filters/face-tracker.js';
import { imageCache } from '../filters/image-cache.js';
import { OverlaySource } from '../filters/overlay-source.js';
import { blendImage, isYuv420p, packPlane, writableCopy, yuvPlanes, type YuvPlanes } from '../filters/picture.js';
import { FilterElementImpl, type FilterOutput } from './filter-element.js';
import type { Params } from './media-object.js';

const DETECTOR = new URL('../filters/face-detector.js', import.meta.url).href;
const DETECTIONS_PER_SECOND = 10;
/** BlazeFace scores below this are not faces (0.5 lets a patterned bowl through on the test photo). */
const MIN_CONFIDENCE = 0.6;

interface Placement {
  readonly source: OverlaySource;
  readonly offsetX: number;
  readonly offsetY: number;
  readonly width: number;
  readonly height: number;
}

function packed(planes: YuvPlanes): FaceInput {
  const cw = (planes.width + 1) >> 1;
  const ch = (planes.height + 1) >> 1;
  return {
    width: planes.width,
    height: planes.height,
    y: packPlane(planes.y, planes.yStride, planes.width, planes.height),
    u: packPlane(planes.u, planes.uvStride, cw, ch),
    v: packPlane(planes.v, planes.uvStride, cw, ch),
  };
}

export class FaceOverlayFilterImpl extends FilterElementImpl {
  private detector: DetectorThread<FaceInput, FaceBox[]> | undefined;
  private readonly tracker = new FaceTracker();
  private placement: Placement | undefined;

  setOverlayedImage(params: Params): null {
    const source = new OverlaySource(params.uri as string, imageCache, (message) => {
      if (this.placement?.source === source) this.placement = undefined;
      this.reportFailure(`overlay image: ${message}`, 'IMAGE_ERROR');
    });
    this.placement = {
      source,
      offsetX: params.offsetXPercent as number,
      offsetY: params.offsetYPercent as number,
      width: params.widthPercent as number,
      height: params.heightPercent as number,
    };
    this.detector ??= new DetectorThread<FaceInput, FaceBox[]>(DETECTOR, { minConfidence: MIN_CONFIDENCE }, {
      maxPerSecond: DETECTIONS_PER_SECOND,
      onError: (message) => this.reportFailure(`face detector: ${message}`),
    });
    return null;
  }

  unsetOverlayedImage(): null {
    this.placement = undefined;
    this.tracker.clear();
    return null;
  }

  /** Detections made so far and their mean thread time (bench/filters reads them). */
  get detectionStats(): { detections: number; msPerDetection: number } {
    const d = this.detector;
    return { detections: d?.detections ?? 0, msPerDetection: d && d.detections > 0 ? d.detectionMs / d.detections : 0 };
  }

  protected override processFrame(frame: Frame): FilterOutput {
    const placement = this.placement;
    if (!placement || !isYuv420p(frame)) return undefined;
    const now = performance.now();
    const planes = yuvPlanes(frame);
    if (this.detector?.wants(now)) {
      const input = packed(planes);
      this.detector.offer(input, [input.y.buffer as ArrayBuffer, input.u.buffer as ArrayBuffer, input.v.buffer as ArrayBuffer], (faces) => {
        if (this.placement) this.tracker.update(faces, now);
      });
    }
    const faces = this.tracker.at(now);
    if (faces.length === 0) return undefined;
    let out: Frame | undefined;
    for (const face of faces) {
      const image = placement.source.at(face.width * placement.width, face.height * placement.height);
      if (!image) continue;
      out ??= writableCopy(frame);
      blendImage(yuvPlanes(out), image, face.x + placement.offsetX * face.width, face.y + placement.offsetY * face.height);
    }
    return out;
  }

  override release(): void {
    this.detector?.close();
    super.release();
  }
}
