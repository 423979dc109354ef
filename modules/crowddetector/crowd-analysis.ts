/**
 * Kurento's crowd detector (its `kmscrowddetector` module), in plain TypeScript on the luma plane
 * scaled to the processing width: per region of interest (a polygon in fractions of the picture),
 *
 *   - occupancy: the share of the region that differs from a slowly learnt background (people
 *     standing count as long as they have not become background);
 *   - fluidity: the share of the occupied part that moved since the previous frame (a moving
 *     crowd is fluid, a jam is not);
 *   - direction: the mean motion of the region's moving blocks (block matching between
 *     consecutive frames), as an angle in degrees: 0 is rightwards, 90 upwards (counter-clockwise,
 *     y up), plus the region's angle offset.
 *
 * Each measure becomes a level (0–3) against the region's min/med/max thresholds; a level is
 * reported once it held for the region's number of frames, as KMS does.
 */

export interface RelativePoint {
  readonly x: number;
  readonly y: number;
}

export interface RoiConfig {
  readonly occupancyLevelMin: number;
  readonly occupancyLevelMed: number;
  readonly occupancyLevelMax: number;
  readonly occupancyNumFramesToEvent: number;
  readonly fluidityLevelMin: number;
  readonly fluidityLevelMed: number;
  readonly fluidityLevelMax: number;
  readonly fluidityNumFramesToEvent: number;
  readonly sendOpticalFlowEvent: boolean;
  readonly opticalFlowNumFramesToEvent: number;
  readonly opticalFlowNumFramesToReset: number;
  readonly opticalFlowAngleOffset: number;
}

export interface Roi {
  readonly id: string;
  readonly points: readonly RelativePoint[];
  readonly config: RoiConfig;
}

export type CrowdEvent =
  | { type: 'CrowdDetectorOccupancy'; roiId: string; occupancyPercentage: number; occupancyLevel: number }
  | { type: 'CrowdDetectorFluidity'; roiId: string; fluidityPercentage: number; fluidityLevel: number }
  | { type: 'CrowdDetectorDirection'; roiId: string; directionAngle: number };

const BACKGROUND_RATE = 1 / 64;
const DIFFERENCE = 24;
const BLOCK = 8;
const SEARCH = 4;

function level(percentage: number, min: number, med: number, max: number): number {
  if (percentage < min) return 0;
  if (percentage < med) return 1;
  if (percentage < max) return 2;
  return 3;
}

/** A level that must hold for some frames before it counts. */
class SteadyLevel {
  private candidate = -1;
  private count = 0;
  private reported = 0;

  /** The level to report now, or undefined. */
  next(value: number, frames: number): number | undefined {
    if (value !== this.candidate) {
      this.candidate = value;
      this.count = 0;
    }
    if (++this.count < frames || value === this.reported) return undefined;
    this.reported = value;
    return value;
  }
}

function insidePolygon(points: readonly RelativePoint[], x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    const a = points[i]!;
    const b = points[j]!;
    if (a.y > y !== b.y > y && x < ((b.x - a.x) * (y - a.y)) / (b.y - a.y) + a.x) inside = !inside;
  }
  return inside;
}

interface RoiState {
  readonly roi: Roi;
  mask: Uint8Array;
  readonly occupancy: SteadyLevel;
  readonly fluidity: SteadyLevel;
  movingFrames: number;
  stillFrames: number;
  angleSin: number;
  angleCos: number;
}

export class CrowdAnalysis {
  private width = 0;
  private height = 0;
  private background = new Float32Array(0);
  private previous = new Uint8Array(0);
  private readonly states: RoiState[];

  constructor(rois: readonly Roi[]) {
    this.states = rois.map((roi) => ({ roi, mask: new Uint8Array(0), occupancy: new SteadyLevel(), fluidity: new SteadyLevel(), movingFrames: 0, stillFrames: 0, angleSin: 0, angleCos: 0 }));
  }

  /** One picture (luma at processing size); returns the events it causes. */
  push(luma: Uint8Array, width: number, height: number): CrowdEvent[] {
    if (width !== this.width || height !== this.height) {
      this.width = width;
      this.height = height;
      this.background = Float32Array.from(luma);
      this.previous = luma.slice();
      for (const s of this.states) s.mask = this.maskOf(s.roi.points);
      return [];
    }
    const events: CrowdEvent[] = [];
    for (const state of this.states) events.push(...this.analyse(state, luma));
    for (let i = 0; i < luma.length; i++) this.background[i]! += (luma[i]! - this.background[i]!) * BACKGROUND_RATE;
    this.previous = luma.slice();
    return events;
  }

  private maskOf(points: readonly RelativePoint[]): Uint8Array {
    const mask = new Uint8Array(this.width * this.height);
    for (let y = 0; y < this.height; y++) for (let x = 0; x < this.width; x++) mask[y * this.width + x] = insidePolygon(points, (x + 0.5) / this.width, (y + 0.5) / this.height) ? 1 : 0;
    return mask;
  }

  private analyse(state: RoiState, luma: Uint8Array): CrowdEvent[] {
    const { roi, mask } = state;
    const c = roi.config;
    let area = 0;
    let occupied = 0;
    let moving = 0;
    for (let i = 0; i < luma.length; i++) {
      if (mask[i] === 0) continue;
      area++;
      if (Math.abs(luma[i]! - this.background[i]!) > DIFFERENCE) {
        occupied++;
        if (Math.abs(luma[i]! - this.previous[i]!) > DIFFERENCE) moving++;
      }
    }
    if (area === 0) return [];
    const events: CrowdEvent[] = [];
    const occupancyPercentage = (100 * occupied) / area;
    const occupancyLevel = state.occupancy.next(level(occupancyPercentage, c.occupancyLevelMin, c.occupancyLevelMed, c.occupancyLevelMax), c.occupancyNumFramesToEvent);
    if (occupancyLevel !== undefined) events.push({ type: 'CrowdDetectorOccupancy', roiId: roi.id, occupancyPercentage, occupancyLevel });
    const fluidityPercentage = occupied === 0 ? 0 : (100 * moving) / occupied;
    const fluidityLevel = state.fluidity.next(level(fluidityPercentage, c.fluidityLevelMin, c.fluidityLevelMed, c.fluidityLevelMax), c.fluidityNumFramesToEvent);
    if (fluidityLevel !== undefined) events.push({ type: 'CrowdDetectorFluidity', roiId: roi.id, fluidityPercentage, fluidityLevel });
    if (c.sendOpticalFlowEvent) {
      const motion = this.meanMotion(mask, luma);
      if (motion) {
        state.stillFrames = 0;
        state.movingFrames++;
        state.angleSin += Math.sin(motion);
        state.angleCos += Math.cos(motion);
        if (state.movingFrames >= c.opticalFlowNumFramesToEvent) {
          const degrees = (Math.atan2(state.angleSin, state.angleCos) * 180) / Math.PI;
          events.push({ type: 'CrowdDetectorDirection', roiId: roi.id, directionAngle: (((degrees + c.opticalFlowAngleOffset) % 360) + 360) % 360 });
          state.movingFrames = 0;
          state.angleSin = 0;
          state.angleCos = 0;
        }
      } else if (++state.stillFrames >= c.opticalFlowNumFramesToReset) {
        state.movingFrames = 0;
        state.angleSin = 0;
        state.angleCos = 0;
      }
    }
    return events;
  }

  /** The mean direction (radians, y up) of the region's blocks that moved, or undefined. */
  private meanMotion(mask: Uint8Array, luma: Uint8Array): number | undefined {
    const w = this.width;
    let dxSum = 0;
    let dySum = 0;
    let blocks = 0;
    for (let by = SEARCH; by + BLOCK + SEARCH <= this.height; by += BLOCK) {
      for (let bx = SEARCH; bx + BLOCK + SEARCH <= w; bx += BLOCK) {
        if (mask[(by + BLOCK / 2) * w + bx + BLOCK / 2] === 0) continue;
        // Where did the block of the current picture come from in the previous one?
        let still = 0;
        for (let y = 0; y < BLOCK; y++) for (let x = 0; x < BLOCK; x++) still += Math.abs(luma[(by + y) * w + bx + x]! - this.previous[(by + y) * w + bx + x]!);
        if (still < BLOCK * BLOCK * 8) continue;
        let best = still;
        let bestDx = 0;
        let bestDy = 0;
        for (let dy = -SEARCH; dy <= SEARCH; dy++) {
          for (let dx = -SEARCH; dx <= SEARCH; dx++) {
            let sad = 0;
            for (let y = 0; y < BLOCK && sad <= best; y++) for (let x = 0; x < BLOCK; x++) sad += Math.abs(luma[(by + y) * w + bx + x]! - this.previous[(by + y - dy) * w + bx + x - dx]!);
            // Ties (an edge that slides along itself matches at many places) go to the smallest move.
            if (sad < best || (sad === best && dx * dx + dy * dy < bestDx * bestDx + bestDy * bestDy)) {
              best = sad;
              bestDx = dx;
              bestDy = dy;
            }
          }
        }
        // A match no better than staying put is no motion worth counting.
        if ((bestDx === 0 && bestDy === 0) || best > still / 2) continue;
        dxSum += bestDx;
        dySum += bestDy;
        blocks++;
      }
    }
    return blocks > 0 && (dxSum !== 0 || dySum !== 0) ? Math.atan2(-dySum, dxSum) : undefined;
  }
}
