/**
 * Finding a number plate in a picture, in the spirit of Kurento's plate detector (whose OpenCV
 * morphology looks for a bright, wide rectangle holding dark characters): the luma plane at half
 * size is thresholded, bright connected regions are labelled, and those shaped like a plate —
 * 2 to 7 times wider than tall, mostly bright, wide enough for the plate width the application
 * expects — are candidates, widest first. The OCR then reads the candidate's pixels.
 */

export interface PlateCandidate {
  /** In picture pixels. */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

const BRIGHT = 160;
const MIN_FILL = 0.45;

/** Plate-shaped bright regions of a luma plane, widest first. */
export function findPlates(y: Uint8Array | Buffer, stride: number, width: number, height: number, minWidthFraction: number): PlateCandidate[] {
  const w = width >> 1;
  const h = height >> 1;
  const labels = new Int32Array(w * h).fill(-1);
  const bright = (i: number): boolean => y[((i / w) | 0) * 2 * stride + (i % w) * 2]! >= BRIGHT;
  const stack: number[] = [];
  const found: PlateCandidate[] = [];
  let next = 0;
  for (let start = 0; start < w * h; start++) {
    if (labels[start] !== -1 || !bright(start)) continue;
    let minX = w;
    let minY = h;
    let maxX = 0;
    let maxY = 0;
    let count = 0;
    labels[start] = next;
    stack.push(start);
    while (stack.length > 0) {
      const i = stack.pop()!;
      const px = i % w;
      const py = (i / w) | 0;
      count++;
      if (px < minX) minX = px;
      if (px > maxX) maxX = px;
      if (py < minY) minY = py;
      if (py > maxY) maxY = py;
      for (const n of [px > 0 ? i - 1 : -1, px < w - 1 ? i + 1 : -1, py > 0 ? i - w : -1, py < h - 1 ? i + w : -1]) {
        if (n >= 0 && labels[n] === -1 && bright(n)) {
          labels[n] = next;
          stack.push(n);
        }
      }
    }
    next++;
    const bw = maxX - minX + 1;
    const bh = maxY - minY + 1;
    const aspect = bw / bh;
    if (aspect < 2 || aspect > 7 || bw * 2 < minWidthFraction * width || bh < 6) continue;
    if (count / (bw * bh) < MIN_FILL) continue;
    found.push({ x: minX * 2, y: minY * 2, width: bw * 2, height: bh * 2 });
  }
  return found.sort((a, b) => b.width - a.width);
}

/** A PGM image (which Tesseract's image library reads) of a region of the luma plane. */
export function pgmOf(y: Uint8Array | Buffer, stride: number, region: PlateCandidate): Buffer {
  const header = Buffer.from(`P5\n${region.width} ${region.height}\n255\n`, 'ascii');
  const pixels = Buffer.alloc(region.width * region.height);
  for (let row = 0; row < region.height; row++) {
    const from = (region.y + row) * stride + region.x;
    pixels.set(y.subarray(from, from + region.width), row * region.width);
  }
  return Buffer.concat([header, pixels]);
}
