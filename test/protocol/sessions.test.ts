/**
 * Sessions as KMS keeps them (ServerMethods.cpp, WebSocketTransport.cpp, MediaSet.cpp): ids the
 * server hands out and injects, `connect`/`keepAlive` validation, adoption of unknown ids, the
 * connection that receives a session's events, closeSession, ref and unref.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useRawClients, type RawClient } from '../helpers/raw-client.js';
import { assertResult, assertRpcError, resultOf, UUID } from '../helpers/rpc-assert.js';

const { client } = useRawClients();

/** A client whose socket is bound to a fresh session, obtained the way the JS client does. */
async function sessionClient(): Promise<{ c: RawClient; sessionId: string }> {
  const c = await client();
  const described = resultOf(await c.request('describe', { object: 'manager_ServerManager' }));
  return { c, sessionId: described.sessionId as string };
}

async function create(c: RawClient, type: string, constructorParams?: Record<string, unknown>): Promise<string> {
  const result = resultOf(await c.request('create', { type, ...(constructorParams ? { constructorParams } : {}), properties: {} }));
  return result.value as string;
}

/** A client subscribed to ObjectDestroyed on the ServerManager. */
async function destructionObserver(): Promise<RawClient> {
  const o = await client();
  resultOf(await o.request('subscribe', { object: 'manager_ServerManager', type: 'ObjectDestroyed' }));
  return o;
}

function destroyedIds(o: RawClient): string[] {
  return o.events('ObjectDestroyed').map((e) => e.data.objectId as string);
}

const INVALID_SESSION = { code: 40007, message: 'Invalid session', type: 'INVALID_SESSION' };

test('the first describe of the ServerManager assigns a session, later requests get it injected', async () => {
  const c = await client();
  const described = await c.request('describe', { object: 'manager_ServerManager' }, 'first');
  assert.match(described.result.sessionId, UUID);
  const sessionId = described.result.sessionId as string;
  assertResult(described, 'first', { sessionId, type: 'ServerManager', qualifiedType: 'kurento.ServerManager', hierarchy: ['kurento.MediaObject'] });

  const info = resultOf(await c.request('invoke', { object: 'manager_ServerManager', operation: 'getInfo' }));
  assert.equal(info.sessionId, sessionId);
  assert.equal(info.value.__type__, 'ServerInfo');

  // Even a ping without params carries the connection's session once it has one.
  const pong = await c.request('ping');
  assertResult(pong, pong.id, { value: 'pong', sessionId });

  const pipeline = resultOf(await c.request('create', { type: 'MediaPipeline' }));
  assert.equal(pipeline.sessionId, sessionId);

  // A session named explicitly is used as is, and the socket now belongs to it.
  const explicit = `explicit-${sessionId}`;
  assert.equal(resultOf(await c.request('describe', { object: pipeline.value, sessionId: explicit })).sessionId, explicit);
  const pong2 = await c.request('ping');
  assertResult(pong2, pong2.id, { value: 'pong', sessionId: explicit });
});

test('a ping on a socket without a session is answered without one', async () => {
  const c = await client();
  assertResult(await c.request('ping', { interval: 5000 }, 'p1'), 'p1', { value: 'pong' });
  assertResult(await c.request('ping', undefined, 'p2'), 'p2', { value: 'pong' });
});

test('connect without params opens a new session and names the server', async () => {
  const a = await client();
  const b = await client();
  const first = resultOf(await a.request('connect'));
  const second = resultOf(await b.request('connect'));
  assert.deepEqual(Object.keys(first).sort(), ['serverId', 'sessionId']);
  assert.match(first.sessionId, UUID);
  assert.match(first.serverId, UUID);
  assert.notEqual(first.sessionId, second.sessionId);
  // One server process, one server id.
  assert.equal(first.serverId, second.serverId);
  // The socket is bound to the new session.
  const pong = await a.request('ping');
  assertResult(pong, pong.id, { value: 'pong', sessionId: first.sessionId });
});

test('connect with an unknown session is 40007 INVALID_SESSION', async () => {
  const c = await client();
  assertRpcError(await c.request('connect', { sessionId: 'no-such-session' }, 'c1'), { id: 'c1', ...INVALID_SESSION });
  // The failed connect did not bind the socket to that session.
  const pong = await c.request('ping');
  assertResult(pong, pong.id, { value: 'pong' });
});

test('connect with a known session keeps it', async () => {
  const { sessionId } = await sessionClient();
  const other = await client();
  const connected = resultOf(await other.request('connect', { sessionId }));
  assert.equal(connected.sessionId, sessionId);
  assert.match(connected.serverId, UUID);
  const pong = await other.request('ping');
  assertResult(pong, pong.id, { value: 'pong', sessionId });
});

test('an unknown session id in create is adopted', async () => {
  const c = await client();
  const sessionId = `client-chosen-${Date.now()}`;
  const created = resultOf(await c.request('create', { type: 'MediaPipeline', sessionId }));
  assert.equal(created.sessionId, sessionId);
  // From now on the session is known: keepAlive and connect accept it.
  assertResult(await c.request('keepAlive', { sessionId }, 'ka1'), 'ka1', { sessionId });
  const other = await client();
  assert.equal(resultOf(await other.request('connect', { sessionId })).sessionId, sessionId);
  assert.equal(resultOf(await other.request('describe', { object: created.value })).type, 'MediaPipeline');
});

test("a session's events go to the connection it was last bound to", async () => {
  const { c: a, sessionId } = await sessionClient();
  const pipeline = await create(a, 'MediaPipeline');
  const source = await create(a, 'PassThrough', { mediaPipeline: pipeline });
  const sink = await create(a, 'PassThrough', { mediaPipeline: pipeline });
  resultOf(await a.request('subscribe', { object: source, type: 'ElementConnected' }));

  // A second socket takes the session over.
  const b = await client();
  assert.equal(resultOf(await b.request('connect', { sessionId })).sessionId, sessionId);

  // A third party (its own session) makes the event happen.
  const trigger = await client();
  resultOf(await trigger.request('invoke', { object: source, operation: 'connect', operationParams: { sink, mediaType: 'VIDEO' } }));
  const event = await b.waitForEvent('ElementConnected', source);
  assert.equal(event.params.value.data.mediaType, 'VIDEO');
  await a.barrier();
  assert.deepEqual(a.events(), []);
  await trigger.barrier();
  assert.deepEqual(trigger.events(), []);

  // The first socket takes it back with any request naming the session.
  resultOf(await a.request('ping', { sessionId }));
  resultOf(await trigger.request('invoke', { object: source, operation: 'connect', operationParams: { sink, mediaType: 'AUDIO' } }));
  const back = await a.waitForEvent('ElementConnected', source);
  assert.equal(back.params.value.data.mediaType, 'AUDIO');
  await b.barrier();
  assert.equal(b.events('ElementConnected').length, 1);
});

test('a connection that moves to another session stops carrying the first one\'s events', async () => {
  const { c: a, sessionId } = await sessionClient();
  const pipeline = await create(a, 'MediaPipeline');
  const source = await create(a, 'PassThrough', { mediaPipeline: pipeline });
  const sink = await create(a, 'PassThrough', { mediaPipeline: pipeline });
  resultOf(await a.request('subscribe', { object: source, type: 'ElementConnected' }));

  // The socket switches to another session: the first one is left without a connection.
  const other = `other-${sessionId}`;
  assert.equal(resultOf(await a.request('describe', { object: pipeline, sessionId: other })).sessionId, other);
  const trigger = await client();
  resultOf(await trigger.request('invoke', { object: source, operation: 'connect', operationParams: { sink, mediaType: 'VIDEO' } }));
  await a.barrier();
  assert.deepEqual(a.events(), []);

  // Back on the first session, events flow again.
  resultOf(await a.request('ping', { sessionId }));
  resultOf(await trigger.request('invoke', { object: source, operation: 'connect', operationParams: { sink, mediaType: 'AUDIO' } }));
  const event = await a.waitForEvent('ElementConnected', source);
  assert.equal(event.params.value.data.mediaType, 'AUDIO');
});

test('keepAlive accepts a known session and rejects an unknown one with 40007', async () => {
  const { c, sessionId } = await sessionClient();
  assertResult(await c.request('keepAlive', { sessionId }, 'ka-known'), 'ka-known', { sessionId });
  // Injected from the connection as well.
  assertResult(await c.request('keepAlive', {}, 'ka-injected'), 'ka-injected', { sessionId });
  assertRpcError(await c.request('keepAlive', { sessionId: 'never-seen' }, 'ka-unknown'), { id: 'ka-unknown', ...INVALID_SESSION });
});

test('closeSession without release lets go of the objects only that session holds', async () => {
  const observer = await destructionObserver();
  const { c: a, sessionId: sa } = await sessionClient();
  const own = await create(a, 'MediaPipeline');
  const ownChild = await create(a, 'PassThrough', { mediaPipeline: own });
  const shared = await create(a, 'MediaPipeline');
  const { c: b, sessionId: sb } = await sessionClient();
  assertResult(await b.request('ref', { object: shared, sessionId: sb }, 'ref-shared'), 'ref-shared', { sessionId: sb });

  assertResult(await a.request('closeSession', { sessionId: sa, release: false }, 'close-a'), 'close-a', null);
  await observer.waitFor(() => destroyedIds(observer).includes(own), 5000, true);
  await observer.barrier();
  assert.deepEqual(destroyedIds(observer).sort(), [own, ownChild].sort());
  // The shared pipeline is still there for the other session.
  assert.equal(resultOf(await b.request('describe', { object: shared })).type, 'MediaPipeline');
  // The closed session is gone.
  assertRpcError(await b.request('keepAlive', { sessionId: sa }, 'ka-closed'), { id: 'ka-closed', ...INVALID_SESSION });
});

test('closeSession with release destroys its objects even when other sessions hold them', async () => {
  const observer = await destructionObserver();
  const { c: a, sessionId: sa } = await sessionClient();
  const pipeline = await create(a, 'MediaPipeline');
  const child = await create(a, 'PassThrough', { mediaPipeline: pipeline });
  const { c: b, sessionId: sb } = await sessionClient();
  resultOf(await b.request('ref', { object: pipeline, sessionId: sb }));

  // `release` defaults to false; here it is given explicitly.
  assertResult(await a.request('closeSession', { sessionId: sa, release: true }, 'close-release'), 'close-release', null);
  await observer.waitFor(() => destroyedIds(observer).includes(pipeline), 5000, true);
  await observer.barrier();
  assert.deepEqual(destroyedIds(observer).sort(), [pipeline, child].sort());
  assertRpcError(await b.request('describe', { object: pipeline }, 'd-released'), {
    id: 'd-released',
    code: 40101,
    message: `Object '${pipeline}' not found`,
    type: 'MEDIA_OBJECT_NOT_FOUND',
  });
});

test('ref and unref add and remove an object from a session; the last unref destroys it', async () => {
  const observer = await destructionObserver();
  const { c: a, sessionId: sa } = await sessionClient();
  const pipeline = await create(a, 'MediaPipeline');
  const { c: b, sessionId: sb } = await sessionClient();
  assertResult(await b.request('ref', { object: pipeline, sessionId: sb }, 'ref-1'), 'ref-1', { sessionId: sb });
  assertRpcError(await b.request('ref', { object: 'no-such-object', sessionId: sb }, 'ref-unknown'), {
    id: 'ref-unknown',
    code: 40101,
    message: "Object 'no-such-object' not found",
    type: 'MEDIA_OBJECT_NOT_FOUND',
  });

  assertResult(await a.request('unref', { object: pipeline, sessionId: sa }, 'unref-a'), 'unref-a', { sessionId: sa });
  await observer.barrier();
  assert.deepEqual(destroyedIds(observer), []);
  assert.equal(resultOf(await b.request('describe', { object: pipeline })).type, 'MediaPipeline');

  assertResult(await b.request('unref', { object: pipeline, sessionId: sb }, 'unref-b'), 'unref-b', { sessionId: sb });
  const destroyed = await observer.waitForEvent('ObjectDestroyed');
  assert.equal(destroyed.params.value.data.objectId, pipeline);

  // Unknown (or already destroyed) objects are not an error for unref.
  assertResult(await b.request('unref', { object: pipeline, sessionId: sb }, 'unref-again'), 'unref-again', { sessionId: sb });
  assertResult(await b.request('unref', { object: 'no-such-object', sessionId: sb }, 'unref-unknown'), 'unref-unknown', { sessionId: sb });
});

test('unref drops the session\'s subscriptions to the object, even while others keep it alive', async () => {
  const { c: a, sessionId: sa } = await sessionClient();
  const pipeline = await create(a, 'MediaPipeline');
  const source = await create(a, 'PassThrough', { mediaPipeline: pipeline });
  const sink = await create(a, 'PassThrough', { mediaPipeline: pipeline });
  resultOf(await a.request('subscribe', { object: source, type: 'ElementConnected' }));
  const { c: b, sessionId: sb } = await sessionClient();
  // Holding an element holds its pipeline too (but holding a pipeline does not hold its children).
  resultOf(await b.request('ref', { object: source, sessionId: sb }));
  resultOf(await b.request('ref', { object: sink, sessionId: sb }));

  // Unref of the pipeline lets go of its children too, with their subscriptions.
  resultOf(await a.request('unref', { object: pipeline, sessionId: sa }));
  resultOf(await b.request('invoke', { object: source, operation: 'connect', operationParams: { sink, mediaType: 'VIDEO' } }));
  await a.barrier();
  assert.deepEqual(a.events(), []);
});

test('the ServerManager cannot be unreferenced or released away', async () => {
  const { c, sessionId } = await sessionClient();
  resultOf(await c.request('subscribe', { object: 'manager_ServerManager', type: 'ObjectCreated' }));
  assertResult(await c.request('unref', { object: 'manager_ServerManager', sessionId }, 'unref-manager'), 'unref-manager', { sessionId });
  assertResult(await c.request('release', { object: 'manager_ServerManager' }, 'release-manager'), 'release-manager', { sessionId });
  const described = resultOf(await c.request('describe', { object: 'manager_ServerManager' }));
  assert.equal(described.type, 'ServerManager');
  // Another session still finds it too.
  const other = await client();
  assert.equal(resultOf(await other.request('invoke', { object: 'manager_ServerManager', operation: 'getInfo' })).value.type, 'KMS');
});

test('requests sent back to back on a fresh socket share the session the first one opened', async () => {
  const c = await client();
  // Sent without waiting: each request must see the session its predecessor bound the socket to.
  const ids = ['burst-create-0', 'burst-ping-0', 'burst-create-1', 'burst-ping-1', 'burst-create-2'];
  const answers = ids.map((id) => c.waitFor((m) => m.id === id));
  for (const id of ids) {
    const create = id.includes('create');
    c.send({ jsonrpc: '2.0', id, method: create ? 'create' : 'ping', ...(create ? { params: { type: 'MediaPipeline' } } : {}) });
  }
  const sessions = new Set((await Promise.all(answers)).map((r) => resultOf(r).sessionId));
  assert.equal(sessions.size, 1, `one session expected, got ${JSON.stringify([...sessions])}`);
});

test('a request that moves the socket to another session applies before the requests sent after it', async () => {
  const { c } = await sessionClient();
  const pipeline = await create(c, 'MediaPipeline');
  const other = `moved-${Date.now()}`;
  const moved = c.waitFor((m) => m.id === 'move');
  const followers = ['after-0', 'after-1'].map((id) => c.waitFor((m) => m.id === id));
  // A slow request (through the media worker) that switches the session, then two that rely on injection.
  c.send({ jsonrpc: '2.0', id: 'move', method: 'invoke', params: { object: pipeline, operation: 'getGstreamerDot', sessionId: other } });
  c.send({ jsonrpc: '2.0', id: 'after-0', method: 'ping' });
  c.send({ jsonrpc: '2.0', id: 'after-1', method: 'invoke', params: { object: pipeline, operation: 'getName' } });
  assert.equal(resultOf(await moved).sessionId, other);
  for (const follower of await Promise.all(followers)) assert.equal(resultOf(follower).sessionId, other);
});
