/**
 * Session garbage collection (MediaSet::doGarbageCollection with a 1 s period instead of 240 s)
 * and the duplicate-request cache (ServerMethods::preProcess/postProcess).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useRawClients, type RawClient } from '../helpers/raw-client.js';
import { assertRpcError, resultOf } from '../helpers/rpc-assert.js';

const GC_PERIOD_S = 1;
/** An idle session is collected on the second pass after its last use: allow a few more. */
const COLLECTION_TIMEOUT_MS = 5 * GC_PERIOD_S * 1000;

const { client } = useRawClients(['--workers', '1', '--gc-period', String(GC_PERIOD_S)]);

async function create(c: RawClient, type: string, constructorParams?: Record<string, unknown>): Promise<{ value: string; sessionId: string }> {
  return resultOf(await c.request('create', { type, ...(constructorParams ? { constructorParams } : {}) }));
}

function destroyedIds(o: RawClient): string[] {
  return o.events('ObjectDestroyed').map((e) => e.data.objectId as string);
}

/** Waits until the observer has seen `objectId` destroyed. */
async function waitDestroyed(observer: RawClient, objectId: string): Promise<void> {
  await observer.waitFor(() => destroyedIds(observer).includes(objectId), COLLECTION_TIMEOUT_MS, true);
}

test('the objects of a session whose socket closed are collected; an open socket keeps its session alive', async () => {
  const observer = await client();
  resultOf(await observer.request('subscribe', { object: 'manager_ServerManager', type: 'ObjectDestroyed' }));

  // This session stays connected but sends nothing more for the whole test.
  const keeper = await client();
  const kept = await create(keeper, 'MediaPipeline');

  const gone = await client();
  const pipeline = await create(gone, 'MediaPipeline');
  const child = await create(gone, 'PassThrough', { mediaPipeline: pipeline.value });
  await gone.closeAndWait();
  // Closing the socket releases nothing by itself; the collector does, within a few periods.
  await waitDestroyed(observer, pipeline.value);
  await waitDestroyed(observer, child.value);

  // A second disconnected session, collected later: by then the collector has run at least four
  // passes over the idle-but-connected session above (two per collection).
  const later = await client();
  const second = await create(later, 'MediaPipeline');
  await later.closeAndWait();
  await waitDestroyed(observer, second.value);

  await observer.barrier();
  assert.ok(!destroyedIds(observer).includes(kept.value), 'the connected session lost its pipeline');
  assert.deepEqual(resultOf(await keeper.request('describe', { object: kept.value })).type, 'MediaPipeline');
  // The collected session is gone: it cannot be resumed.
  assertRpcError(await observer.request('connect', { sessionId: pipeline.sessionId }, 'resume'), {
    id: 'resume',
    code: 40007,
    message: 'Invalid session',
    type: 'INVALID_SESSION',
  });
});

test('an object another connected session holds survives the collection of its creator', async () => {
  const observer = await client();
  resultOf(await observer.request('subscribe', { object: 'manager_ServerManager', type: 'ObjectDestroyed' }));
  const creator = await client();
  const shared = await create(creator, 'MediaPipeline');
  const own = await create(creator, 'MediaPipeline');
  const holder = await client();
  const { sessionId } = resultOf(await holder.request('describe', { object: shared.value }));
  assert.notEqual(sessionId, shared.sessionId);

  await creator.closeAndWait();
  await waitDestroyed(observer, own.value);
  await observer.barrier();
  assert.ok(!destroyedIds(observer).includes(shared.value));
  assert.equal(resultOf(await holder.request('describe', { object: shared.value })).type, 'MediaPipeline');
});

test('a repeated request id within a session is answered from the cache without running again', async () => {
  const observer = await client();
  resultOf(await observer.request('subscribe', { object: 'manager_ServerManager', type: 'ObjectCreated' }));

  const c = await client();
  // The first request has no session yet: the response is cached under the session it created.
  const first = await c.request('create', { type: 'MediaPipeline' }, 'dup-1');
  const pipeline = resultOf(first).value as string;
  await observer.waitFor(() => observer.events('ObjectCreated').some((e) => e.data.object === pipeline), 5000, true);
  await observer.barrier();
  const seen = observer.events('ObjectCreated').length;

  const again = await c.request('create', { type: 'MediaPipeline' }, 'dup-1');
  assert.deepEqual(again, first);
  // Explicitly naming the same session is the same request too (the JS client does that).
  const named = await c.request('create', { type: 'MediaPipeline', sessionId: first.result.sessionId }, 'dup-1');
  assert.deepEqual(named, first);
  await observer.barrier();
  assert.equal(observer.events('ObjectCreated').length, seen, 'a cached request created another object');
  const pipelines = resultOf(await c.request('invoke', { object: 'manager_ServerManager', operation: 'getPipelines' })).value as string[];
  assert.equal(pipelines.filter((p) => p === pipeline).length, 1);

  // Another session with the same request id is a different request.
  const other = await client();
  const fresh = await other.request('create', { type: 'MediaPipeline' }, 'dup-1');
  assert.notEqual(resultOf(fresh).value, pipeline);
  assert.notEqual(fresh.result.sessionId, first.result.sessionId);
});

test('a request retried on a new socket of the same session gets the cached response', async () => {
  const c = await client();
  const { sessionId } = resultOf(await c.request('describe', { object: 'manager_ServerManager' }));
  const first = await c.request('create', { type: 'MediaPipeline' }, 'retry-1');
  resultOf(first);
  await c.closeAndWait();

  // The client reconnects and repeats the request whose response it may have lost.
  const reconnected = await client();
  assert.equal(resultOf(await reconnected.request('connect', { sessionId })).sessionId, sessionId);
  assert.deepEqual(await reconnected.request('create', { type: 'MediaPipeline' }, 'retry-1'), first);
});
