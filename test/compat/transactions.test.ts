/**
 * kurento-client@7.3.0 against Kuroshio: explicit transactions (`beginTransaction`/`commit`,
 * `client.transaction(fn)`, `pipeline.transaction(fn)`) and implicit ones
 * (`useImplicitTransactions`). Each check ends by asking the server whether the objects exist.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kurento, errorSummary, useKurento, type Remote, type WireMessage } from '../helpers/kurento-client.js';

interface TransactionResult {
  value: Array<{ jsonrpc: string; id: number; result?: { value: unknown; sessionId: string }; error?: { code: number } }>;
  sessionId: string;
}

const fixture = useKurento();

function operationsOf(message: WireMessage | undefined): WireMessage[] {
  assert.ok(message, 'no transaction was sent');
  return (message.params as { operations: WireMessage[] }).operations;
}

/** The ids of a pipeline's children, straight from the server. */
async function childIds(pipeline: Remote): Promise<string[]> {
  const children = await pipeline.call<Remote[]>('getChildren');
  return children.map((c) => c.id).sort();
}

test('beginTransaction/commit: nothing is sent before commit, then one transaction creates everything', async () => {
  const pipeline = await fixture.kurento.create('MediaPipeline');
  try {
    const sentBefore = fixture.kurento.sent.length;
    const tx = pipeline.beginTransaction();
    const a = pipeline.createPending('PassThrough', undefined, tx);
    const b = pipeline.createPending('PassThrough', undefined, tx);
    const named = a.object.call('setName', tx, 'first');
    assert.equal(a.object.proxy.id, undefined);
    assert.equal(fixture.kurento.sent.length, sentBefore);

    const result = await fixture.kurento.commit(tx);
    assert.equal(tx.commited, true);
    const [created1, created2] = await Promise.all([a.created, b.created, named]);
    assert.equal(created1!.proxy, a.object.proxy);
    assert.equal(created2!.proxy, b.object.proxy);

    const ops = operationsOf(fixture.kurento.sentWith('transaction').at(-1));
    assert.deepEqual(
      ops.map((o) => [o.id, o.method]),
      [[0, 'create'], [1, 'create'], [2, 'invoke']],
    );
    assert.deepEqual(ops[0]!.params?.constructorParams, { mediaPipeline: pipeline.id });
    // The object created in the transaction is referred to by its position in it.
    assert.equal(ops[2]!.params?.object, 'newref:0');

    const responses = (result as TransactionResult).value;
    assert.deepEqual(responses.map((r) => r.id), [0, 1, 2]);
    assert.equal(responses[0]!.result?.value, a.object.id);
    assert.equal(responses[1]!.result?.value, b.object.id);
    assert.equal(responses[2]!.result?.value, null);

    assert.deepEqual(await childIds(pipeline), [a.object.id, b.object.id].sort());
    assert.equal(await a.object.call('getName'), 'first');
    assert.equal(await b.object.call('getName'), b.object.id);
  } finally {
    await pipeline.release();
  }
});

test('client.transaction(fn) creates a pipeline and its element in one request', async () => {
  let pipeline: ReturnType<Kurento['createPending']> | undefined;
  let element: ReturnType<Remote['createPending']> | undefined;
  await fixture.kurento.transaction(() => {
    pipeline = fixture.kurento.createPending('MediaPipeline');
    element = pipeline.object.createPending('PassThrough');
  });
  const p = await pipeline!.created;
  const e = await element!.created;
  try {
    const ops = operationsOf(fixture.kurento.sentWith('transaction').at(-1));
    assert.deepEqual(ops.map((o) => o.params?.type), ['MediaPipeline', 'PassThrough']);
    assert.deepEqual(ops[1]!.params?.constructorParams, { mediaPipeline: 'newref:0' });
    assert.match(e.id, new RegExp(`^${p.id.replace(/\./g, '\\.')}/`));

    const manager = await fixture.kurento.serverManager();
    const pipelines = await manager.call<Remote[]>('getPipelines');
    assert.ok(pipelines.some((x) => x.id === p.id), 'the pipeline is not on the server');
    assert.deepEqual(await childIds(p), [e.id]);
    assert.equal(await e.call('getName'), e.id);
  } finally {
    await p.release();
  }
});

test('pipeline.transaction(fn) creates and connects elements in one request', async () => {
  const pipeline = await fixture.kurento.create('MediaPipeline');
  try {
    let a: ReturnType<Remote['createPending']> | undefined;
    let b: ReturnType<Remote['createPending']> | undefined;
    let linked: Promise<unknown> | undefined;
    await pipeline.transaction(() => {
      a = pipeline.createPending('PassThrough');
      b = pipeline.createPending('PassThrough');
      linked = a.object.call('connect', b.object, 'VIDEO');
    });
    const source = await a!.created;
    const sink = await b!.created;
    assert.equal(await linked, null);

    const ops = operationsOf(fixture.kurento.sentWith('transaction').at(-1));
    assert.deepEqual(ops.map((o) => o.method), ['create', 'create', 'invoke']);
    assert.deepEqual(
      { object: ops[2]!.params?.object, operation: ops[2]!.params?.operation, operationParams: ops[2]!.params?.operationParams },
      { object: 'newref:0', operation: 'connect', operationParams: { sink: 'newref:1', mediaType: 'VIDEO' } },
    );
    const links = await source.call<Array<{ source: string; sink: string; type: string }>>('getSinkConnections');
    assert.deepEqual(links.map((l) => [l.source, l.sink, l.type]), [[source.id, sink.id, 'VIDEO']]);
  } finally {
    await pipeline.release();
  }
});

test('a failing operation stops the transaction: earlier ones stay done, later ones are not run', async () => {
  const pipeline = await fixture.kurento.create('MediaPipeline');
  try {
    const tx = pipeline.beginTransaction();
    const first = pipeline.createPending('PassThrough', undefined, tx);
    // Failures are caught at once: they happen during the commit, before the test looks.
    const failing = pipeline.call('getTag', tx, 'no-such-tag').catch((e: unknown) => e);
    const never = pipeline.createPending('PassThrough', undefined, tx);
    const notRun = never.created.catch((e: unknown) => e);
    await fixture.kurento.commit(tx);

    const created = await first.created;
    // Inside a transaction the client hands over the JSON-RPC error object as received.
    const failure = (await failing) as { code?: number; data?: { type?: string } };
    assert.ok(!(failure instanceof Error));
    assert.deepEqual([failure.code, failure.data?.type], [40110, 'MEDIA_OBJECT_TAG_KEY_NOT_FOUND']);
    // The client reports the operations the server did not reach.
    assert.equal(errorSummary(await notRun).message, 'Command not executed in the server');
    assert.deepEqual(await childIds(pipeline), [created.id]);
  } finally {
    await pipeline.release();
  }
});

test('useImplicitTransactions batches the requests of one tick into a transaction', async () => {
  const implicit = await Kurento.connect(fixture.server.url, { useImplicitTransactions: true });
  try {
    const pipeline = await implicit.create('MediaPipeline');
    const before = implicit.sentWith('transaction').length;
    // Issued in the same tick: the client sends them together.
    const [a, b] = await Promise.all([pipeline.create('PassThrough'), pipeline.create('PassThrough')]);
    const batches = implicit.sentWith('transaction');
    assert.equal(batches.length, before + 1);
    const ops = operationsOf(batches.at(-1));
    assert.deepEqual(ops.map((o) => [o.id, o.method, o.params?.type]), [[0, 'create', 'PassThrough'], [1, 'create', 'PassThrough']]);
    assert.equal(implicit.sentWith('create').length, 1, 'only the pipeline was created outside the transaction');

    assert.equal(a.type, 'PassThrough');
    assert.deepEqual(await childIds(pipeline), [a.id, b.id].sort());
    // Several invocations in one tick, answered one by one.
    const [nameA, nameB, tags] = await Promise.all([a.call('getName'), b.call('getName'), a.call('getTags')]);
    assert.deepEqual([nameA, nameB, tags], [a.id, b.id, []]);
    const last = operationsOf(implicit.sentWith('transaction').at(-1));
    assert.deepEqual(last.map((o) => o.params?.operation), ['getName', 'getName', 'getTags']);
    await pipeline.release();
  } finally {
    await implicit.close();
  }
});
