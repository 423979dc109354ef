/**
 * kurento-client@7.3.0 against Kuroshio: event subscriptions as the client manages them (lazily,
 * on the first listener, dropped with the last), across sessions and inside transactions.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type RunningServer } from '../helpers/server-process.js';
import { Kurento, type EventData, type Remote } from '../helpers/kurento-client.js';

let server: RunningServer;
let kurento: Kurento;

before(async () => {
  server = await startServer({ args: ['--workers', '1'] });
  kurento = await Kurento.connect(server.url);
});

after(async () => {
  await kurento?.close();
  await server?.stop();
});

test('two listeners make one subscription, and each event arrives once', async () => {
  const pipeline = await kurento.create('MediaPipeline');
  try {
    const source = await pipeline.create('PassThrough');
    const sink = await pipeline.create('PassThrough');
    const subscribesBefore = kurento.sentWith('subscribe').length;
    const first = source.events('ElementConnected');
    const second = source.events('ElementConnected');
    await source.call('connect', sink, 'AUDIO');
    assert.equal((await first.next()).mediaType, 'AUDIO');
    assert.equal((await second.next()).mediaType, 'AUDIO');
    assert.equal(kurento.sentWith('subscribe').length, subscribesBefore + 1);
    assert.deepEqual(kurento.sentWith('subscribe').at(-1)?.params, { object: source.id, type: 'ElementConnected', sessionId: kurento.sessionId });
    assert.equal(kurento.receivedEvents('ElementConnected').filter((e) => e.object === source.id).length, 1);
    first.stop();
    second.stop();
  } finally {
    await pipeline.release();
  }
});

test('removing the last listener unsubscribes: the server stops sending the event', async () => {
  const pipeline = await kurento.create('MediaPipeline');
  try {
    const source = await pipeline.create('PassThrough');
    const sink = await pipeline.create('PassThrough');
    const connected = source.events('ElementConnected');
    await source.call('connect', sink, 'AUDIO');
    await connected.next();
    const subscription = kurento.received.find((m) => {
      const sent = kurento.sentWith('subscribe').find((s) => s.params?.object === source.id);
      return sent !== undefined && m.id === sent.id;
    });
    const token = (subscription?.result as { value: string } | undefined)?.value;
    assert.match(String(token), /^[0-9a-f-]{36}$/);

    connected.stop();
    // The client sends unsubscribe before the next request; the server has handled it by then.
    await source.call('connect', sink, 'VIDEO');
    assert.deepEqual(kurento.sentWith('unsubscribe').at(-1)?.params, { object: source.id, subscription: token, sessionId: kurento.sessionId });
    const delivered = kurento.receivedEvents('ElementConnected').filter((e) => e.object === source.id);
    assert.deepEqual(delivered.map((e) => e.data.mediaType), ['AUDIO']);
  } finally {
    await pipeline.release();
  }
});

test('each subscribed session gets its own copy of an event', async () => {
  const other = await Kurento.connect(server.url);
  const pipeline = await kurento.create('MediaPipeline');
  try {
    const source = await pipeline.create('PassThrough');
    const sink = await pipeline.create('PassThrough');
    const seenByOther = (await other.getById(source.id)).events('ElementDisconnected');
    const seenHere = source.events('ElementDisconnected');
    await source.call('connect', sink, 'VIDEO');
    // A round trip from the other client, so its subscription is in place.
    await other.getById(sink.id).then((s) => s.call('getName'));
    await source.call('disconnect', sink, 'VIDEO');
    const mine: EventData = await seenHere.next();
    const theirs: EventData = await seenByOther.next();
    assert.deepEqual(mine, theirs);
    assert.deepEqual([mine.type, mine.source, mine.sink, mine.mediaType], ['ElementDisconnected', source.id, sink.id, 'VIDEO']);
    seenHere.stop();
    seenByOther.stop();
  } finally {
    await pipeline.release();
    await other.close();
  }
});

test('a subscription made inside a transaction delivers events after the commit', async () => {
  const pipeline = await kurento.create('MediaPipeline');
  try {
    let source: ReturnType<Remote['createPending']> | undefined;
    let sink: ReturnType<Remote['createPending']> | undefined;
    let connected: ReturnType<Remote['events']> | undefined;
    await pipeline.transaction(() => {
      source = pipeline.createPending('PassThrough');
      sink = pipeline.createPending('PassThrough');
      connected = source.object.events('ElementConnected');
    });
    const a = await source!.created;
    const b = await sink!.created;
    const ops = (kurento.sentWith('transaction').at(-1)?.params as { operations: Array<{ method: string; params: Record<string, unknown> }> }).operations;
    assert.deepEqual(ops.map((o) => o.method), ['create', 'create', 'subscribe']);
    assert.equal(ops[2]!.params.object, 'newref:0');

    await a.call('connect', b, 'DATA');
    const event = await connected!.next();
    assert.deepEqual([event.source, event.sink, event.mediaType], [a.id, b.id, 'DATA']);
    connected!.stop();
  } finally {
    await pipeline.release();
  }
});

test('Error can be listened to on every object, as applications do', async () => {
  const pipeline = await kurento.create('MediaPipeline');
  try {
    const element = await pipeline.create('PassThrough');
    const manager = await kurento.serverManager();
    const queues = [pipeline, element, manager].map((o) => o.events('Error'));
    // A round trip: the subscriptions went out before it, and were answered.
    await element.call('getName');
    const granted = kurento.sentWith('subscribe').filter((m) => m.params?.type === 'Error');
    assert.deepEqual(granted.map((m) => m.params?.object), [pipeline.id, element.id, manager.id]);
    for (const request of granted) {
      const answer = kurento.received.find((m) => m.id === request.id);
      assert.match(String((answer?.result as { value?: unknown } | undefined)?.value), /^[0-9a-f-]{36}$/, JSON.stringify(answer));
    }
    for (const q of queues) q.stop();
  } finally {
    await pipeline.release();
  }
});
