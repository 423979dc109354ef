/**
 * ImageOverlayFilter: images drawn at fixed places of the video, each known by an id
 * (`addImage` replaces the image of an id, `removeImage` takes it away). Positions and sizes are
 * fractions of the picture (0.0–1.0, as KMS takes them despite the `Percent` names); with
 * `keepAspectRatio` the image is fitted inside its box, and `center` centres it there. PNG
 * transparency is respected. Images are fetched and decoded off the media path: until an image
 * is ready the video passes unchanged, and one that cannot be had raises `Error` and is dropped.
 *
 * The official JavaScript client mangles a parameter object with an `id` field, so its users
 * pass `null` as the id (Kurento's own advice): it arrives as the empty string, one more id.
 */
import type { Frame } from 'node-av';
import { imageCache } from '../filters/image-cache.js';
import { OverlaySource } from '../filters/overlay-source.js';
import { blendImage, isYuv420p, writableCopy, yuvPlanes } from '../filters/picture.js';
import { FilterElementImpl, type FilterOutput } from './filter-element.js';
import type { Params } from './media-object.js';

interface PlacedImage {
  readonly source: OverlaySource;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly keepAspectRatio: boolean;
  readonly center: boolean;
}

/** Where an image of `natural` size goes in a box, fitted and centred as asked. */
export function placeInBox(box: { x: number; y: number; width: number; height: number }, natural: { width: number; height: number } | undefined, keepAspectRatio: boolean, center: boolean): { x: number; y: number; width: number; height: number } {
  if (!keepAspectRatio || !natural) return box;
  const scale = Math.min(box.width / natural.width, box.height / natural.height);
  const width = natural.width * scale;
  const height = natural.height * scale;
  return center ? { x: box.x + (box.width - width) / 2, y: box.y + (box.height - height) / 2, width, height } : { x: box.x, y: box.y, width, height };
}

export class ImageOverlayFilterImpl extends FilterElementImpl {
  private readonly images = new Map<string, PlacedImage>();

  addImage(params: Params): null {
    const id = (params.id as string | null | undefined) ?? '';
    const uri = params.uri as string;
    const source = new OverlaySource(uri, imageCache, (message) => {
      if (this.images.get(id)?.source === source) this.images.delete(id);
      this.reportFailure(`image '${id}': ${message}`, 'IMAGE_ERROR');
    });
    this.images.set(id, {
      source,
      x: params.offsetXPercent as number,
      y: params.offsetYPercent as number,
      width: params.widthPercent as number,
      height: params.heightPercent as number,
      keepAspectRatio: params.keepAspectRatio as boolean,
      center: params.center as boolean,
    });
    return null;
  }

  removeImage(params: Params): null {
    this.images.delete((params.id as string | null | undefined) ?? '');
    return null;
  }

  protected override processFrame(frame: Frame): FilterOutput {
    if (this.images.size === 0 || !isYuv420p(frame)) return undefined;
    let out: Frame | undefined;
    for (const placed of this.images.values()) {
      const box = placeInBox(
        { x: placed.x * frame.width, y: placed.y * frame.height, width: placed.width * frame.width, height: placed.height * frame.height },
        placed.source.size,
        placed.keepAspectRatio,
        placed.center,
      );
      const image = placed.source.at(box.width, box.height);
      if (!image) continue;
      out ??= writableCopy(frame);
      blendImage(yuvPlanes(out), image, box.x, box.y);
    }
    return out;
  }
}
