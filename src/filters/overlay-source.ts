/**
 * One image to draw at sizes that change (a face's box, a frame size), without ever waiting for
 * it on the media path: `at(width, height)` answers the image scaled to that size when it is
 * ready, else starts scaling it and answers the last size ready meanwhile (or nothing yet).
 * Sizes are rounded to 8 pixels so a box that wobbles by a pixel does not rescale each frame.
 * A URI that fails is reported once through `onError`, and nothing is drawn.
 */
import type { ImageCache } from './image-cache.js';
import type { OverlayImage } from './picture.js';

const STEP = 8;

export class OverlaySource {
  private readonly ready = new Map<string, OverlayImage>();
  private readonly loading = new Set<string>();
  private last: OverlayImage | undefined;
  private failed = false;
  private naturalSize: { width: number; height: number } | undefined;

  constructor(
    readonly uri: string,
    private readonly cache: ImageCache,
    private readonly onError: (message: string) => void,
  ) {
    cache.size(uri).then(
      (size) => (this.naturalSize = size),
      (err: Error) => this.fail(err.message),
    );
  }

  get hasFailed(): boolean {
    return this.failed;
  }

  /** The image's own size, once fetched. */
  get size(): { width: number; height: number } | undefined {
    return this.naturalSize;
  }

  at(width: number, height: number): OverlayImage | undefined {
    if (this.failed || width < 2 || height < 2) return undefined;
    const w = Math.max(STEP, Math.round(width / STEP) * STEP);
    const h = Math.max(STEP, Math.round(height / STEP) * STEP);
    const key = `${w}x${h}`;
    const found = this.ready.get(key);
    if (found) return (this.last = found);
    if (!this.loading.has(key)) {
      this.loading.add(key);
      this.cache.scaled(this.uri, w, h).then(
        (image) => {
          this.loading.delete(key);
          if (this.ready.size >= 16) this.ready.delete(this.ready.keys().next().value!);
          this.ready.set(key, image);
        },
        (err: Error) => {
          this.loading.delete(key);
          this.fail(err.message);
        },
      );
    }
    return this.last;
  }

  private fail(message: string): void {
    if (this.failed) return;
    this.failed = true;
    this.onError(message);
  }
}
