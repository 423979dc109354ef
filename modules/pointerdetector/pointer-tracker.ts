/**
 * Kurento's pointer detector (its `kmspointerdetector` module), on 4:2:0 pictures: the colour
 * to follow is learnt from the calibration region (`trackColorFromCalibrationRegion`: the
 * region's mean hue, saturation and value in OpenCV's scales, with margins), the pointer is the
 * centre of the pixels of that colour (at chroma resolution) when there are enough of them (and
 * not so many that they are a background), and
 * each window reports the pointer entering (`WindowIn`) and leaving (`WindowOut`) it.
 */
import { hsv } from '../chroma/chroma-key.js';
import type { Planes } from '../chroma/chroma-key.js';

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface ColourRange {
  readonly hue: [number, number];
  readonly saturation: [number, number];
  readonly value: [number, number];
}

/** Fewer matching chroma samples than this is no pointer (noise). */
const MIN_SAMPLES = 12;
/** More than this share of the picture in the colour is a background, not a pointer. */
const MAX_SHARE = 0.25;
const HUE_MARGIN = 10;

/** The colour of a region: its mean hue (circular), saturation and value, widened by margins. */
export function colourOf(p: Planes, region: Rect): ColourRange | undefined {
  let sin = 0;
  let cos = 0;
  let s = 0;
  let v = 0;
  let n = 0;
  for (let cy = Math.max(0, region.y >> 1); cy < Math.min(p.height >> 1, (region.y + region.height) >> 1); cy++) {
    for (let cx = Math.max(0, region.x >> 1); cx < Math.min(p.width >> 1, (region.x + region.width) >> 1); cx++) {
      const [h, sat, val] = hsv(p.y[cy * 2 * p.yStride + cx * 2]!, p.u[cy * p.uvStride + cx]!, p.v[cy * p.uvStride + cx]!);
      sin += Math.sin((h * Math.PI) / 90);
      cos += Math.cos((h * Math.PI) / 90);
      s += sat;
      v += val;
      n++;
    }
  }
  if (n === 0) return undefined;
  const hue = ((Math.atan2(sin, cos) * 90) / Math.PI + 180) % 180;
  const sat = s / n;
  const val = v / n;
  return { hue: [hue - HUE_MARGIN, hue + HUE_MARGIN], saturation: [Math.max(0, sat * 0.6), 255], value: [Math.max(0, val * 0.5), 255] };
}

function hueIn(h: number, [low, high]: [number, number]): boolean {
  if (low < 0) return h >= low + 180 || h <= high;
  if (high >= 180) return h >= low || h <= high - 180;
  return h >= low && h <= high;
}

/** Where the pointer is (picture pixels), or undefined. */
export function findPointer(p: Planes, colour: ColourRange): { x: number; y: number } | undefined {
  let sx = 0;
  let sy = 0;
  let n = 0;
  const cw = p.width >> 1;
  const ch = p.height >> 1;
  for (let cy = 0; cy < ch; cy++) {
    for (let cx = 0; cx < cw; cx++) {
      const [h, s, v] = hsv(p.y[cy * 2 * p.yStride + cx * 2]!, p.u[cy * p.uvStride + cx]!, p.v[cy * p.uvStride + cx]!);
      if (s < colour.saturation[0] || v < colour.value[0] || !hueIn(h, colour.hue)) continue;
      sx += cx;
      sy += cy;
      n++;
    }
  }
  return n >= MIN_SAMPLES && n <= cw * ch * MAX_SHARE ? { x: (sx / n) * 2 + 1, y: (sy / n) * 2 + 1 } : undefined;
}

export function contains(r: Rect, point: { x: number; y: number }): boolean {
  return point.x >= r.x && point.x < r.x + r.width && point.y >= r.y && point.y < r.y + r.height;
}
