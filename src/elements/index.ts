/**
 * The classes this media worker can build: one registration per implemented class. The worker
 * announces these names when it is ready; the control process knows classes only through the API
 * description and those announcements, so a class described but registered nowhere answers
 * `create` with NOT_IMPLEMENTED.
 *
 * Each implementation's module is imported when its class is first created, not when the worker
 * starts: most of them pull in FFmpeg (node-av) or werift, tens of megabytes each, and a worker
 * holds only what the pipelines placed on it use (an SFU's worker never loads FFmpeg's codecs).
 */
import type { ElementFactory, MediaObjectImpl, ObjectInit } from './media-object.js';

type Implementation = new (init: ObjectInit) => MediaObjectImpl;

/**
 * A factory whose class is imported on first use. Creation is synchronous once the module is in,
 * so only the first object of a class waits for the import.
 */
export function lazyFactory(type: string, load: () => Promise<Implementation>): ElementFactory {
  let loaded: Implementation | undefined;
  let loading: Promise<Implementation> | undefined;
  return {
    type,
    create(init) {
      if (loaded) return new loaded(init);
      loading ??= load().then(
        (cls) => (loaded = cls),
        (err: unknown) => {
          loading = undefined; // a later create tries again
          throw err;
        },
      );
      return loading.then((cls) => new cls(init));
    },
  };
}

export const builtInFactories: readonly ElementFactory[] = [
  lazyFactory('kurento.HttpPostEndpoint', async () => (await import('./http-post-endpoint.js')).HttpPostEndpointImpl),
  lazyFactory('kurento.FaceOverlayFilter', async () => (await import('./face-overlay-filter.js')).FaceOverlayFilterImpl),
  lazyFactory('kurento.GStreamerFilter', async () => (await import('./gstreamer-filter.js')).GStreamerFilterImpl),
  lazyFactory('kurento.ImageOverlayFilter', async () => (await import('./image-overlay-filter.js')).ImageOverlayFilterImpl),
  lazyFactory('kurento.AlphaBlending', async () => (await import('./alpha-blending.js')).AlphaBlendingImpl),
  lazyFactory('kurento.Composite', async () => (await import('./composite.js')).CompositeImpl),
  lazyFactory('kurento.Dispatcher', async () => (await import('./dispatcher.js')).DispatcherImpl),
  lazyFactory('kurento.DispatcherOneToMany', async () => (await import('./dispatcher-one-to-many.js')).DispatcherOneToManyImpl),
  lazyFactory('kurento.HubPort', async () => (await import('./hub-port.js')).HubPortImpl),
  lazyFactory('kurento.MediaPipeline', async () => (await import('./media-pipeline.js')).MediaPipelineImpl),
  lazyFactory('kurento.Mixer', async () => (await import('./mixer.js')).MixerImpl),
  lazyFactory('kurento.PassThrough', async () => (await import('./pass-through.js')).PassThroughImpl),
  lazyFactory('kurento.PlayerEndpoint', async () => (await import('./player-endpoint.js')).PlayerEndpointImpl),
  lazyFactory('kurento.RecorderEndpoint', async () => (await import('./recorder-endpoint.js')).RecorderEndpointImpl),
  lazyFactory('kurento.RtpEndpoint', async () => (await import('./rtp-endpoint.js')).RtpEndpointImpl),
  lazyFactory('kurento.WebRtcEndpoint', async () => (await import('./webrtc-endpoint.js')).WebRtcEndpointImpl),
  lazyFactory('kurento.ZBarFilter', async () => (await import('./zbar-filter.js')).ZBarFilterImpl),
];
