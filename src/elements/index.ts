/**
 * The classes this media worker can build: one registration per implemented class. The worker
 * announces these names when it is ready; the control process knows classes only through the API
 * description and those announcements, so a class described but registered nowhere answers
 * `create` with NOT_IMPLEMENTED.
 */
import { AlphaBlendingImpl } from './alpha-blending.js';
import { CompositeImpl } from './composite.js';
import { DispatcherOneToManyImpl } from './dispatcher-one-to-many.js';
import { DispatcherImpl } from './dispatcher.js';
import { HubPortImpl } from './hub-port.js';
import type { ElementFactory, MediaObjectImpl, ObjectInit } from './media-object.js';
import { HttpPostEndpointImpl } from './http-post-endpoint.js';
import { FaceOverlayFilterImpl } from './face-overlay-filter.js';
import { GStreamerFilterImpl } from './gstreamer-filter.js';
import { ImageOverlayFilterImpl } from './image-overlay-filter.js';
import { MediaPipelineImpl } from './media-pipeline.js';
import { MixerImpl } from './mixer.js';
import { PassThroughImpl } from './pass-through.js';
import { PlayerEndpointImpl } from './player-endpoint.js';
import { RecorderEndpointImpl } from './recorder-endpoint.js';
import { RtpEndpointImpl } from './rtp-endpoint.js';
import { ZBarFilterImpl } from './zbar-filter.js';
import { WebRtcEndpointImpl } from './webrtc-endpoint.js';

/** A factory for a class whose constructor takes the init record as it is. */
export function classFactory(type: string, Implementation: new (init: ObjectInit) => MediaObjectImpl): ElementFactory {
  return { type, create: (init) => new Implementation(init) };
}

export const builtInFactories: readonly ElementFactory[] = [
  classFactory('kurento.HttpPostEndpoint', HttpPostEndpointImpl),
  classFactory('kurento.FaceOverlayFilter', FaceOverlayFilterImpl),
  classFactory('kurento.GStreamerFilter', GStreamerFilterImpl),
  classFactory('kurento.ImageOverlayFilter', ImageOverlayFilterImpl),
  classFactory('kurento.AlphaBlending', AlphaBlendingImpl),
  classFactory('kurento.Composite', CompositeImpl),
  classFactory('kurento.Dispatcher', DispatcherImpl),
  classFactory('kurento.DispatcherOneToMany', DispatcherOneToManyImpl),
  classFactory('kurento.HubPort', HubPortImpl),
  classFactory('kurento.MediaPipeline', MediaPipelineImpl),
  classFactory('kurento.Mixer', MixerImpl),
  classFactory('kurento.PassThrough', PassThroughImpl),
  classFactory('kurento.PlayerEndpoint', PlayerEndpointImpl),
  classFactory('kurento.RecorderEndpoint', RecorderEndpointImpl),
  classFactory('kurento.RtpEndpoint', RtpEndpointImpl),
  classFactory('kurento.WebRtcEndpoint', WebRtcEndpointImpl),
  classFactory('kurento.ZBarFilter', ZBarFilterImpl),
];
