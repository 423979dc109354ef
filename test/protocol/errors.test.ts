/**
 * Kurento errors (40xxx) with KMS's exact code, message and `data.type`, the requests KMS
 * deliberately does not treat as errors (releasing or unsubscribing something unknown), and
 * `describe` of existing objects.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useRawClients, type RawClient } from '../helpers/raw-client.js';
import { assertResult, assertRpcError, resultOf } from '../helpers/rpc-assert.js';

let c: RawClient;
let sessionId: string;
let pipeline: string;
let passThrough: string;

useRawClients(['--workers', '1'], async ({ client }) => {
  c = await client();
  const created = resultOf(await c.request('create', { type: 'MediaPipeline' }));
  sessionId = created.sessionId;
  pipeline = created.value;
  passThrough = resultOf(await c.request('create', { type: 'PassThrough', constructorParams: { mediaPipeline: pipeline } })).value;
});

const notFound = (object: string) => ({ code: 40101, message: `Object '${object}' not found`, type: 'MEDIA_OBJECT_NOT_FOUND' });

test('an unknown object in invoke, describe, subscribe or ref is 40101 MEDIA_OBJECT_NOT_FOUND', async () => {
  const missing = '00000000-0000-0000-0000-000000000000_kurento.MediaPipeline';
  assertRpcError(await c.request('invoke', { object: missing, operation: 'getName' }, 'e1'), { id: 'e1', ...notFound(missing) });
  assertRpcError(await c.request('describe', { object: missing }, 'e2'), { id: 'e2', ...notFound(missing) });
  assertRpcError(await c.request('subscribe', { object: missing, type: 'Error' }, 'e3'), { id: 'e3', ...notFound(missing) });
  assertRpcError(await c.request('ref', { object: 'x' }, 'e4'), { id: 'e4', ...notFound('x') });
  // A remote-object parameter naming an unknown object fails the same way.
  assertRpcError(await c.request('create', { type: 'PassThrough', constructorParams: { mediaPipeline: missing } }, 'e5'), { id: 'e5', ...notFound(missing) });
  assertRpcError(await c.request('invoke', { object: passThrough, operation: 'connect', operationParams: { sink: 'nope' } }, 'e6'), { id: 'e6', ...notFound('nope') });
});

test('a released object is not found any more', async () => {
  const doomed = resultOf(await c.request('create', { type: 'MediaPipeline' })).value as string;
  assertResult(await c.request('release', { object: doomed }, 'r1'), 'r1', { sessionId });
  assertRpcError(await c.request('invoke', { object: doomed, operation: 'getName' }, 'r2'), { id: 'r2', ...notFound(doomed) });
  assertRpcError(await c.request('describe', { object: doomed }, 'r3'), { id: 'r3', ...notFound(doomed) });
});

test('an unknown or abstract type in create is 40108 "Factory \'X\' not found"', async () => {
  for (const [n, type] of [['f1', 'NoSuchElement'], ['f2', 'kurento.NoSuchElement'], ['f3', 'MediaElement'], ['f4', 'ServerManager'], ['f5', 'mediapipeline']] as const) {
    assertRpcError(await c.request('create', { type }, n), { id: n, code: 40108, message: `Factory '${type}' not found`, type: 'MEDIA_OBJECT_NOT_AVAILABLE' });
  }
  // Both the bare and the module-qualified names of a real class work.
  assert.match(resultOf(await c.request('create', { type: 'kurento.MediaPipeline' })).value, /_kurento\.MediaPipeline$/);
});

test('an unknown operation is 40008 "Method \'x\' with N parameters not found"', async () => {
  assertRpcError(await c.request('invoke', { object: pipeline, operation: 'frobnicate' }, 'm1'), {
    id: 'm1',
    code: 40008,
    message: "Method 'frobnicate' with 0 parameters not found",
    type: 'MALFORMED_TRANSACTION',
  });
  assertRpcError(await c.request('invoke', { object: passThrough, operation: 'frobnicate', operationParams: { a: 1, b: 2 } }, 'm2'), {
    id: 'm2',
    code: 40008,
    message: "Method 'frobnicate' with 2 parameters not found",
    type: 'MALFORMED_TRANSACTION',
  });
  // Read-only properties have no setter.
  assertRpcError(await c.request('invoke', { object: pipeline, operation: 'setId', operationParams: { id: 'x' } }, 'm3'), {
    id: 'm3',
    code: 40008,
    message: "Method 'setId' with 1 parameters not found",
    type: 'MALFORMED_TRANSACTION',
  });
  // Operation names are case-sensitive.
  assertRpcError(await c.request('invoke', { object: pipeline, operation: 'GetName' }, 'm4'), {
    id: 'm4',
    code: 40008,
    message: "Method 'GetName' with 0 parameters not found",
    type: 'MALFORMED_TRANSACTION',
  });
});

test('an event the class does not raise is 40106 "Event \'X\' not supported"', async () => {
  for (const [n, object, type] of [
    ['v1', passThrough, 'IceCandidateFound'],
    ['v2', pipeline, 'ElementConnected'],
    ['v3', 'manager_ServerManager', 'ElementConnected'],
    ['v4', passThrough, 'NoSuchEvent'],
  ] as const) {
    assertRpcError(await c.request('subscribe', { object, type }, n), { id: n, code: 40106, message: `Event '${type}' not supported`, type: 'MEDIA_OBJECT_EVENT_NOT_SUPPORTED' });
  }
  // Inherited events are supported (Error comes from MediaObject).
  assert.equal(typeof resultOf(await c.request('subscribe', { object: passThrough, type: 'Error' })).value, 'string');
});

test('a parameter of the wrong type or an unknown enum value is 40001 MARSHALL_ERROR', async () => {
  const marshall = (id: string, message: string) => ({ id, code: 40001, message, type: 'MARSHALL_ERROR' });
  assertRpcError(await c.request('invoke', { object: pipeline, operation: 'setName', operationParams: { name: { first: 'x' } } }, 'a1'), marshall('a1', "'name' parameter should be a string"));
  assertRpcError(await c.request('invoke', { object: passThrough, operation: 'connect', operationParams: { sink: passThrough, mediaType: 'SMELL' } }, 'a2'), marshall('a2', "Invalid value for 'MediaType'"));
  assertRpcError(await c.request('invoke', { object: passThrough, operation: 'connect' }, 'a3'), marshall('a3', "'operationParams' is required"));
  assertRpcError(await c.request('invoke', { object: passThrough, operation: 'connect', operationParams: {} }, 'a4'), marshall('a4', "'sink' parameter should be a string"));
  assertRpcError(await c.request('invoke', { object: pipeline, operation: 'setLatencyStats', operationParams: { latencyStats: 'yes' } }, 'a5'), marshall('a5', "'latencyStats' parameter should be a boolean"));
  assertRpcError(await c.request('create', { type: 'PassThrough' }, 'a6'), marshall('a6', "'constructorParams' is required"));
  assertRpcError(await c.request('create', { type: 'PassThrough', constructorParams: {} }, 'a7'), marshall('a7', "'mediaPipeline' parameter should be a string"));
  // The values that failed changed nothing.
  assert.equal(resultOf(await c.request('invoke', { object: pipeline, operation: 'getName' })).value, pipeline);
});

test('a "newref:" id outside a transaction is 40109', async () => {
  assertRpcError(await c.request('invoke', { object: 'newref:3', operation: 'getName' }, 'n1'), {
    id: 'n1',
    code: 40109,
    message: "Object 'newref:3' not found. Possibly using a transactional object without committing the transaction.",
    type: 'MEDIA_OBJECT_NOT_FOUND_TRANSACTION_NO_COMMIT',
  });
  assertRpcError(await c.request('describe', { object: 'newref:0' }, 'n2'), {
    id: 'n2',
    code: 40109,
    message: "Object 'newref:0' not found. Possibly using a transactional object without committing the transaction.",
    type: 'MEDIA_OBJECT_NOT_FOUND_TRANSACTION_NO_COMMIT',
  });
  // "newref:" alone is just an unknown id.
  assertRpcError(await c.request('describe', { object: 'newref:' }, 'n3'), { id: 'n3', ...notFound('newref:') });
});

test('releasing an unknown id and unsubscribing an unknown subscription succeed', async () => {
  assertResult(await c.request('release', { object: 'no-such-object' }, 'u1'), 'u1', { sessionId });
  assertResult(await c.request('release', { object: 'manager_ServerManager' }, 'u2'), 'u2', { sessionId });
  assertResult(await c.request('unsubscribe', { object: pipeline, subscription: 'no-such-subscription' }, 'u3'), 'u3', { sessionId });
  assertResult(await c.request('unsubscribe', { object: 'no-such-object', subscription: 'x', sessionId }, 'u4'), 'u4', { sessionId });
  // The ServerManager survives a release.
  assert.equal(resultOf(await c.request('describe', { object: 'manager_ServerManager' })).type, 'ServerManager');
});

test('describe reports the type, qualified type and ancestors of an object', async () => {
  assertResult(await c.request('describe', { object: passThrough }, 'd1'), 'd1', {
    sessionId,
    type: 'PassThrough',
    qualifiedType: 'kurento.PassThrough',
    hierarchy: ['kurento.MediaElement', 'kurento.MediaObject'],
  });
  assertResult(await c.request('describe', { object: pipeline }, 'd2'), 'd2', {
    sessionId,
    type: 'MediaPipeline',
    qualifiedType: 'kurento.MediaPipeline',
    hierarchy: ['kurento.MediaObject'],
  });
});
