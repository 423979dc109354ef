/**
 * kuroshio-client against a running Kuroshio: every kind of call the generated classes make —
 * create with typed constructor params, methods returning values, objects, lists of objects or
 * nothing, property getters and setters, complex-type params and results, typed events with
 * their object fields made objects, unsubscription, transactions with objects created in them,
 * release — and typed errors carrying Kurento's codes. Then reconnection: after the network drops
 * the client resumes its session (its objects and subscriptions still work); after the server
 * restarts it says the session is new.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  ConnectionError,
  KurentoClient,
  KurentoError,
  MediaPipeline,
  PassThrough,
  WebRtcEndpoint,
  isKurentoError,
  type ElementConnectedEvent,
  type ObjectCreatedEvent,
} from 'kuroshio-client';
import { setUp, startServer, type RunningServer } from '../helpers/server-process.js';

let server: RunningServer | undefined;
let client: KurentoClient | undefined;

before(async () => {
  server = await startServer({ args: ['--workers', '1'] });
  client = await KurentoClient.connect(server.url);
});

after(async () => {
  client?.close();
  await server?.stop();
});

/** Resolves with the first value `subscribe` hands its callback. */
function first<T>(subscribe: (callback: (value: T) => void) => Promise<unknown>): { subscribed: Promise<unknown>; value: Promise<T> } {
  let resolveValue: (value: T) => void = () => undefined;
  const value = new Promise<T>((resolve) => (resolveValue = resolve));
  return { subscribed: subscribe((v) => resolveValue(v)), value };
}

test('create, methods of every return kind, properties, complex types, release', async () => {
  const c = setUp(client, 'client');
  const pipeline = await c.create('MediaPipeline');
  assert.ok(pipeline instanceof MediaPipeline);
  assert.match(pipeline.id, /_kurento\.MediaPipeline$/);
  const a = await c.create('PassThrough', { mediaPipeline: pipeline });
  const b = await c.create('WebRtcEndpoint', { mediaPipeline: pipeline, recvonly: false });
  assert.ok(a instanceof PassThrough && b instanceof WebRtcEndpoint);
  // A void method, then methods returning a list of complex values and a boolean.
  await a.connect(b, 'VIDEO');
  const connections = await a.getSinkConnections('VIDEO');
  assert.equal(connections.length, 1);
  assert.equal(connections[0]!.type, 'VIDEO');
  assert.equal(await b.isMediaFlowingIn('VIDEO'), false);
  // An object, and a list of objects, come back as the same typed objects.
  assert.equal(await a.getMediaPipeline(), pipeline);
  const children = await pipeline.getChildren();
  assert.deepEqual(children.map((o) => o.id).sort(), [a.id, b.id].sort());
  assert.ok(children.includes(b));
  // Property setter and getter, a string-valued method with a complex param.
  await a.setName('the pass-through');
  assert.equal(await a.getName(), 'the pass-through');
  await b.setMaxVideoRecvBandwidth(1234);
  assert.equal(await b.getMaxVideoRecvBandwidth(), 1234);
  await a.addTag('role', 'mixer-input');
  assert.deepEqual((await a.getTags()).map(({ key, value }) => ({ key, value })), [{ key: 'role', value: 'mixer-input' }]);
  const stats = await a.getStats();
  assert.ok(Object.values(stats).some((s) => s.type === 'element'));
  // The server manager: a complex result, and an object list.
  const manager = c.getServerManager();
  const info = await manager.getInfo();
  assert.equal(info.type, 'KMS');
  assert.ok((await manager.getPipelines()).includes(pipeline));
  assert.ok((await manager.getUsedMemory()) > 0);
  // An object seen first by id is described and made of its class.
  assert.ok((await c.getMediaObjectById(b.id)) === b);
  await pipeline.release();
  await assert.rejects(a.getName(), (err) => isKurentoError(err, 'MEDIA_OBJECT_NOT_FOUND') && err.code === 40101);
});

test('errors carry Kurento codes and types', async () => {
  const c = setUp(client, 'client');
  const pipeline = await c.create('MediaPipeline');
  try {
    const endpoint = await c.create('WebRtcEndpoint', { mediaPipeline: pipeline });
    const error = await endpoint.processOffer('not an SDP').then(
      () => assert.fail('an invalid offer was accepted'),
      (err: unknown) => err,
    );
    assert.ok(error instanceof KurentoError);
    assert.equal(error.code, 40201);
    assert.equal(error.type, 'SDP_PARSE_ERROR');
    await assert.rejects(c.getServerManager().getKmd('no-such-module'), (err) => isKurentoError(err, 'SERVER_MANAGER_ERROR_KMD_NOT_FOUND'));
  } finally {
    await pipeline.release();
  }
});

test('typed events, with object fields as objects, and unsubscription', async () => {
  const c = setUp(client, 'client');
  const manager = c.getServerManager();
  const created = first<ObjectCreatedEvent>((cb) => manager.on('ObjectCreated', cb));
  await created.subscribed;
  const pipeline = await c.create('MediaPipeline');
  try {
    const event = await created.value;
    assert.equal(event.object, pipeline, 'the event names the object the client already has');
    assert.equal(event.source, manager);
    const a = await c.create('PassThrough', { mediaPipeline: pipeline });
    const b = await c.create('PassThrough', { mediaPipeline: pipeline });
    const connected = first<ElementConnectedEvent>((cb) => a.on('ElementConnected', cb));
    const subscription = await connected.subscribed;
    await a.connect(b, 'AUDIO');
    const data = await connected.value;
    assert.equal(data.sink, b);
    assert.equal(data.mediaType, 'AUDIO');
    assert.equal(data.type, 'ElementConnected');
    // After unsubscribing nothing more arrives: a later connection's event is not seen.
    let later = 0;
    const other = await a.on('ElementDisconnected', () => later++);
    await (subscription as { unsubscribe(): Promise<void> }).unsubscribe();
    await other.unsubscribe();
    await a.disconnect(b, 'AUDIO');
    await a.getName(); // a round trip: any event the disconnection raised has arrived by now
    assert.equal(later, 0);
  } finally {
    await pipeline.release();
  }
});

test('transactions: objects created in one are usable in it; results settle at commit; a failure stops it', async () => {
  const c = setUp(client, 'client');
  const tx = c.beginTransaction();
  const pipeline = tx.create('MediaPipeline');
  const a = tx.create('PassThrough', { mediaPipeline: pipeline });
  const b = tx.create('PassThrough', { mediaPipeline: pipeline });
  const connected = tx.with(a).connect(b);
  const name = tx.with(b).getName();
  assert.throws(() => a.id, /not committed yet/);
  await tx.commit();
  await connected;
  assert.equal(await name, b.id);
  assert.equal((await a.getSinkConnections()).length, 3);
  assert.equal(await a.getMediaPipeline(), pipeline);

  const failing = c.beginTransaction();
  const good = failing.with(a).setName('first');
  const bad = failing.with(a).getTag('no-such-tag');
  const skipped = failing.with(a).setName('never');
  await assert.rejects(failing.commit(), (err) => isKurentoError(err, 'MEDIA_OBJECT_TAG_KEY_NOT_FOUND'));
  await good;
  await assert.rejects(bad, (err) => isKurentoError(err, 'MEDIA_OBJECT_TAG_KEY_NOT_FOUND'));
  await assert.rejects(skipped, /not executed/);
  assert.equal(await a.getName(), 'first');
  await c.transaction((t) => t.with(pipeline).release());
  await assert.rejects(a.getName(), (err) => isKurentoError(err, 'MEDIA_OBJECT_NOT_FOUND'));
});

test('after a network drop the client resumes its session: objects and subscriptions still work', async () => {
  const s = setUp(server, 'server');
  const c = await KurentoClient.connect(s.url, { reconnectDelayMs: 50 });
  try {
    const session = c.session;
    const pipeline = await c.create('MediaPipeline');
    const a = await c.create('PassThrough', { mediaPipeline: pipeline });
    const b = await c.create('PassThrough', { mediaPipeline: pipeline });
    const events: string[] = [];
    await a.on('ElementConnected', (e) => events.push(e.mediaType));
    const reconnected = new Promise<{ sameSession: boolean }>((resolve) => c.on('reconnected', resolve));
    let dropped = false;
    c.on('disconnected', () => (dropped = true));
    c.simulateNetworkDrop();
    // A call made while the connection is down waits for it, and goes through after the resumption.
    const during = a.connect(b, 'VIDEO');
    assert.deepEqual(await reconnected, { sameSession: true });
    assert.ok(dropped);
    assert.equal(c.session, session);
    await during;
    assert.equal(await b.getMediaPipeline(), pipeline);
    // The subscription made before the drop still delivers, on the new connection.
    await a.connect(b, 'AUDIO');
    await a.getName();
    assert.deepEqual(events.sort(), ['AUDIO', 'VIDEO']);
    await pipeline.release();
  } finally {
    c.close();
  }
});

test('after a server restart the session is gone: the client says so and goes on with a new one', async () => {
  const first = await startServer({ args: ['--workers', '1'] });
  const port = first.port;
  const c = await KurentoClient.connect(first.url, { reconnectDelayMs: 100, maxReconnectDelayMs: 300 });
  let second: RunningServer | undefined;
  try {
    const old = c.session;
    await c.create('MediaPipeline');
    const reconnected = new Promise<{ sameSession: boolean }>((resolve) => c.on('reconnected', resolve));
    await first.stop();
    second = await startServer({ defaultArgs: false, args: ['--port', String(port), '--host', '127.0.0.1', '--workers', '1'] });
    assert.deepEqual(await reconnected, { sameSession: false });
    assert.notEqual(c.session, old);
    assert.ok((await c.create('MediaPipeline')) instanceof MediaPipeline);
  } finally {
    c.close();
    await second?.stop();
    await first.stop();
  }
  await assert.rejects(c.create('MediaPipeline'), (err) => err instanceof ConnectionError);
});
