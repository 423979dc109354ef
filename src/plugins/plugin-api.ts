/**
 * The plugin API: what a module's implementation receives from the media worker that loads it
 * (`implement(kuroshio)`), and the types its author writes against. It is handed over rather
 * than imported so that a module works from any folder, whatever its dependencies resolve to,
 * and shares the worker's own classes (a plugin's elements connect to built-in ones).
 *
 *   export default function implement({ FilterElement }: PluginApi): PluginImplementation {
 *     return { Negative: class extends FilterElement { protected processFrame(frame) { ... } } };
 *   }
 */
import type { ModuleSpec } from '../api/spec.js';
import { KurentoError } from '../errors.js';
import { FilterElementImpl } from '../elements/filter-element.js';
import { MediaElementImpl } from '../elements/media-element.js';
import type { MediaObjectImpl, ObjectInit } from '../elements/media-object.js';
import { FrameFilterGraph } from '../filters/ffmpeg-graph.js';
import { imageCache } from '../filters/image-cache.js';
import { blendImage, isYuv420p, lumaOf, writableCopy, yuvPlanes } from '../filters/picture.js';
import { DetectorThread } from '../filters/detector-thread.js';
import { ANY_CAPS, RAW_CAPS } from '../media/processing/caps.js';

/** The values a plugin implementation is given. */
export const pluginApi = {
  /** Base of a filter on decoded frames: implement `processFrame`. */
  FilterElement: FilterElementImpl,
  /** Base of any element (pads, links, flows); a filter rarely needs it. */
  MediaElement: MediaElementImpl,
  /** An error with a Kurento code for the client (`new KurentoError('MARSHALL_ERROR', text)`). */
  KurentoError,
  /** Sink caps: decoded frames / whatever comes. */
  RAW_CAPS,
  ANY_CAPS,
  /** An FFmpeg filter chain run on frames off the event loop. */
  FrameFilterGraph,
  /** Images by `file://` or `http(s)://` URI, fetched once and decoded, scaled per size. */
  images: imageCache,
  /** Picture helpers: a writable copy of a frame, its Y/U/V planes, alpha blending of an image, the luma plane packed. */
  writableCopy,
  yuvPlanes,
  blendImage,
  lumaOf,
  /** Whether a frame is 4:2:0 (what decoders of VP8, VP9 and H.264 give); convert others with a FrameFilterGraph('format=yuv420p'). */
  isYuv420p,
  /** Runs a detector module on a worker thread at a bounded rate. */
  DetectorThread,
} as const;

export type PluginApi = typeof pluginApi;

/** What `implement` returns: the implementation of each class of the module, by bare class name. */
export type PluginImplementation = Record<string, new (init: ObjectInit) => MediaObjectImpl>;

/** The default export of a module's implementation file. */
export type ImplementFunction = (kuroshio: PluginApi, module: ModuleSpec) => PluginImplementation | Promise<PluginImplementation>;
