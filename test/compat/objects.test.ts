/**
 * kurento-client@7.3.0 against Kuroshio: creating and releasing objects, the family of an
 * object as the client rebuilds it through `describe`, names and tags.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kurento, failureOf, useKurento, type Remote } from '../helpers/kurento-client.js';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const PIPELINE_ID = new RegExp(`^${UUID}_kurento\\.MediaPipeline$`);

function childId(pipeline: Remote, type: string): RegExp {
  return new RegExp(`^${pipeline.id.replace(/[.]/g, '\\.')}/${UUID}_kurento\\.${type}$`);
}

const fixture = useKurento();

test('pipelines and PassThroughs are created and released', async () => {
  const pipeline = await fixture.kurento.create('MediaPipeline');
  assert.match(pipeline.id, PIPELINE_ID);
  assert.equal(pipeline.type, 'MediaPipeline');
  const element = await pipeline.create('PassThrough');
  assert.match(element.id, childId(pipeline, 'PassThrough'));
  assert.equal(element.type, 'PassThrough');
  // The client sends the pipeline as a constructor parameter, by id.
  const create = fixture.kurento.sentWith('create').at(-1)!;
  assert.deepEqual(create.params, { type: 'PassThrough', constructorParams: { mediaPipeline: pipeline.id }, properties: {}, sessionId: fixture.kurento.sessionId });

  await element.release();
  assert.deepEqual(
    await failureOf(element.call('getName')),
    { name: 'ReferenceError', code: 40101, type: 'MEDIA_OBJECT_NOT_FOUND', message: `Object '${element.id}' not found` },
  );
  assert.deepEqual(await pipeline.call('getChildren'), []);

  const survivor = await pipeline.create('PassThrough');
  await pipeline.release();
  for (const gone of [pipeline, survivor]) {
    const err = await failureOf(gone.call('getName'));
    assert.deepEqual([err.name, err.code], ['ReferenceError', 40101]);
  }
});

test('module-qualified type names are accepted from the pipeline and the client', async () => {
  const pipeline = await fixture.kurento.create('kurento.MediaPipeline');
  try {
    assert.match(pipeline.id, PIPELINE_ID);
    assert.equal(pipeline.type, 'MediaPipeline');
    const fromPipeline = await pipeline.create('kurento.PassThrough');
    assert.match(fromPipeline.id, childId(pipeline, 'PassThrough'));
    assert.equal(fromPipeline.type, 'PassThrough');
    const fromClient = await fixture.kurento.create('kurento.PassThrough', { mediaPipeline: pipeline });
    assert.match(fromClient.id, childId(pipeline, 'PassThrough'));
    // The qualified names went to the server as written.
    const types = fixture.kurento.sentWith('create').slice(-3).map((m) => m.params?.type);
    assert.deepEqual(types, ['kurento.MediaPipeline', 'kurento.PassThrough', 'kurento.PassThrough']);
    const children = await pipeline.call<Remote[]>('getChildren');
    assert.deepEqual(children.map((c) => c.id).sort(), [fromPipeline.id, fromClient.id].sort());
  } finally {
    await pipeline.release();
  }
});

test('getChildren, getMediaPipeline and getParent give proxies of the right objects and classes', async () => {
  const pipeline = await fixture.kurento.create('MediaPipeline');
  try {
    const a = await pipeline.create('PassThrough');
    const b = await pipeline.create('PassThrough');
    const children = await pipeline.call<Remote[]>('getChildren');
    assert.deepEqual(children.map((c) => c.id).sort(), [a.id, b.id].sort());
    for (const c of children) assert.equal(c.type, 'PassThrough');
    // Ids the client knows give back its own proxies.
    assert.equal(children.find((c) => c.id === a.id)!.proxy, a.proxy);

    for (const method of ['getMediaPipeline', 'getParent']) {
      const found = await a.call<Remote>(method);
      assert.equal(found.id, pipeline.id, method);
      assert.equal(found.type, 'MediaPipeline', method);
      // And it answers as that pipeline.
      assert.equal(await found.call('getName'), pipeline.id);
    }
    const itself = await pipeline.call<Remote>('getMediaPipeline');
    assert.equal(itself.id, pipeline.id);
    assert.deepEqual(await a.call('getChildren'), []);
  } finally {
    await pipeline.release();
  }
});

test('getMediaobjectById builds proxies for ids another client created', async () => {
  const pipeline = await fixture.kurento.create('MediaPipeline');
  const element = await pipeline.create('PassThrough');
  const other = await Kurento.connect(fixture.server.url);
  try {
    const found = await other.getById(element.id);
    assert.equal(found.id, element.id);
    assert.equal(found.type, 'PassThrough');
    assert.deepEqual(other.sentWith('describe').at(-1)?.params, { object: element.id, sessionId: other.sessionId });
    await element.call('setName', 'shared');
    assert.equal(await found.call('getName'), 'shared');

    const both = await other.getByIds([pipeline.id, element.id]);
    assert.deepEqual(both.map((o) => [o.id, o.type]), [[pipeline.id, 'MediaPipeline'], [element.id, 'PassThrough']]);
    const parent = await found.call<Remote>('getParent');
    assert.equal(parent.id, pipeline.id);
  } finally {
    await other.close();
    await pipeline.release();
  }
});

test('names: the default name is the id; setName changes it', async () => {
  const pipeline = await fixture.kurento.create('MediaPipeline');
  try {
    const element = await pipeline.create('PassThrough');
    assert.equal(await element.call('getName'), element.id);
    assert.equal(await pipeline.call('getName'), pipeline.id);
    assert.equal(await element.call('setName', 'camera 1'), null);
    assert.equal(await element.call('getName'), 'camera 1');
    assert.equal(await pipeline.call('getName'), pipeline.id);
    // An empty name reads back as the id again.
    await element.call('setName', '');
    assert.equal(await element.call('getName'), element.id);
    const created = await element.call<number>('getCreationTime');
    const now = Math.floor(Date.now() / 1000);
    assert.ok(Number.isInteger(created) && created <= now && created >= now - 60, `getCreationTime: ${created}`);
  } finally {
    await pipeline.release();
  }
});

test('tags: addTag, getTag, getTags, removeTag', async () => {
  const pipeline = await fixture.kurento.create('MediaPipeline');
  try {
    const element = await pipeline.create('PassThrough');
    assert.deepEqual(await element.call('getTags'), []);
    await element.call('addTag', 'user', 'ana');
    await element.call('addTag', 'room', 'blue');
    await element.call('addTag', 'room', 'red');
    await element.call('addTag', 'Zone', 'west');
    assert.equal(await element.call('getTag', 'room'), 'red');
    // Ordered by key, byte by byte (KMS keeps tags in a std::map), not in insertion order.
    assert.deepEqual(await element.call('getTags'), [
      { __module__: 'kurento', __type__: 'Tag', key: 'Zone', value: 'west' },
      { __module__: 'kurento', __type__: 'Tag', key: 'room', value: 'red' },
      { __module__: 'kurento', __type__: 'Tag', key: 'user', value: 'ana' },
    ]);
    await element.call('removeTag', 'Zone');
    await element.call('removeTag', 'room');
    // Removing a missing tag is no error.
    await element.call('removeTag', 'room');
    assert.deepEqual(await element.call('getTags'), [{ __module__: 'kurento', __type__: 'Tag', key: 'user', value: 'ana' }]);
    const missing = await failureOf(element.call('getTag', 'room'));
    assert.deepEqual([missing.name, missing.code, missing.type], ['Error', 40110, 'MEDIA_OBJECT_TAG_KEY_NOT_FOUND']);
    // Tags belong to the object: the pipeline has none.
    assert.deepEqual(await pipeline.call('getTags'), []);
  } finally {
    await pipeline.release();
  }
});

test('sendTagsInEvents puts the tags in the events the object raises', async () => {
  const pipeline = await fixture.kurento.create('MediaPipeline');
  try {
    const source = await pipeline.create('PassThrough');
    const sink = await pipeline.create('PassThrough');
    await source.call('addTag', 'app', 'compat');
    await source.call('addTag', 'an', 'other');
    const connected = source.events('ElementConnected');
    assert.equal(await source.call('getSendTagsInEvents'), false);

    await source.call('connect', sink, 'AUDIO');
    assert.deepEqual((await connected.next()).tags, []);

    await source.call('setSendTagsInEvents', true);
    assert.equal(await source.call('getSendTagsInEvents'), true);
    await source.call('connect', sink, 'VIDEO');
    const tagged = await connected.next();
    assert.equal(tagged.mediaType, 'VIDEO');
    assert.deepEqual(tagged.tags, [
      { __module__: 'kurento', __type__: 'Tag', key: 'an', value: 'other' },
      { __module__: 'kurento', __type__: 'Tag', key: 'app', value: 'compat' },
    ]);
    connected.stop();
  } finally {
    await pipeline.release();
  }
});

test('create([...]) builds a pipeline and its elements in one go, and connects them when asked', async () => {
  const [pipeline, first, second] = await fixture.kurento.createMany([
    { type: 'MediaPipeline' },
    { type: 'PassThrough', params: { mediaPipeline: 0 } },
    { type: 'PassThrough', params: { mediaPipeline: 0 } },
  ]);
  try {
    assert.deepEqual([pipeline!.type, first!.type, second!.type], ['MediaPipeline', 'PassThrough', 'PassThrough']);
    // The pipeline is referred to by its index: the client sends a transaction.
    const ops = (fixture.kurento.sentWith('transaction').at(-1)?.params as { operations: Array<{ params: { constructorParams?: unknown } }> }).operations;
    assert.deepEqual(ops.map((o) => o.params.constructorParams), [undefined, { mediaPipeline: 'newref:0' }, { mediaPipeline: 'newref:0' }]);
    assert.deepEqual((await pipeline!.call<Remote[]>('getChildren')).map((c) => c.id).sort(), [first!.id, second!.id].sort());

    // From the pipeline, `true` connects the new elements in a chain.
    const chain = await pipeline!.call<Remote[]>('create', [{ type: 'PassThrough' }, { type: 'PassThrough' }], true);
    const links = await chain[0]!.call<Array<{ sink: string; type: string }>>('getSinkConnections');
    assert.deepEqual(links.map((l) => [l.sink, l.type]).sort(), [[chain[1]!.id, 'AUDIO'], [chain[1]!.id, 'DATA'], [chain[1]!.id, 'VIDEO']]);
  } finally {
    await pipeline!.release();
  }
});

test('objects outlive the connection of the client that made them', async () => {
  const maker = await Kurento.connect(fixture.server.url);
  const pipeline = await maker.create('MediaPipeline');
  const element = await pipeline.create('PassThrough');
  await element.call('setName', 'left behind');
  await maker.close();

  const found = await fixture.kurento.getById(element.id);
  assert.equal(await found.call('getName'), 'left behind');
  const parent = await found.call<Remote>('getMediaPipeline');
  assert.equal(parent.id, pipeline.id);
  await parent.release();
});
