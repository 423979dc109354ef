/**
 * AlphaBlending: pictures layered over a master picture (picture-in-picture). `setMaster(port,
 * zOrder)` makes a port's picture the canvas — its size is the output's — drawn at `zOrder`;
 * `setPortProperties(relativeX, relativeY, zOrder, relativeWidth, relativeHeight, port)` places
 * another port's picture on it, in fractions of the canvas (it may reach past the edges, which
 * cut it off), the highest `zOrder` on top. A port without properties covers the whole canvas at
 * z 1, as in KMS. Every port receives the blended picture (encoded once per format for all) and
 * the sound of everyone but itself.
 *
 * Changes apply live: the new layout's graph is built beside the running one and takes over
 * with its first picture, so the output never stops.
 */
import { KurentoError } from '../errors.js';
import { blendPlan, type CompositionPlan, type Layer, type PictureSize } from '../media/mixing/video-layout.js';
import type { HubPortImpl } from './hub-port.js';
import type { ObjectInit, Params } from './media-object.js';
import { MixingHub } from './mixing-hub.js';

/** Canvas size until the master has a picture. */
const DEFAULT_CANVAS: PictureSize = { width: 640, height: 480 };
/** The frame rate of KMS's blend. */
const FRAME_RATE = 15;

interface Placement {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly z: number;
}

function relative(value: unknown, name: string, positive: boolean): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || (positive && value <= 0)) {
    throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `${name} must be a ${positive ? 'positive ' : ''}number, not ${String(value)}`);
  }
  return value;
}

export class AlphaBlendingImpl extends MixingHub {
  private master: { port: HubPortImpl; z: number } | undefined;
  private readonly placements = new Map<HubPortImpl, Placement>();

  constructor(init: ObjectInit) {
    super(init, FRAME_RATE);
  }

  setMaster(params: Params): null {
    this.master = { port: this.portNamed(params.source), z: Number(params.zOrder) };
    return null;
  }

  setPortProperties(params: Params): null {
    const port = this.portNamed(params.port);
    this.placements.set(port, {
      x: relative(params.relativeX, 'relativeX', false),
      y: relative(params.relativeY, 'relativeY', false),
      width: relative(params.relativeWidth, 'relativeWidth', true),
      height: relative(params.relativeHeight, 'relativeHeight', true),
      z: Number(params.zOrder),
    });
    return null;
  }

  override detachPort(port: HubPortImpl): void {
    this.placements.delete(port);
    if (this.master?.port === port) this.master = undefined;
    super.detachPort(port);
  }

  protected override planPicture(inputs: ReadonlyMap<string, PictureSize>): CompositionPlan | undefined {
    const canvas = (this.master && inputs.get(this.master.port.id)) ?? DEFAULT_CANVAS;
    const layers: Layer[] = this.portsWithPicture(inputs).map(([port]) => {
      if (port === this.master?.port) return { id: port.id, rect: { x: 0, y: 0, width: canvas.width, height: canvas.height }, z: this.master.z };
      const p = this.placements.get(port);
      if (!p) return { id: port.id, rect: { x: 0, y: 0, width: canvas.width, height: canvas.height }, z: 1 };
      return {
        id: port.id,
        rect: { x: Math.round(p.x * canvas.width), y: Math.round(p.y * canvas.height), width: Math.round(p.width * canvas.width), height: Math.round(p.height * canvas.height) },
        z: p.z,
      };
    });
    return blendPlan(layers, { width: canvas.width & ~1, height: canvas.height & ~1, background: [0, 0, 0] });
  }
}
