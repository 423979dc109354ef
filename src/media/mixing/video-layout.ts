/**
 * Where each input picture goes on a mixer's canvas, and the FFmpeg filter graph that puts it
 * there: the grid of a Composite (`xstack`, each input scaled into its cell, keeping its shape)
 * and the layers of an AlphaBlending (`overlay`, each input scaled to its rectangle, in z order).
 *
 * A plan is pure data with a `key`: the compositor builds a new graph only when the key changes
 * (an input joined or left, changed picture size, the layout moved), never per frame.
 */
import { ffmpegColor, type Rgb } from './frames.js';

export interface PictureSize {
  readonly width: number;
  readonly height: number;
}

/** A filter graph for the compositor: `[in<i>]` labels are the inputs, `[out]` the picture. */
export interface CompositionPlan {
  /** Identifies the graph: the same key, the same graph. */
  readonly key: string;
  readonly description: string;
  /** Input ids, in label order (`in0` is `inputs[0]`); `BACKGROUND` for the canvas colour. */
  readonly inputs: readonly string[];
  /** Size and colour of the background picture, when an input is `BACKGROUND`. */
  readonly background?: { readonly width: number; readonly height: number; readonly color: Rgb };
}

/** The input standing for the canvas itself (a picture of the background colour). */
export const BACKGROUND = '\u0000background';

/** A rectangle of the canvas, in pixels. */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface Canvas {
  readonly width: number;
  readonly height: number;
  readonly background: Rgb;
}

/** YUV 4:2:0 pictures have even sizes and positions. */
const even = (n: number): number => Math.max(0, Math.floor(n / 2) * 2);
const evenSize = (n: number): number => Math.max(2, even(n));
/** A position that may be negative (a layer reaching past the canvas's top or left edge). */
const evenPosition = (n: number): number => Math.floor(n / 2) * 2;

/** Scaling flags of every graph: bilinear, as cheap as it gets without visible artefacts. */
const SCALE_FLAGS = 'flags=bilinear';

/**
 * KMS's grid: `ceil(sqrt(n))` columns, `ceil(n / columns)` rows, the inputs in order row by row.
 * Cells share the canvas exactly (their widths differ by at most two pixels).
 */
export function gridCells(count: number, canvas: PictureSize): Rect[] {
  if (count === 0) return [];
  const columns = Math.ceil(Math.sqrt(count));
  const rows = Math.ceil(count / columns);
  const cells: Rect[] = [];
  for (let i = 0; i < count; i++) {
    const column = i % columns;
    const row = Math.floor(i / columns);
    const x = even((column * canvas.width) / columns);
    const y = even((row * canvas.height) / rows);
    const right = column === columns - 1 ? canvas.width : even(((column + 1) * canvas.width) / columns);
    const bottom = row === rows - 1 ? canvas.height : even(((row + 1) * canvas.height) / rows);
    cells.push({ x, y, width: right - x, height: bottom - y });
  }
  return cells;
}

/** The largest size with `input`'s shape that fits in `cell`. */
export function fitInside(input: PictureSize, cell: PictureSize): PictureSize {
  const scale = Math.min(cell.width / input.width, cell.height / input.height);
  return { width: Math.min(cell.width, evenSize(input.width * scale)), height: Math.min(cell.height, evenSize(input.height * scale)) };
}

/** The grid of `inputs` (ids with their picture sizes, in grid order) on `canvas`. */
export function gridPlan(inputs: ReadonlyArray<readonly [string, PictureSize]>, canvas: Canvas): CompositionPlan | undefined {
  if (inputs.length === 0) return undefined;
  const cells = gridCells(inputs.length, canvas);
  const color = ffmpegColor(canvas.background);
  const chains: string[] = [];
  const layout: string[] = [];
  inputs.forEach(([, size], i) => {
    const cell = cells[i]!;
    const fitted = fitInside(size, cell);
    let chain = `[in${i}]scale=${fitted.width}:${fitted.height}:${SCALE_FLAGS},format=yuv420p`;
    if (fitted.width !== cell.width || fitted.height !== cell.height) {
      chain += `,pad=${cell.width}:${cell.height}:${even((cell.width - fitted.width) / 2)}:${even((cell.height - fitted.height) / 2)}:color=${color}`;
    }
    chains.push(`${chain},setsar=1[c${i}]`);
    layout.push(`${cell.x}_${cell.y}`);
  });
  const description =
    inputs.length === 1
      ? chains[0]!.replace(/\[c0\]$/, '[out]')
      : `${chains.join(';')};${inputs.map((_, i) => `[c${i}]`).join('')}xstack=inputs=${inputs.length}:layout=${layout.join('|')}:fill=${color}[out]`;
  const key = `grid ${canvas.width}x${canvas.height} ${color} ${inputs.map(([id, s]) => `${id}:${s.width}x${s.height}`).join(' ')}`;
  return { key, description, inputs: inputs.map(([id]) => id) };
}

/** One layer of a blend: an input drawn at `rect` (which may reach past the canvas), `z` high on top. */
export interface Layer {
  readonly id: string;
  readonly rect: Rect;
  readonly z: number;
}

/**
 * Layers drawn in z order (ties keep the given order) over the background, each input stretched
 * to its rectangle; what falls outside the canvas is cut off.
 */
export function blendPlan(layers: readonly Layer[], canvas: Canvas): CompositionPlan | undefined {
  if (layers.length === 0) return undefined;
  const ordered = layers.map((layer, order) => ({ layer, order })).sort((a, b) => a.layer.z - b.layer.z || a.order - b.order).map((e) => e.layer);
  const color = ffmpegColor(canvas.background);
  const first = ordered[0]!;
  // A lowest layer that is exactly the canvas is the canvas: no background picture to draw under it.
  const baseIsInput = first.rect.x === 0 && first.rect.y === 0 && first.rect.width === canvas.width && first.rect.height === canvas.height;
  const inputs = baseIsInput ? [] : [BACKGROUND];
  const chains: string[] = [];
  let base = '[in0]';
  if (baseIsInput) {
    inputs.push(first.id);
    chains.push(`[in0]scale=${canvas.width}:${canvas.height}:${SCALE_FLAGS},format=yuv420p,setsar=1[base]`);
    base = '[base]';
  }
  const drawn = baseIsInput ? ordered.slice(1) : ordered;
  drawn.forEach((layer, i) => {
    const label = inputs.length;
    inputs.push(layer.id);
    const r = layer.rect;
    chains.push(`[in${label}]scale=${evenSize(r.width)}:${evenSize(r.height)}:${SCALE_FLAGS},format=yuv420p,setsar=1[s${i}]`);
    const out = i === drawn.length - 1 ? '[out]' : `[o${i}]`;
    chains.push(`${base}[s${i}]overlay=x=${evenPosition(r.x)}:y=${evenPosition(r.y)}:eof_action=repeat${out}`);
    base = `[o${i}]`;
  });
  if (drawn.length === 0) chains[chains.length - 1] = chains[chains.length - 1]!.replace(/\[base\]$/, '[out]');
  const key = `blend ${canvas.width}x${canvas.height} ${color} ${ordered.map((l) => `${l.id}@${l.rect.x},${l.rect.y},${l.rect.width}x${l.rect.height}`).join(' ')}`;
  return {
    key,
    description: chains.join(';'),
    inputs,
    ...(baseIsInput ? {} : { background: { width: canvas.width, height: canvas.height, color: canvas.background } }),
  };
}
