/**
 * kurento-client@7.3.0 against Kuroshio: connect/disconnect in every overload the client offers,
 * seen through getSourceConnections/getSinkConnections and the ElementConnected/Disconnected
 * events; and the MediaElement/MediaPipeline introspection calls.
 */
import { beforeEach, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { failureOf, useKurento, type EventData, type EventQueue, type Remote } from '../helpers/kurento-client.js';

interface Connection {
  __module__: string;
  __type__: string;
  source: string;
  sink: string;
  type: string;
  sourceDescription: string;
  sinkDescription: string;
}

const fixture = useKurento();
let pipeline: Remote;
let source: Remote;
let sink: Remote;
let connected: EventQueue;
let disconnected: EventQueue;

beforeEach(async () => {
  pipeline = await fixture.kurento.create('MediaPipeline');
  source = await pipeline.create('PassThrough');
  sink = await pipeline.create('PassThrough');
  connected = source.events('ElementConnected');
  disconnected = source.events('ElementDisconnected');
});

afterEach(async () => {
  connected.stop();
  disconnected.stop();
  await pipeline.release();
});

function connection(type: string, sourceDescription = 'default', sinkDescription = 'default'): Connection {
  return { __module__: 'kurento', __type__: 'ElementConnectionData', source: source.id, sink: sink.id, type, sourceDescription, sinkDescription };
}

/** Checks one ElementConnected/ElementDisconnected event raised on `source`. */
function assertLinkEvent(event: EventData, type: string, mediaType: string, sourceMediaDescription = 'default', sinkMediaDescription = 'default'): void {
  assert.deepEqual(
    { ...event, timestampMillis: undefined },
    { sink: sink.id, mediaType, sourceMediaDescription, sinkMediaDescription, source: source.id, tags: [], timestampMillis: undefined, type },
  );
  assert.match(String(event.timestampMillis), /^\d{13}$/);
}

/** The connections as both ends report them. */
async function links(mediaType?: string, description?: string): Promise<{ out: Connection[]; in: Connection[] }> {
  const args = [mediaType, description].filter((a) => a !== undefined);
  return {
    out: await source.call<Connection[]>('getSinkConnections', ...args),
    in: await sink.call<Connection[]>('getSourceConnections', ...args),
  };
}

function byType(list: Connection[]): Connection[] {
  return [...list].sort((x, y) => x.type.localeCompare(y.type));
}

test('connect(sink) links AUDIO, VIDEO and DATA; disconnect(sink) undoes all three', async () => {
  assert.equal(await source.call('connect', sink), null);
  assert.deepEqual(fixture.kurento.sentWith('invoke').at(-1)?.params?.operationParams, { sink: sink.id });
  const events = [await connected.next(), await connected.next(), await connected.next()];
  // KMS connects the kinds one by one, in this order.
  assert.deepEqual(events.map((e) => e.mediaType), ['AUDIO', 'VIDEO', 'DATA']);
  for (const e of events) assertLinkEvent(e, 'ElementConnected', String(e.mediaType));

  const all = [connection('AUDIO'), connection('DATA'), connection('VIDEO')];
  const now = await links();
  assert.deepEqual(byType(now.out), all);
  assert.deepEqual(byType(now.in), all);
  // The other directions are empty.
  assert.deepEqual(await source.call('getSourceConnections'), []);
  assert.deepEqual(await sink.call('getSinkConnections'), []);
  // Filtering by media type.
  assert.deepEqual(await links('VIDEO'), { out: [connection('VIDEO')], in: [connection('VIDEO')] });

  assert.equal(await source.call('disconnect', sink), null);
  const gone = [await disconnected.next(), await disconnected.next(), await disconnected.next()];
  assert.deepEqual(gone.map((e) => e.mediaType), ['AUDIO', 'VIDEO', 'DATA']);
  for (const e of gone) assertLinkEvent(e, 'ElementDisconnected', String(e.mediaType));
  assert.deepEqual(await links(), { out: [], in: [] });
  assert.equal(connected.received.length, 3);
});

test('connect(sink, mediaType) links one kind; disconnect(sink, mediaType) unlinks it', async () => {
  await source.call('connect', sink, 'AUDIO');
  assert.deepEqual(fixture.kurento.sentWith('invoke').at(-1)?.params?.operationParams, { sink: sink.id, mediaType: 'AUDIO' });
  assertLinkEvent(await connected.next(), 'ElementConnected', 'AUDIO');
  assert.deepEqual(await links(), { out: [connection('AUDIO')], in: [connection('AUDIO')] });

  await source.call('connect', sink, 'VIDEO');
  assertLinkEvent(await connected.next(), 'ElementConnected', 'VIDEO');
  assert.deepEqual(byType((await links()).in), [connection('AUDIO'), connection('VIDEO')]);

  await source.call('disconnect', sink, 'AUDIO');
  assertLinkEvent(await disconnected.next(), 'ElementDisconnected', 'AUDIO');
  assert.deepEqual(await links(), { out: [connection('VIDEO')], in: [connection('VIDEO')] });
  assert.equal(disconnected.received.length, 1);
});

test('connect(sink, mediaType, sourceMediaDescription) names the source pad', async () => {
  await source.call('connect', sink, 'VIDEO', 'camera');
  assert.deepEqual(fixture.kurento.sentWith('invoke').at(-1)?.params?.operationParams, { sink: sink.id, mediaType: 'VIDEO', sourceMediaDescription: 'camera' });
  assertLinkEvent(await connected.next(), 'ElementConnected', 'VIDEO', 'camera');
  const expected = connection('VIDEO', 'camera');
  assert.deepEqual(await links(), { out: [expected], in: [expected] });
  // getSinkConnections filters on the source pad's description.
  assert.deepEqual(await source.call('getSinkConnections', 'VIDEO', 'camera'), [expected]);
  assert.deepEqual(await source.call('getSinkConnections', 'VIDEO', 'default'), []);

  // Disconnecting another description leaves the link alone.
  await source.call('disconnect', sink, 'VIDEO', 'screen');
  assert.deepEqual(await links(), { out: [expected], in: [expected] });
  await source.call('disconnect', sink, 'VIDEO', 'camera');
  assertLinkEvent(await disconnected.next(), 'ElementDisconnected', 'VIDEO', 'camera');
  assert.deepEqual(await links(), { out: [], in: [] });
  assert.equal(disconnected.received.length, 1);
});

test('connect with all four parameters names both pads', async () => {
  await source.call('connect', sink, 'DATA', 'chat-out', 'chat-in');
  assert.deepEqual(fixture.kurento.sentWith('invoke').at(-1)?.params?.operationParams, {
    sink: sink.id,
    mediaType: 'DATA',
    sourceMediaDescription: 'chat-out',
    sinkMediaDescription: 'chat-in',
  });
  assertLinkEvent(await connected.next(), 'ElementConnected', 'DATA', 'chat-out', 'chat-in');
  const expected = connection('DATA', 'chat-out', 'chat-in');
  assert.deepEqual(await links(), { out: [expected], in: [expected] });
  // getSourceConnections filters on the sink pad's description.
  assert.deepEqual(await sink.call('getSourceConnections', 'DATA', 'chat-in'), [expected]);
  assert.deepEqual(await sink.call('getSourceConnections', 'DATA', 'chat-out'), []);

  await source.call('disconnect', sink, 'DATA', 'chat-out', 'chat-in');
  assertLinkEvent(await disconnected.next(), 'ElementDisconnected', 'DATA', 'chat-out', 'chat-in');
  assert.deepEqual(await links(), { out: [], in: [] });
});

test('client.connect(a, b) connects a to b', async () => {
  await fixture.kurento.connectElements(source, sink);
  for (let i = 0; i < 3; i++) await connected.next();
  assert.equal((await links()).in.length, 3);
});

test('a sink pad has one source: connecting another source replaces the link', async () => {
  const other = await pipeline.create('PassThrough');
  await source.call('connect', sink, 'VIDEO');
  await connected.next();
  const otherConnected = other.once('ElementConnected');
  await other.call('connect', sink, 'VIDEO');
  // The old source reports losing the sink, the new one reports getting it.
  assertLinkEvent(await disconnected.next(), 'ElementDisconnected', 'VIDEO');
  const taken = await otherConnected;
  assert.deepEqual([taken.source, taken.sink, taken.mediaType], [other.id, sink.id, 'VIDEO']);
  const into = await sink.call<Connection[]>('getSourceConnections');
  assert.deepEqual(into, [{ ...connection('VIDEO'), source: other.id }]);
  assert.deepEqual(await source.call('getSinkConnections'), []);
});

test('releasing the sink disconnects it from its source', async () => {
  await source.call('connect', sink, 'AUDIO');
  await connected.next();
  await sink.release();
  assertLinkEvent(await disconnected.next(), 'ElementDisconnected', 'AUDIO');
  assert.deepEqual(await source.call('getSinkConnections'), []);
});

test('elements of different pipelines cannot be connected', async () => {
  const elsewhere = await fixture.kurento.create('MediaPipeline');
  try {
    const stranger = await elsewhere.create('PassThrough');
    const err = await failureOf(source.call('connect', stranger));
    assert.deepEqual([err.code, err.type], [40004, 'CONNECT_ERROR']);
    assert.deepEqual(await source.call('getSinkConnections'), []);
  } finally {
    await elsewhere.release();
  }
});

test('getGstreamerDot draws the pipeline with its connected elements', async () => {
  await source.call('connect', sink, 'VIDEO');
  const dot = await pipeline.call<string>('getGstreamerDot');
  assert.match(dot, /^digraph\b/);
  assert.ok(dot.includes(source.id) && dot.includes(sink.id), dot);
  assert.ok(dot.includes(`"${source.id}" -> "${sink.id}"`), `no edge from source to sink in:\n${dot}`);
  const withDetails = await pipeline.call<string>('getGstreamerDot', 'SHOW_ALL');
  assert.match(withDetails, /^digraph\b/);
  const own = await source.call<string>('getGstreamerDot');
  assert.match(own, /^digraph\b/);
  assert.ok(own.includes(source.id));
  assert.equal(await pipeline.call('dumpGstreamerDot'), null);
});

test('MediaPipeline latencyStats can be read and set', async () => {
  assert.equal(await pipeline.call('getLatencyStats'), false);
  assert.equal(await pipeline.call('setLatencyStats', true), null);
  assert.equal(await pipeline.call('getLatencyStats'), true);
  await pipeline.call('setLatencyStats', false);
  assert.equal(await pipeline.call('getLatencyStats'), false);
});

test('setVideoFormat and setAudioFormat are accepted; a bad codec is error 40001', async () => {
  assert.equal(await source.call('setVideoFormat', { codec: 'VP8', framerate: { numerator: 30, denominator: 1 } }), null);
  assert.equal(await source.call('setAudioFormat', { codec: 'OPUS', bitrate: 32000 }), null);
  const err = await failureOf(source.call('setAudioFormat', { codec: 'MP3', bitrate: 1 }));
  assert.deepEqual([err.code, err.type], [40001, 'MARSHALL_ERROR']);
});

test('an idle PassThrough reports no media flowing and no transcoding', async () => {
  await source.call('connect', sink);
  for (const kind of ['AUDIO', 'VIDEO']) {
    assert.equal(await sink.call('isMediaFlowingIn', kind), false, `isMediaFlowingIn ${kind}`);
    assert.equal(await sink.call('isMediaFlowingIn', kind, 'default'), false);
    assert.equal(await source.call('isMediaFlowingOut', kind), false, `isMediaFlowingOut ${kind}`);
    assert.equal(await source.call('isMediaTranscoding', kind), false, `isMediaTranscoding ${kind}`);
  }
});

test('getStats answers ElementStats entries keyed by their id', async () => {
  const stats = await source.call<Record<string, Record<string, unknown>>>('getStats');
  const entries = Object.entries(stats);
  assert.ok(entries.length >= 1, JSON.stringify(stats));
  const element = entries.map(([, s]) => s).find((s) => s.__type__ === 'ElementStats');
  assert.ok(element, `no ElementStats in ${JSON.stringify(stats)}`);
  assert.equal(element.__module__, 'kurento');
  assert.equal(element.type, 'element');
  assert.equal(typeof element.timestampMillis, 'number');
  assert.deepEqual(element.inputLatency, []);
  for (const [key, entry] of entries) assert.equal(entry.id, key);
  const video = await source.call<Record<string, Record<string, unknown>>>('getStats', 'VIDEO');
  assert.ok(Object.values(video).some((s) => s.__type__ === 'ElementStats'));
});
