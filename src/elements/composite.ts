/**
 * Composite: the MCU. Every port receives one grid of all participants' pictures — KMS's layout:
 * `ceil(sqrt(n))` columns, participants in the order their ports were created, each picture
 * scaled into its cell keeping its shape — on a canvas of 800x600 at 15 frames a second by
 * default, and the sound of everyone but itself. The grid is encoded once per output format and
 * shared by every port that takes it (KMS encodes it once per port).
 *
 * Our own properties, beside KMS's constructor parameters: `width`, `height` and `framerate` can
 * change while it runs, and `background` is the colour of the canvas where no picture is
 * (`#rrggbb`, black by default).
 */
import { KurentoError } from '../errors.js';
import { parseColor, type Rgb } from '../media/mixing/frames.js';
import { gridPlan, type CompositionPlan, type PictureSize } from '../media/mixing/video-layout.js';
import type { ObjectInit, Params } from './media-object.js';
import { MixingHub } from './mixing-hub.js';

const MAX_SIZE = 4096;
const MAX_FRAME_RATE = 60;

/** A canvas side: at least 16 pixels, even (pictures are YUV 4:2:0). */
function canvasSide(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 16 || value > MAX_SIZE) {
    throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `Composite ${name} must be an integer from 16 to ${MAX_SIZE}, not ${String(value)}`);
  }
  return value & ~1;
}

function frameRate(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_FRAME_RATE) {
    throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `Composite framerate must be an integer from 1 to ${MAX_FRAME_RATE}, not ${String(value)}`);
  }
  return value;
}

export class CompositeImpl extends MixingHub {
  private width: number;
  private height: number;
  private framerate: number;
  private background: Rgb = [0, 0, 0];
  private backgroundText = '#000000';

  constructor(init: ObjectInit) {
    const fps = frameRate(init.params.framerate ?? 15);
    super(init, fps);
    this.framerate = fps;
    this.width = canvasSide(init.params.width ?? 800, 'width');
    this.height = canvasSide(init.params.height ?? 600, 'height');
  }

  getWidth(): number {
    return this.width;
  }

  setWidth(params: Params): null {
    this.width = canvasSide(params.width, 'width');
    return null;
  }

  getHeight(): number {
    return this.height;
  }

  setHeight(params: Params): null {
    this.height = canvasSide(params.height, 'height');
    return null;
  }

  getFramerate(): number {
    return this.framerate;
  }

  setFramerate(params: Params): null {
    this.framerate = frameRate(params.framerate);
    this.compositor.setFrameRate(this.framerate);
    return null;
  }

  getBackground(): string {
    return this.backgroundText;
  }

  setBackground(params: Params): null {
    const text = String(params.background);
    const color = parseColor(text);
    if (!color) throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `Composite background must be a colour like #336699, not '${text}'`);
    this.background = color;
    this.backgroundText = text;
    return null;
  }

  protected override planPicture(inputs: ReadonlyMap<string, PictureSize>): CompositionPlan | undefined {
    const cells = this.portsWithPicture(inputs).map(([port, size]) => [port.id, size] as const);
    return gridPlan(cells, { width: this.width, height: this.height, background: this.background });
  }
}
