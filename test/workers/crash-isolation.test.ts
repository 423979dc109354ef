/**
 * A media worker that dies (SIGKILL, as a native crash would) takes down only the pipelines it
 * held: their objects raise `Error` and are destroyed, a fresh worker takes its place, and every
 * other pipeline, session and the server itself carry on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, type Message } from '../helpers/raw-client.js';
import { startServer } from '../helpers/server-process.js';
import { MANAGER, assertConnected, bootWorkerPids, createPair, exitOf, nextWorkerPid, objectsOf, placementOf, processGone, waitUntil } from './fixtures.js';

function destroyedEvent(client: RawClient, objectId: string): Promise<Message> {
  return client.waitFor(
    (m) => m.method === 'onEvent' && m.params?.value?.type === 'ObjectDestroyed' && m.params.value.object === MANAGER && m.params.value.data?.objectId === objectId,
    10_000,
    true,
  );
}

test('a killed worker takes down only its own pipelines, and is replaced', async () => {
  const server = await startServer({ args: ['--workers', '2'] });
  const clients: RawClient[] = [];
  try {
    const clientA = await RawClient.connect(server.url);
    const clientB = await RawClient.connect(server.url);
    clients.push(clientA, clientB);
    const bootPids = await bootWorkerPids(server, 2);

    const a = await createPair(clientA);
    const b = await createPair(clientB);
    const placedA = await placementOf(server, a.pipeline);
    const placedB = await placementOf(server, b.pipeline);
    assert.notEqual(placedA.worker, placedB.worker, 'the two pipelines share a worker');
    assert.notEqual(placedA.pid, placedB.pid);
    assert.deepEqual([placedA.pid, placedB.pid].sort(), [...bootPids].sort());

    for (const id of objectsOf(a)) await clientA.call('subscribe', { object: id, type: 'Error' });
    await clientA.call('subscribe', { object: MANAGER, type: 'ObjectDestroyed' });
    for (const id of objectsOf(b)) await clientB.call('subscribe', { object: id, type: 'Error' });

    process.kill(placedA.pid, 'SIGKILL');

    const killedAt = Date.now();
    for (const id of objectsOf(a)) {
      const event = await clientA.waitForEvent('Error', id);
      assert.equal(event.params.value.type, 'Error');
      const data = event.params.value.data as Record<string, unknown>;
      assert.deepEqual(Object.keys(data).sort(), ['description', 'errorCode', 'source', 'tags', 'timestampMillis', 'type']);
      assert.equal(typeof data.errorCode, 'number');
      assert.equal(typeof data.type, 'string');
      assert.equal(typeof data.description, 'string');
      assert.equal(data.source, id);
      assert.match(data.timestampMillis as string, /^\d+$/);
      assert.ok(Math.abs(Number(data.timestampMillis) - killedAt) < 10_000);
      assert.deepEqual(data.tags, []);
    }
    for (const id of objectsOf(a)) await destroyedEvent(clientA, id);

    for (const id of objectsOf(a)) {
      const response = await clientA.request('invoke', { object: id, operation: 'getName', operationParams: {} });
      assert.equal(response.error?.code, 40101, `invoking ${id} after the crash: ${JSON.stringify(response)}`);
    }

    // Pipeline B, on the other worker and in another session, is untouched.
    assert.equal((await clientB.call('invoke', { object: b.pipeline, operation: 'getName', operationParams: {} })).value, b.pipeline);
    await assertConnected(clientB, b);
    assert.deepEqual(clientB.events('Error'), [], 'the session of pipeline B saw Error events');

    // A replacement worker comes up, and new pipelines work (on it: it is the least loaded).
    const replacement = await nextWorkerPid(server, bootPids);
    assert.ok(!bootPids.includes(replacement));
    await waitUntil(() => processGone(placedA.pid), `the killed worker ${placedA.pid} is reaped`);
    const c = await createPair(clientA);
    assert.equal((await placementOf(server, c.pipeline)).pid, replacement);
    await assertConnected(clientA, c);
    assert.equal((await clientA.call('invoke', { object: c.pipeline, operation: 'getName', operationParams: {} })).value, c.pipeline);

    assert.equal(server.process.exitCode, null);
    assert.equal(server.process.signalCode, null);
    assert.ok(!processGone(server.process.pid!), 'the server process is gone');
    assert.ok(!processGone(placedB.pid), 'the other worker is gone');
  } finally {
    for (const c of clients) c.close();
    await server.stop();
  }
});

test('requests in flight to a worker that dies are answered with an error', async () => {
  const server = await startServer({ args: ['--workers', '1'] });
  let client: RawClient | undefined;
  try {
    client = await RawClient.connect(server.url);
    const pair = await createPair(client);
    const { pid } = await placementOf(server, pair.pipeline);

    // A stopped worker reads nothing: the requests below wait in its channel until it is killed.
    process.kill(pid, 'SIGSTOP');
    const invoke = client.request('invoke', { object: pair.first, operation: 'getSinkConnections', operationParams: {} });
    const create = client.request('create', { type: 'PassThrough', constructorParams: { mediaPipeline: pair.pipeline }, properties: {} });
    // Answered by the control process alone; the server reads frames in order, so once this is
    // answered the two requests above have been forwarded to the worker.
    await client.call('ping', {});
    process.kill(pid, 'SIGKILL');

    for (const response of await Promise.all([invoke, create])) {
      assert.ok(response.error, `expected an error, got ${JSON.stringify(response)}`);
      assert.equal(response.error.code, 40003);
      assert.equal(response.error.data?.type, 'UNEXPECTED_ERROR');
    }
    const replacement = await nextWorkerPid(server, [pid]);
    const fresh = await createPair(client);
    assert.equal((await placementOf(server, fresh.pipeline)).pid, replacement);
    await assertConnected(client, fresh);
  } finally {
    client?.close();
    await server.stop();
  }
});

test('SIGTERM stops the server with exit code 0 and takes its workers along', async () => {
  const server = await startServer({ args: ['--workers', '2'] });
  let client: RawClient | undefined;
  let pids: number[] = [];
  try {
    client = await RawClient.connect(server.url);
    pids = await bootWorkerPids(server, 2);
    await createPair(client);
    const exited = exitOf(server.process);
    const startedAt = Date.now();
    server.process.kill('SIGTERM');
    const timeout = new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error('server still running 5 s after SIGTERM')), 5_000).unref());
    const { code, signal } = await Promise.race([exited, timeout]);
    assert.deepEqual({ code, signal }, { code: 0, signal: null });
    assert.ok(Date.now() - startedAt < 5_000);
    for (const pid of pids) await waitUntil(() => processGone(pid), `worker ${pid} has ended`, 5_000);
  } finally {
    client?.close();
    await server.stop();
    // Never leave a worker behind on a failure: nothing else would end it.
    for (const pid of pids) if (!processGone(pid)) process.kill(pid, 'SIGKILL');
  }
});
