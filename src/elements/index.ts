/**
 * The classes this media worker can build: one registration per implemented class. The worker
 * announces these names when it is ready; the control process knows classes only through the API
 * description and those announcements, so a class described but registered nowhere answers
 * `create` with NOT_IMPLEMENTED.
 *
 * Each class's module is imported when the first object of that class is created, not when the
 * worker starts: element modules pull in FFmpeg (node-av) and werift, ~47 MB of a worker's RSS that
 * an idle worker does not need (measured in docs/PERFORMANCE.md).
 */
import type { ElementFactory, MediaObjectImpl, ObjectInit } from './media-object.js';

type ElementClass = new (init: ObjectInit) => MediaObjectImpl;

/** A factory that imports its class on first use; later creations reuse the loaded class. */
export function lazyClassFactory(type: string, load: () => Promise<ElementClass>): ElementFactory {
  let loading: Promise<ElementClass> | undefined;
  return {
    type,
    create: async (init) => {
      loading ??= load();
      const Implementation = await loading;
      return new Implementation(init);
    },
  };
}

export const builtInFactories: readonly ElementFactory[] = [
  lazyClassFactory('kurento.HttpPostEndpoint', async () => (await import('./http-post-endpoint.js')).HttpPostEndpointImpl),
  lazyClassFactory('kurento.FaceOverlayFilter', async () => (await import('./face-overlay-filter.js')).FaceOverlayFilterImpl),
  lazyClassFactory('kurento.GStreamerFilter', async () => (await import('./gstreamer-filter.js')).GStreamerFilterImpl),
  lazyClassFactory('kurento.ImageOverlayFilter', async () => (await import('./image-overlay-filter.js')).ImageOverlayFilterImpl),
  lazyClassFactory('kurento.AlphaBlending', async () => (await import('./alpha-blending.js')).AlphaBlendingImpl),
  lazyClassFactory('kurento.Composite', async () => (await import('./composite.js')).CompositeImpl),
  lazyClassFactory('kurento.Dispatcher', async () => (await import('./dispatcher.js')).DispatcherImpl),
  lazyClassFactory('kurento.DispatcherOneToMany', async () => (await import('./dispatcher-one-to-many.js')).DispatcherOneToManyImpl),
  lazyClassFactory('kurento.HubPort', async () => (await import('./hub-port.js')).HubPortImpl),
  lazyClassFactory('kurento.MediaPipeline', async () => (await import('./media-pipeline.js')).MediaPipelineImpl),
  lazyClassFactory('kurento.Mixer', async () => (await import('./mixer.js')).MixerImpl),
  lazyClassFactory('kurento.PassThrough', async () => (await import('./pass-through.js')).PassThroughImpl),
  lazyClassFactory('kurento.PlayerEndpoint', async () => (await import('./player-endpoint.js')).PlayerEndpointImpl),
  lazyClassFactory('kurento.RecorderEndpoint', async () => (await import('./recorder-endpoint.js')).RecorderEndpointImpl),
  lazyClassFactory('kurento.RtpEndpoint', async () => (await import('./rtp-endpoint.js')).RtpEndpointImpl),
  lazyClassFactory('kurento.WebRtcEndpoint', async () => (await import('./webrtc-endpoint.js')).WebRtcEndpointImpl),
  lazyClassFactory('kurento.ZBarFilter', async () => (await import('./zbar-filter.js')).ZBarFilterImpl),
];
