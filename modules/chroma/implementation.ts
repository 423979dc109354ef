/**
 * chroma.ChromaFilter as a plugin: calibrates the key colour from its window over the first
 * frames (`chroma-key.ts`), then puts the background image (`backgroundImage` or
 * `setBackground(uri)`) where the key colour is. Without a background image the video passes
 * unchanged; an image that cannot be had raises `Error`.
 */
import type { ConstructorParams, Frame, Handlers, MethodParams, ObjectInit, OverlayImage, PluginApi, PluginImplementation } from 'kuroshio/plugin';
import type api from './api.js';
import { ChromaKey } from './chroma-key.js';

type Api = typeof api;

export default function implement(kuroshio: PluginApi): PluginImplementation {
  const { FilterElement, images, isYuv420p, writableCopy, yuvPlanes } = kuroshio;

  class ChromaFilter extends FilterElement implements Handlers<Api, 'ChromaFilter'> {
    private readonly key: ChromaKey;
    private background: string | undefined;
    private scaled: { size: string; image: OverlayImage } | undefined;
    private loading: string | undefined;

    constructor(init: ObjectInit) {
      super(init);
      const params = init.params as ConstructorParams<Api, 'ChromaFilter'>;
      // KMS names the window's corner "top right" but uses it as the top-left one.
      this.key = new ChromaKey({ x: params.window.topRightCornerX, y: params.window.topRightCornerY, width: params.window.width, height: params.window.height });
      if (params.backgroundImage) this.background = params.backgroundImage;
    }

    setBackground(params: MethodParams<Api, 'ChromaFilter', 'setBackground'>): null {
      this.background = params.uri;
      this.scaled = undefined;
      return null;
    }

    unsetBackground(): null {
      this.background = undefined;
      this.scaled = undefined;
      return null;
    }

    protected override processFrame(frame: Frame): Frame | undefined {
      if (!isYuv420p(frame)) return undefined;
      const planes = yuvPlanes(frame);
      if (!this.key.calibrated) {
        this.key.calibrate(planes);
        return undefined;
      }
      const background = this.backgroundFor(frame.width, frame.height);
      if (!background) return undefined;
      const mask = this.key.maskOf(planes);
      if (!mask) return undefined;
      const out = writableCopy(frame);
      const o = yuvPlanes(out);
      const cw = o.width >> 1;
      const ch = o.height >> 1;
      for (let cy = 0; cy < ch; cy++) {
        for (let cx = 0; cx < cw; cx++) {
          if (mask[cy * cw + cx] === 0) continue;
          o.u[cy * o.uvStride + cx] = background.u[cy * ((background.width + 1) >> 1) + cx]!;
          o.v[cy * o.uvStride + cx] = background.v[cy * ((background.width + 1) >> 1) + cx]!;
          for (let dy = 0; dy < 2; dy++) {
            const row = (cy * 2 + dy) * o.yStride;
            const from = (cy * 2 + dy) * background.width;
            o.y[row + cx * 2] = background.y[from + cx * 2]!;
            o.y[row + cx * 2 + 1] = background.y[from + cx * 2 + 1]!;
          }
        }
      }
      return out;
    }

    /** The background at the picture's size, once scaled (the video passes meanwhile). */
    private backgroundFor(width: number, height: number): OverlayImage | undefined {
      const uri = this.background;
      if (!uri) return undefined;
      const size = `${uri}|${width}x${height}`;
      if (this.scaled?.size === size) return this.scaled.image;
      if (this.loading !== size) {
        this.loading = size;
        images.scaled(uri, width, height).then(
          (image) => {
            if (this.background === uri) this.scaled = { size, image };
          },
          (err: Error) => {
            if (this.background === uri) this.background = undefined;
            this.reportFailure(`background image: ${err.message}`, 'IMAGE_ERROR');
          },
        );
      }
      return undefined;
    }
  }

  return { ChromaFilter };
}
