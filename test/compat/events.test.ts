/**
 * kurento-client@7.3.0 against Kuroshio: event subscriptions as the client manages them (lazily,
 * on the first listener, dropped with the last), across sessions and inside transactions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kurento, useKurento, type EventData, type Remote } from '../helpers/kurento-client.js';

const fixture = useKurento();

test('two listeners make one subscription, and each event arrives once', async () => {
  const pipeline = await fixture.kurento.create('MediaPipeline');
  try {
    const source = await pipeline.create('PassThrough');
    const sink = await pipeline.create('PassThrough');
    const subscribesBefore = fixture.kurento.sentWith('subscribe').length;
    const first = source.events('ElementConnected');
    const second = source.events('ElementConnected');
    await source.call('connect', sink, 'AUDIO');
    assert.equal((await first.next()).mediaType, 'AUDIO');
    assert.equal((await second.next()).mediaType, 'AUDIO');
    assert.equal(fixture.kurento.sentWith('subscribe').length, subscribesBefore + 1);
    assert.deepEqual(fixture.kurento.sentWith('subscribe').at(-1)?.params, { object: source.id, type: 'ElementConnected', sessionId: fixture.kurento.sessionId });
    assert.equal(fixture.kurento.receivedEvents('ElementConnected').filter((e) => e.object === source.id).length, 1);
    first.stop();
    second.stop();
  } finally {
    await pipeline.release();
  }
});

test('removing the last listener unsubscribes: the server stops sending the event', async () => {
  const pipeline = await fixture.kurento.create('MediaPipeline');
  try {
    const source = await pipeline.create('PassThrough');
    const sink = await pipeline.create('PassThrough');
    const connected = source.events('ElementConnected');
    await source.call('connect', sink, 'AUDIO');
    await connected.next();
    const subscription = fixture.kurento.received.find((m) => {
      const sent = fixture.kurento.sentWith('subscribe').find((s) => s.params?.object === source.id);
      return sent !== undefined && m.id === sent.id;
    });
    const token = (subscription?.result as { value: string } | undefined)?.value;
    assert.match(String(token), /^[0-9a-f-]{36}$/);

    connected.stop();
    // The client sends unsubscribe before the next request; the server has handled it by then.
    await source.call('connect', sink, 'VIDEO');
    assert.deepEqual(fixture.kurento.sentWith('unsubscribe').at(-1)?.params, { object: source.id, subscription: token, sessionId: fixture.kurento.sessionId });
    const delivered = fixture.kurento.receivedEvents('ElementConnected').filter((e) => e.object === source.id);
    assert.deepEqual(delivered.map((e) => e.data.mediaType), ['AUDIO']);
  } finally {
    await pipeline.release();
  }
});

test('each subscribed session gets its own copy of an event', async () => {
  const other = await Kurento.connect(fixture.server.url);
  const pipeline = await fixture.kurento.create('MediaPipeline');
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
  const pipeline = await fixture.kurento.create('MediaPipeline');
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
    const ops = (fixture.kurento.sentWith('transaction').at(-1)?.params as { operations: Array<{ method: string; params: Record<string, unknown> }> }).operations;
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
  const pipeline = await fixture.kurento.create('MediaPipeline');
  try {
    const element = await pipeline.create('PassThrough');
    const manager = await fixture.kurento.serverManager();
    const queues = [pipeline, element, manager].map((o) => o.events('Error'));
    // A round trip: the subscriptions went out before it, and were answered.
    await element.call('getName');
    const granted = fixture.kurento.sentWith('subscribe').filter((m) => m.params?.type === 'Error');
    assert.deepEqual(granted.map((m) => m.params?.object), [pipeline.id, element.id, manager.id]);
    for (const request of granted) {
      const answer = fixture.kurento.received.find((m) => m.id === request.id);
      assert.match(String((answer?.result as { value?: unknown } | undefined)?.value), /^[0-9a-f-]{36}$/, JSON.stringify(answer));
    }
    for (const q of queues) q.stop();
  } finally {
    await pipeline.release();
  }
});
