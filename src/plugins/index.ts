/**
 * `kuroshio/plugin`: everything a plugin module's author needs, as types (the values come as the
 * argument of `implement`, see plugin-api.ts). docs/PLUGINS.md walks through a complete module.
 */
export type { ModuleSpec, ClassSpec, EventSpec, TypeSpec, EnumSpec, StructSpec } from '../api/spec.js';
export type { PluginApi, PluginImplementation, ImplementFunction } from './plugin-api.js';
export type { ConstructorParams, EventData, EventNames, Handlers, MethodNames, MethodParams, TypeOf } from './spec-types.js';
export type { ObjectInit, Params } from '../elements/media-object.js';
export type { FilterOutput, FrameKind } from '../elements/filter-element.js';
export type { Frame } from 'node-av';
export type { OverlayImage, YuvPlanes } from '../filters/picture.js';
