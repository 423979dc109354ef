/**
 * Faces between detections. Detections come a few times a second, frames 30 times: each frame
 * draws the faces of the last detection moved by their velocity (measured between the last two
 * detections that saw the same face), for at most `MAX_EXTRAPOLATION_MS`, so an overlay follows
 * a moving head instead of jumping at each detection.
 */
import type { FaceBox } from './face-detector.js';

const MAX_EXTRAPOLATION_MS = 150;
/** Faces of two detections are the same face when their boxes overlap at least this much (IoU). */
const SAME_FACE_IOU = 0.3;

interface TrackedFace {
  readonly box: FaceBox;
  /** Pixels per millisecond. */
  readonly vx: number;
  readonly vy: number;
}

function iou(a: FaceBox, b: FaceBox): number {
  const x = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const y = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = x * y;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

export class FaceTracker {
  private faces: TrackedFace[] = [];
  private detectedAt = 0;

  /** A detection's result, taken at `atMs` (performance.now() of the picture sent). */
  update(boxes: readonly FaceBox[], atMs: number): void {
    const elapsed = Math.max(1, atMs - this.detectedAt);
    this.faces = boxes.map((box) => {
      let best: TrackedFace | undefined;
      let bestOverlap = SAME_FACE_IOU;
      for (const previous of this.faces) {
        const overlap = iou(previous.box, box);
        if (overlap >= bestOverlap) {
          best = previous;
          bestOverlap = overlap;
        }
      }
      return best && elapsed < 1000 ? { box, vx: (box.x - best.box.x) / elapsed, vy: (box.y - best.box.y) / elapsed } : { box, vx: 0, vy: 0 };
    });
    this.detectedAt = atMs;
  }

  /** Where the faces are at `nowMs`. */
  at(nowMs: number): FaceBox[] {
    const dt = Math.min(MAX_EXTRAPOLATION_MS, Math.max(0, nowMs - this.detectedAt));
    return this.faces.map(({ box, vx, vy }) => ({ ...box, x: box.x + vx * dt, y: box.y + vy * dt }));
  }

  clear(): void {
    this.faces = [];
  }
}
