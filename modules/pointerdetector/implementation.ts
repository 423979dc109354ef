/**
 * pointerdetector.PointerDetectorFilter as a plugin: follows a pointer of the colour learnt from
 * the calibration region and raises `WindowIn`/`WindowOut(windowId)` as it enters and leaves the
 * windows. The calibration region and the windows are outlined on the picture, as KMS draws them
 * (a window the pointer is in, in a brighter line).
 */
import type { ConstructorParams, Frame, Handlers, MethodParams, ObjectInit, PluginApi, PluginImplementation, TypeOf, YuvPlanes } from 'kuroshio/plugin';
import type api from './api.js';
import { colourOf, contains, findPointer, type ColourRange, type Rect } from './pointer-tracker.js';

type Api = typeof api;
type WindowParam = TypeOf<Api, 'PointerDetectorWindowMediaParam'>;

interface Window extends Rect {
  readonly id: string;
}

/** KMS names the corner "upper right" but places the window by its top-left corner. */
function toWindow(w: WindowParam): Window {
  return { id: w.id, x: w.upperRightX, y: w.upperRightY, width: w.width, height: w.height };
}

function outline(p: YuvPlanes, r: Rect, luma: number): void {
  const x0 = Math.max(0, Math.round(r.x));
  const y0 = Math.max(0, Math.round(r.y));
  const x1 = Math.min(p.width - 1, Math.round(r.x + r.width));
  const y1 = Math.min(p.height - 1, Math.round(r.y + r.height));
  for (let x = x0; x <= x1; x++) {
    p.y[y0 * p.yStride + x] = luma;
    p.y[y1 * p.yStride + x] = luma;
  }
  for (let y = y0; y <= y1; y++) {
    p.y[y * p.yStride + x0] = luma;
    p.y[y * p.yStride + x1] = luma;
  }
}

export default function implement(kuroshio: PluginApi): PluginImplementation {
  const { FilterElement, KurentoError, isYuv420p, writableCopy, yuvPlanes } = kuroshio;

  class PointerDetectorFilter extends FilterElement implements Handlers<Api, 'PointerDetectorFilter'> {
    private readonly calibrationRegion: Rect;
    private readonly windows = new Map<string, Window>();
    private readonly inside = new Set<string>();
    private colour: ColourRange | undefined;
    private calibrateNext = false;

    constructor(init: ObjectInit) {
      super(init);
      const params = init.params as ConstructorParams<Api, 'PointerDetectorFilter'>;
      const region = params.calibrationRegion;
      this.calibrationRegion = { x: region.topRightCornerX, y: region.topRightCornerY, width: region.width, height: region.height };
      for (const w of params.windows ?? []) this.windows.set(w.id, toWindow(w));
    }

    addWindow(params: MethodParams<Api, 'PointerDetectorFilter', 'addWindow'>): null {
      const window = toWindow(params.window);
      if (this.windows.has(window.id)) throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `Window '${window.id}' already exists`);
      this.windows.set(window.id, window);
      return null;
    }

    removeWindow(params: MethodParams<Api, 'PointerDetectorFilter', 'removeWindow'>): null {
      this.windows.delete(params.windowId);
      this.inside.delete(params.windowId);
      return null;
    }

    clearWindows(): null {
      this.windows.clear();
      this.inside.clear();
      return null;
    }

    /** Takes the colour in the calibration region of the next frame as the pointer's. */
    trackColorFromCalibrationRegion(): null {
      this.calibrateNext = true;
      return null;
    }

    protected override processFrame(frame: Frame): Frame | undefined {
      if (!isYuv420p(frame)) return undefined;
      const planes = yuvPlanes(frame);
      if (this.calibrateNext) {
        this.calibrateNext = false;
        this.colour = colourOf(planes, this.calibrationRegion) ?? this.colour;
      }
      const pointer = this.colour ? findPointer(planes, this.colour) : undefined;
      for (const window of this.windows.values()) {
        const now = pointer !== undefined && contains(window, pointer);
        if (now === this.inside.has(window.id)) continue;
        if (now) this.inside.add(window.id);
        else this.inside.delete(window.id);
        this.emit(now ? 'WindowIn' : 'WindowOut', { windowId: window.id });
      }
      const out = writableCopy(frame);
      const o = yuvPlanes(out);
      outline(o, this.calibrationRegion, 235);
      for (const window of this.windows.values()) outline(o, window, this.inside.has(window.id) ? 255 : 180);
      return out;
    }
  }

  return { PointerDetectorFilter };
}
