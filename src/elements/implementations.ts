/**
 * Which classes of the API have an implementation in the media worker. A class described in the
 * catalog but absent here answers `create` with NOT_IMPLEMENTED (checked in the control process).
 */
import type { MediaObjectImpl, ObjectInit } from './media-object.js';
import { MediaPipelineImpl } from './media-pipeline.js';
import { PassThroughImpl } from './pass-through.js';
import { PlayerEndpointImpl } from './player-endpoint.js';
import { RecorderEndpointImpl } from './recorder-endpoint.js';
import { WebRtcEndpointImpl } from './webrtc-endpoint.js';

export type ImplementationClass = new (init: ObjectInit) => MediaObjectImpl;

export const implementations: ReadonlyMap<string, ImplementationClass> = new Map<string, ImplementationClass>([
  ['MediaPipeline', MediaPipelineImpl],
  ['PassThrough', PassThroughImpl],
  ['PlayerEndpoint', PlayerEndpointImpl],
  ['RecorderEndpoint', RecorderEndpointImpl],
  ['WebRtcEndpoint', WebRtcEndpointImpl],
]);
