/**
 * The types a plugin author gets from a description written `as const` (src/plugins/spec-types.ts).
 * The checks are made by the compiler: every `@ts-expect-error` below must be an error, and the
 * other lines must compile; the test at run time only records that this file was built.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConstructorParams, EventData, Handlers, MethodParams, TypeOf } from 'kuroshio/plugin';
import type chroma from '../../modules/chroma/api.js';
import type crowddetector from '../../modules/crowddetector/api.js';
import type pointerdetector from '../../modules/pointerdetector/api.js';
import type negative from '../fixtures/plugins/negative/api.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const same = <A, B>(value: Equal<A, B>): Equal<A, B> => value;

test('parameters, events and complex types are derived from the description', () => {
  // Method parameters, constructor parameters with defaults and structs.
  same<MethodParams<typeof negative, 'NegativeFilter', 'setStrength'>, { strength: number }>(true);
  same<ConstructorParams<typeof negative, 'NegativeFilter'>, { mediaPipeline: string; strength: number }>(true);
  same<ConstructorParams<typeof chroma, 'ChromaFilter'>['window'], { topRightCornerX: number; topRightCornerY: number; width: number; height: number }>(true);
  // Optional fields without a default stay optional; lists are arrays.
  same<TypeOf<typeof pointerdetector, 'PointerDetectorWindowMediaParam'>['image'], string | undefined>(true);
  same<ConstructorParams<typeof crowddetector, 'CrowdDetectorFilter'>['rois'][number]['points'], { x: number; y: number }[]>(true);
  // Event data.
  same<EventData<typeof negative, 'FramesInverted'>, { count: number; strength: number }>(true);
  same<EventData<typeof pointerdetector, 'WindowIn'>, { windowId: string }>(true);

  // A handler set missing a method, or taking the wrong parameter type, does not compile.
  // @ts-expect-error setStrength is missing
  const missing: Handlers<typeof negative, 'NegativeFilter'> = {};
  // @ts-expect-error strength is a number
  const wrong: Handlers<typeof negative, 'NegativeFilter'> = { setStrength: (p: { strength: string }) => p };
  const right: Handlers<typeof negative, 'NegativeFilter'> = { setStrength: (p) => p.strength + 1 };
  // @ts-expect-error an event field of the wrong type
  const badEvent: EventData<typeof negative, 'FramesInverted'> = { count: 'many', strength: 1 };
  assert.ok(missing && wrong && right && badEvent);
});
