/**
 * kurento-client@7.3.0 against Kuroshio: the error each misuse produces, as the application sees
 * it (the client turns 40101 into ReferenceError, other codes into Error, keeping `code` and
 * `data`). The client checks many things itself; where it does, the request is sent through the
 * path the client offers that reaches the server (its non-strict mode, its generic invoke, its
 * RPC channel), which is what an application with stale or mismatched proxies would hit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kurento, failureOf, useKurento, type Remote } from '../helpers/kurento-client.js';

let pipeline: Remote;
let element: Remote;

const fixture = useKurento(async ({ kurento }) => {
  pipeline = await kurento.create('MediaPipeline');
  element = await pipeline.create('PassThrough');
});

test('unknown object: getMediaobjectById of a bogus id is a ReferenceError, code 40101', async () => {
  assert.deepEqual(await failureOf(fixture.kurento.getById('no-such-object')), {
    name: 'ReferenceError',
    code: 40101,
    type: 'MEDIA_OBJECT_NOT_FOUND',
    message: "Object 'no-such-object' not found",
  });
  // A well-formed id of nothing fails the same way.
  const ghost = `${pipeline.id}/00000000-0000-0000-0000-000000000000_kurento.PassThrough`;
  assert.deepEqual(await failureOf(fixture.kurento.getById(ghost)), {
    name: 'ReferenceError',
    code: 40101,
    type: 'MEDIA_OBJECT_NOT_FOUND',
    message: `Object '${ghost}' not found`,
  });
});

test('released objects: using or creating in them is a ReferenceError, code 40101', async () => {
  const doomed = await fixture.kurento.create('MediaPipeline');
  await doomed.release();
  const err = await failureOf(doomed.call('getName'));
  assert.deepEqual([err.name, err.code, err.type], ['ReferenceError', 40101, 'MEDIA_OBJECT_NOT_FOUND']);
  const child = await failureOf(doomed.create('PassThrough'));
  assert.deepEqual([child.name, child.code, child.message], ['ReferenceError', 40101, `Object '${doomed.id}' not found`]);
});

test('unknown type: the strict client refuses it; through a non-strict client the server answers 40108', async () => {
  // Strict mode (the default) stops it in the client: the server is never asked.
  const strictError = await failureOf(fixture.kurento.create('NoSuchElement'));
  assert.equal(strictError.name, 'SyntaxError');
  assert.equal(fixture.kurento.sentWith('create').filter((m) => m.params?.type === 'NoSuchElement').length, 0);

  const loose = await Kurento.connect(fixture.server.url, { strict: false });
  try {
    for (const type of ['NoSuchElement', 'kurento.NoSuchElement']) {
      assert.deepEqual(await failureOf(loose.create(type)), {
        name: 'Error',
        code: 40108,
        type: 'MEDIA_OBJECT_NOT_AVAILABLE',
        message: `Factory '${type}' not found`,
      });
    }
    // Abstract classes are not factories either.
    const abstract = await failureOf(loose.create('MediaElement', { mediaPipeline: pipeline }));
    assert.deepEqual([abstract.code, abstract.type], [40108, 'MEDIA_OBJECT_NOT_AVAILABLE']);
  } finally {
    await loose.close();
  }
});

test('bad parameter type: error 40001 MARSHALL_ERROR', async () => {
  // The generated client code does not check types (its checks are commented out).
  assert.deepEqual(await failureOf(element.call('setName', {})), {
    name: 'Error',
    code: 40001,
    type: 'MARSHALL_ERROR',
    message: "'name' parameter should be a string",
  });
  assert.deepEqual(await failureOf(pipeline.call('setLatencyStats', 'yes')), {
    name: 'Error',
    code: 40001,
    type: 'MARSHALL_ERROR',
    message: "'latencyStats' parameter should be a boolean",
  });
  const wrongEnum = await failureOf(element.call('getSinkConnections', 'SMELL'));
  assert.deepEqual([wrongEnum.code, wrongEnum.type], [40001, 'MARSHALL_ERROR']);
  // A remote object of the wrong class: the pipeline is no MediaElement.
  const wrongClass = await failureOf(element.call('connect', pipeline));
  assert.deepEqual([wrongClass.code, wrongClass.type], [40001, 'MARSHALL_ERROR']);
  // Nothing changed.
  assert.equal(await element.call('getName'), element.id);
  assert.equal(await pipeline.call('getLatencyStats'), false);
});

test('unknown operation: error 40008 "Method ... not found"', async () => {
  // The client's generic invoke sends any operation name.
  assert.deepEqual(await failureOf(element.invoke('fooBar')), {
    name: 'Error',
    code: 40008,
    type: 'MALFORMED_TRANSACTION',
    message: "Method 'fooBar' with 0 parameters not found",
  });
  // A pipeline method called on an element proxy (an application holding the wrong proxy).
  assert.deepEqual(await failureOf(element.callAs('MediaPipeline', 'setLatencyStats', true)), {
    name: 'Error',
    code: 40008,
    type: 'MALFORMED_TRANSACTION',
    message: "Method 'setLatencyStats' with 1 parameters not found",
  });
  // Read-only and final properties have no setter.
  const final = await failureOf(element.invoke('setCreationTime', { creationTime: 1 }));
  assert.deepEqual([final.code, final.message], [40008, "Method 'setCreationTime' with 1 parameters not found"]);
  const readOnly = await failureOf(element.invoke('setChildren', { children: [] }));
  assert.deepEqual([readOnly.code, readOnly.type], [40008, 'MALFORMED_TRANSACTION']);
});

test('unsupported event: the client refuses it on its proxies; the server answers 40106', async () => {
  assert.throws(() => element.events('ObjectCreated'), { name: 'SyntaxError', message: "PassThrough doesn't accept events of type 'ObjectCreated'" });
  // The same subscription through the client's RPC channel reaches the server.
  for (const type of ['ObjectCreated', 'IceCandidateFound', 'NoSuchEvent']) {
    assert.deepEqual(await failureOf(element.subscribeRaw(type)), {
      name: 'Error',
      code: 40106,
      type: 'MEDIA_OBJECT_EVENT_NOT_SUPPORTED',
      message: `Event '${type}' not supported`,
    });
  }
  // A supported one is granted a subscription id.
  const granted = await element.subscribeRaw('ElementConnected');
  assert.match((granted as { value: string }).value, /^[0-9a-f-]{36}$/);
});

test('missing tag: error 40110', async () => {
  const err = await failureOf(element.call('getTag', 'absent'));
  assert.deepEqual([err.name, err.code, err.type], ['Error', 40110, 'MEDIA_OBJECT_TAG_KEY_NOT_FOUND']);
});
