/**
 * Pictures as filters draw on them: the Y, U and V planes of a 4:2:0 frame, a writable copy of
 * a decoded frame (decoded frames are shared with every other consumer of the source, so a
 * filter never draws on the one it is given), and alpha blending of an image with transparency.
 * Plain loops over bytes: drawing a 200x200 image costs well under a millisecond.
 */
import { AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUVJ420P, type Frame } from 'node-av';

/** The planes of a 4:2:0 picture; strides may exceed the width. */
export interface YuvPlanes {
  readonly width: number;
  readonly height: number;
  readonly y: Buffer;
  readonly u: Buffer;
  readonly v: Buffer;
  readonly yStride: number;
  readonly uvStride: number;
}

/** An image ready to blend: 4:2:0 planes with a full-resolution alpha plane, tightly packed. */
export interface OverlayImage {
  readonly width: number;
  readonly height: number;
  readonly y: Uint8Array;
  /** (width+1)>>1 by (height+1)>>1. */
  readonly u: Uint8Array;
  readonly v: Uint8Array;
  /** width by height, 0 transparent .. 255 opaque. */
  readonly a: Uint8Array;
}

export function isYuv420p(frame: Frame): boolean {
  return frame.format === AV_PIX_FMT_YUV420P || frame.format === AV_PIX_FMT_YUVJ420P;
}

/** A copy of a frame that may be drawn on (the picture is copied; the caller frees the copy). */
export function writableCopy(frame: Frame): Frame {
  const copy = frame.clone();
  if (!copy) throw new Error('cannot copy the frame');
  const ret = copy.makeWritable();
  if (ret < 0) {
    copy.free();
    throw new Error(`cannot make the frame writable (${ret})`);
  }
  return copy;
}

/** The planes of a 4:2:0 frame (views: writing to them changes the frame). */
export function yuvPlanes(frame: Frame): YuvPlanes {
  if (!isYuv420p(frame)) throw new Error(`the picture is not 4:2:0 (pixel format ${frame.format})`);
  const data = frame.data;
  const strides = frame.linesize;
  if (!data || data.length < 3) throw new Error('the frame has no picture');
  return { width: frame.width, height: frame.height, y: data[0]!, u: data[1]!, v: data[2]!, yStride: strides[0]!, uvStride: strides[1]! };
}

/**
 * Draws `image` with its top-left corner at (x, y) of the picture, blending by its alpha; parts
 * outside the picture are clipped.
 */
export function blendImage(target: YuvPlanes, image: OverlayImage, x: number, y: number): void {
  x = Math.round(x) & ~1;
  y = Math.round(y) & ~1;
  const x0 = Math.max(0, x);
  const y0 = Math.max(0, y);
  const x1 = Math.min(target.width, x + image.width);
  const y1 = Math.min(target.height, y + image.height);
  if (x1 <= x0 || y1 <= y0) return;
  const { a } = image;
  for (let py = y0; py < y1; py++) {
    const row = (py - y) * image.width - x;
    const out = py * target.yStride;
    for (let px = x0; px < x1; px++) {
      const alpha = a[row + px]!;
      if (alpha === 0) continue;
      const i = out + px;
      target.y[i] = alpha === 255 ? image.y[row + px]! : (image.y[row + px]! * alpha + target.y[i]! * (255 - alpha) + 127) / 255;
    }
  }
  const imageChromaWidth = (image.width + 1) >> 1;
  for (let cy = y0 >> 1; cy < (y1 + 1) >> 1; cy++) {
    const iy = cy - (y >> 1);
    const out = cy * target.uvStride;
    for (let cx = x0 >> 1; cx < (x1 + 1) >> 1; cx++) {
      const ix = cx - (x >> 1);
      const alpha = a[Math.min(image.height - 1, iy * 2) * image.width + Math.min(image.width - 1, ix * 2)]!;
      if (alpha === 0) continue;
      const j = iy * imageChromaWidth + ix;
      const i = out + cx;
      target.u[i] = (image.u[j]! * alpha + target.u[i]! * (255 - alpha) + 127) / 255;
      target.v[i] = (image.v[j]! * alpha + target.v[i]! * (255 - alpha) + 127) / 255;
    }
  }
}

/** A plane copied into a tight width×height array (rows without their stride padding). */
export function packPlane(plane: Uint8Array, stride: number, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let row = 0; row < height; row++) out.set(plane.subarray(row * stride, row * stride + width), row * width);
  return out;
}

/** The luma plane as a tight width×height buffer (what detectors and scanners read). */
export function lumaOf(planes: YuvPlanes): Uint8Array {
  if (planes.yStride === planes.width) return planes.y.subarray(0, planes.width * planes.height);
  return packPlane(planes.y, planes.yStride, planes.width, planes.height);
}
