/**
 * Kurento's chroma keying (its `kmschroma` module), on 4:2:0 pictures: calibration learns the
 * key colour from a window of the picture over its first frames — histograms of hue and
 * saturation in OpenCV's HSV scales (H 0–179, S and V 0–255), keeping the span of the values
 * seen often enough — and from then on every pixel whose hue and saturation fall in the span,
 * with a value of at least 30, is background. The mask is worked at chroma resolution (one
 * decision per 2x2 pixels) and cleaned with a 3x3 closing then opening, as KMS does.
 */

export const CALIBRATION_FRAMES = 60;
/** A histogram bin counts when it holds this share of the samples (KMS: 600 of its window's). */
const BIN_SHARE = 0.001;
const MIN_VALUE = 30;

export interface Window {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface Planes {
  readonly width: number;
  readonly height: number;
  readonly y: Uint8Array;
  readonly u: Uint8Array;
  readonly v: Uint8Array;
  readonly yStride: number;
  readonly uvStride: number;
}

/** OpenCV's 8-bit HSV of a BT.601 Y'CbCr sample: h 0–179, s and v 0–255. */
export function hsv(y: number, cb: number, cr: number): [number, number, number] {
  const c = y - 16;
  const d = cb - 128;
  const e = cr - 128;
  const r = Math.max(0, Math.min(255, 1.164 * c + 1.596 * e));
  const g = Math.max(0, Math.min(255, 1.164 * c - 0.392 * d - 0.813 * e));
  const b = Math.max(0, Math.min(255, 1.164 * c + 2.017 * d));
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const delta = max - min;
  const s = max === 0 ? 0 : (255 * delta) / max;
  let h = 0;
  if (delta > 0) {
    if (max === r) h = (60 * (g - b)) / delta;
    else if (max === g) h = 120 + (60 * (b - r)) / delta;
    else h = 240 + (60 * (r - g)) / delta;
    if (h < 0) h += 360;
  }
  return [Math.round(h / 2) % 180, Math.round(s), Math.round(max)];
}

export class ChromaKey {
  private readonly hueHistogram = new Uint32Array(180);
  private readonly saturationHistogram = new Uint32Array(256);
  private samples = 0;
  private framesSeen = 0;
  private hueRange: [number, number] | undefined;
  private saturationRange: [number, number] | undefined;
  private mask = new Uint8Array(0);
  private scratch = new Uint8Array(0);

  constructor(private readonly window: Window) {}

  get calibrated(): boolean {
    return this.hueRange !== undefined;
  }

  /** The key colour's span once calibrated (for tests and statistics). */
  get ranges(): { hue: [number, number]; saturation: [number, number] } | undefined {
    return this.hueRange && this.saturationRange ? { hue: this.hueRange, saturation: this.saturationRange } : undefined;
  }

  /** Learns from one frame's window; after CALIBRATION_FRAMES the key is set. */
  calibrate(p: Planes): void {
    if (this.calibrated) return;
    const x0 = Math.max(0, this.window.x >> 1);
    const y0 = Math.max(0, this.window.y >> 1);
    const x1 = Math.min(p.width >> 1, (this.window.x + this.window.width) >> 1);
    const y1 = Math.min(p.height >> 1, (this.window.y + this.window.height) >> 1);
    for (let cy = y0; cy < y1; cy++) {
      for (let cx = x0; cx < x1; cx++) {
        const [h, s] = hsv(p.y[cy * 2 * p.yStride + cx * 2]!, p.u[cy * p.uvStride + cx]!, p.v[cy * p.uvStride + cx]!);
        this.hueHistogram[h]!++;
        this.saturationHistogram[s]!++;
        this.samples++;
      }
    }
    if (++this.framesSeen >= CALIBRATION_FRAMES && this.samples > 0) {
      const threshold = Math.max(1, this.samples * BIN_SHARE);
      this.hueRange = span(this.hueHistogram, threshold);
      this.saturationRange = span(this.saturationHistogram, threshold);
    }
  }

  /**
   * The background mask of a picture at chroma resolution ((w/2)x(h/2), 1 = background), or
   * undefined before calibration ended.
   */
  maskOf(p: Planes): Uint8Array | undefined {
    const hue = this.hueRange;
    const sat = this.saturationRange;
    if (!hue || !sat) return undefined;
    const cw = p.width >> 1;
    const ch = p.height >> 1;
    if (this.mask.length !== cw * ch) {
      this.mask = new Uint8Array(cw * ch);
      this.scratch = new Uint8Array(cw * ch);
    }
    const mask = this.mask;
    for (let cy = 0; cy < ch; cy++) {
      for (let cx = 0; cx < cw; cx++) {
        const [h, s, v] = hsv(p.y[cy * 2 * p.yStride + cx * 2]!, p.u[cy * p.uvStride + cx]!, p.v[cy * p.uvStride + cx]!);
        mask[cy * cw + cx] = h >= hue[0] && h <= hue[1] && s >= sat[0] && s <= sat[1] && v >= MIN_VALUE ? 1 : 0;
      }
    }
    // Closing fills pinholes in the background, opening removes specks in the subject.
    morph(mask, this.scratch, cw, ch, 'dilate');
    morph(this.scratch, mask, cw, ch, 'erode');
    morph(mask, this.scratch, cw, ch, 'erode');
    morph(this.scratch, mask, cw, ch, 'dilate');
    return mask;
  }
}

/** The first and last bins holding at least `threshold` samples. */
function span(histogram: Uint32Array, threshold: number): [number, number] {
  let low = -1;
  let high = -1;
  for (let i = 0; i < histogram.length; i++) {
    if (histogram[i]! >= threshold) {
      if (low < 0) low = i;
      high = i;
    }
  }
  return low < 0 ? [1, 0] : [low, high];
}

/** 3x3 dilation or erosion of a 0/1 mask. */
function morph(src: Uint8Array, dst: Uint8Array, w: number, h: number, op: 'dilate' | 'erode'): void {
  const want = op === 'dilate' ? 1 : 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let hit = false;
      for (let dy = -1; dy <= 1 && !hit; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx >= 0 && xx < w && src[yy * w + xx] === want) {
            hit = true;
            break;
          }
        }
      }
      dst[y * w + x] = hit ? want : 1 - want;
    }
  }
}
