/**
 * `onEvent` notifications exactly as KMS sends them (PROTOCOL.md (c)), tags in events, and the
 * one-handler-per-(session, object, event) rule.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useRawClients, type Message, type RawClient } from '../helpers/raw-client.js';
import { assertResult, resultOf, UUID } from '../helpers/rpc-assert.js';

const { client } = useRawClients();

async function create(c: RawClient, type: string, constructorParams?: Record<string, unknown>): Promise<string> {
  return resultOf(await c.request('create', { type, ...(constructorParams ? { constructorParams } : {}) })).value as string;
}

/** A pipeline with two PassThroughs, created by `c`. */
async function twoPassThroughs(c: RawClient): Promise<{ pipeline: string; source: string; sink: string }> {
  const pipeline = await create(c, 'MediaPipeline');
  const source = await create(c, 'PassThrough', { mediaPipeline: pipeline });
  const sink = await create(c, 'PassThrough', { mediaPipeline: pipeline });
  return { pipeline, source, sink };
}

/** Checks `timestampMillis` (a decimal string close to now) and returns the message with it blanked. */
function withoutTimestamp(message: Message): Message {
  const stamp = message.params?.value?.data?.timestampMillis;
  assert.equal(typeof stamp, 'string', `timestampMillis should be a string: ${JSON.stringify(message)}`);
  assert.match(stamp, /^\d+$/);
  assert.ok(Math.abs(Number(stamp) - Date.now()) < 60_000, `timestampMillis ${stamp} is not now`);
  const copy = structuredClone(message);
  copy.params.value.data.timestampMillis = '<now>';
  return copy;
}

test('ElementConnected is sent exactly in KMS onEvent shape', async () => {
  const c = await client();
  const { source, sink } = await twoPassThroughs(c);
  const subscription = resultOf(await c.request('subscribe', { object: source, type: 'ElementConnected' }));
  assert.match(subscription.value, UUID);

  resultOf(await c.request('invoke', { object: source, operation: 'connect', operationParams: { sink, mediaType: 'VIDEO' } }));
  const event = await c.waitForEvent('ElementConnected', source);
  assert.deepEqual(withoutTimestamp(event), {
    jsonrpc: '2.0',
    method: 'onEvent',
    params: {
      value: {
        data: {
          mediaType: 'VIDEO',
          sink,
          sinkMediaDescription: 'default',
          source,
          sourceMediaDescription: 'default',
          tags: [],
          timestampMillis: '<now>',
          type: 'ElementConnected',
        },
        object: source,
        type: 'ElementConnected',
      },
    },
  });

  // Without a media type, KMS connects AUDIO, VIDEO and DATA, one event each.
  resultOf(await c.request('invoke', { object: source, operation: 'connect', operationParams: { sink } }));
  await c.barrier();
  assert.deepEqual(
    c.events('ElementConnected').map((e) => e.data.mediaType),
    ['VIDEO', 'AUDIO', 'VIDEO', 'DATA'],
  );
});

test('ObjectCreated and ObjectDestroyed are sent exactly in KMS onEvent shape', async () => {
  const observer = await client();
  resultOf(await observer.request('subscribe', { object: 'manager_ServerManager', type: 'ObjectCreated' }));
  resultOf(await observer.request('subscribe', { object: 'manager_ServerManager', type: 'ObjectDestroyed' }));
  const c = await client();
  const pipeline = await create(c, 'MediaPipeline');

  const created = await observer.waitForEvent('ObjectCreated');
  // Not a media event: no data.type.
  assert.deepEqual(withoutTimestamp(created), {
    jsonrpc: '2.0',
    method: 'onEvent',
    params: {
      value: {
        data: { object: pipeline, source: 'manager_ServerManager', tags: [], timestampMillis: '<now>' },
        object: 'manager_ServerManager',
        type: 'ObjectCreated',
      },
    },
  });

  resultOf(await c.request('release', { object: pipeline }));
  const destroyed = await observer.waitForEvent('ObjectDestroyed');
  assert.deepEqual(withoutTimestamp(destroyed), {
    jsonrpc: '2.0',
    method: 'onEvent',
    params: {
      value: {
        data: { objectId: pipeline, source: 'manager_ServerManager', tags: [], timestampMillis: '<now>' },
        object: 'manager_ServerManager',
        type: 'ObjectDestroyed',
      },
    },
  });
});

test('tags appear in events only after setSendTagsInEvents(true)', async () => {
  const c = await client();
  const { source, sink } = await twoPassThroughs(c);
  resultOf(await c.request('subscribe', { object: source, type: 'ElementConnected' }));
  resultOf(await c.request('invoke', { object: source, operation: 'addTag', operationParams: { key: 'room', value: 'blue' } }));
  resultOf(await c.request('invoke', { object: source, operation: 'addTag', operationParams: { key: 'user', value: '42' } }));

  resultOf(await c.request('invoke', { object: source, operation: 'connect', operationParams: { sink, mediaType: 'AUDIO' } }));
  const untagged = await c.waitForEvent('ElementConnected', source);
  assert.deepEqual(untagged.params.value.data.tags, []);

  const set = await c.request('invoke', { object: source, operation: 'setSendTagsInEvents', operationParams: { sendTagsInEvents: true } }, 'tags-on');
  assertResult(set, 'tags-on', { value: null, sessionId: set.result.sessionId });
  assert.equal(resultOf(await c.request('invoke', { object: source, operation: 'getSendTagsInEvents' })).value, true);

  resultOf(await c.request('invoke', { object: source, operation: 'connect', operationParams: { sink, mediaType: 'VIDEO' } }));
  const tagged = await c.waitFor((m) => m.method === 'onEvent' && m.params.value.data.mediaType === 'VIDEO', 10_000, true);
  assert.deepEqual(tagged.params.value.data.tags, [
    { __module__: 'kurento', __type__: 'Tag', key: 'room', value: 'blue' },
    { __module__: 'kurento', __type__: 'Tag', key: 'user', value: '42' },
  ]);
});

test('two subscriptions of one session to the same event deliver it once; each session gets its own copy', async () => {
  const c = await client();
  const { source, sink } = await twoPassThroughs(c);
  const first = resultOf(await c.request('subscribe', { object: source, type: 'ElementConnected' })).value as string;
  const second = resultOf(await c.request('subscribe', { object: source, type: 'ElementConnected' })).value as string;
  assert.notEqual(first, second);
  const other = await client();
  resultOf(await other.request('subscribe', { object: source, type: 'ElementConnected' }));

  resultOf(await c.request('invoke', { object: source, operation: 'connect', operationParams: { sink, mediaType: 'VIDEO' } }));
  await other.waitForEvent('ElementConnected', source);
  await c.barrier();
  await other.barrier();
  assert.equal(c.events('ElementConnected').length, 1);
  assert.equal(other.events('ElementConnected').length, 1);

  // While one subscription remains, the session still gets the event; after the last, not.
  resultOf(await c.request('unsubscribe', { object: source, subscription: first }));
  resultOf(await c.request('invoke', { object: source, operation: 'connect', operationParams: { sink, mediaType: 'AUDIO' } }));
  await other.waitFor(() => other.events('ElementConnected').length === 2, 10_000, true);
  await c.barrier();
  assert.equal(c.events('ElementConnected').length, 2);

  resultOf(await c.request('unsubscribe', { object: source, subscription: second }));
  resultOf(await c.request('invoke', { object: source, operation: 'connect', operationParams: { sink, mediaType: 'DATA' } }));
  await other.waitFor(() => other.events('ElementConnected').length === 3, 10_000, true);
  await c.barrier();
  assert.equal(c.events('ElementConnected').length, 2);
});
