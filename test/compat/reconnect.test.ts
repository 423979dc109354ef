/**
 * kurento-client@7.3.0 against Kuroshio: the client's reconnection. When its socket drops it
 * reconnects and sends `connect {sessionId}`; the server must recognise the session (objects,
 * subscriptions and event delivery carry on), or answer 40007 when it does not know it (a
 * restarted server), after which the client keeps its old session id and must still be served.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server-process.js';
import { Kurento, type Remote } from '../helpers/kurento-client.js';

test('after its socket drops, the client reconnects to the same session', async () => {
  const server = await startServer({ args: ['--workers', '1'] });
  let kurento: Kurento | undefined;
  try {
    kurento = await Kurento.connect(server.url);
    const session = kurento.sessionId;
    const pipeline = await kurento.create('MediaPipeline');
    const source = await pipeline.create('PassThrough');
    const sink = await pipeline.create('PassThrough');
    const connected = source.events('ElementConnected');
    await source.call('connect', sink, 'AUDIO');
    assert.equal((await connected.next()).mediaType, 'AUDIO');

    const reconnected = kurento.nextReconnection();
    kurento.dropConnection();
    assert.equal(await reconnected, true, 'reconnected(sameSession)');
    assert.equal(kurento.sessionId, session);
    const connect = kurento.sentWith('connect').at(-1);
    assert.deepEqual(connect?.params, { sessionId: session });
    const answer = kurento.received.find((m) => m.id === connect?.id);
    assert.deepEqual(answer?.result, { sessionId: session, serverId: (answer?.result as { serverId?: string } | undefined)?.serverId });
    assert.match(String((answer?.result as { serverId?: unknown }).serverId), /^[0-9a-f-]{36}$/);

    // Objects made before the drop still answer, through the new socket.
    assert.equal(await pipeline.call('getName'), pipeline.id);
    const children = await pipeline.call<Remote[]>('getChildren');
    assert.deepEqual(children.map((c) => c.id).sort(), [source.id, sink.id].sort());
    // The subscription made before the drop delivers to the new socket.
    await source.call('connect', sink, 'VIDEO');
    const event = await connected.next();
    assert.deepEqual([event.mediaType, event.source, event.sink], ['VIDEO', source.id, sink.id]);
    connected.stop();
    await pipeline.release();
  } finally {
    await kurento?.close();
    await server.stop();
  }
});

test('reconnecting to a restarted server: 40007, then the client keeps working with its old session id', async () => {
  const first = await startServer({ args: ['--workers', '1'] });
  let second: Awaited<ReturnType<typeof startServer>> | undefined;
  let kurento: Kurento | undefined;
  try {
    kurento = await Kurento.connect(first.url);
    const session = kurento.sessionId;
    const old = await kurento.create('MediaPipeline');

    const reconnected = kurento.nextReconnection(15_000);
    await first.stop();
    second = await startServer({ args: ['--workers', '1', '--port', String(first.port)] });
    assert.equal(await reconnected, false, 'reconnected(sameSession)');

    // The server knew nothing of the session, and said so with INVALID_SESSION.
    const connect = kurento.sentWith('connect').at(-1);
    assert.deepEqual(connect?.params, { sessionId: session });
    const answer = kurento.received.find((m) => m.id === connect?.id && m.error !== undefined);
    assert.deepEqual(answer?.error, { code: 40007, message: 'Invalid session', data: { type: 'INVALID_SESSION' } });
    // The client carries on with the same id; the server adopts it.
    assert.equal(kurento.sessionId, session);
    const pipeline = await kurento.create('MediaPipeline');
    assert.equal(kurento.sentWith('create').at(-1)?.params?.sessionId, session);
    assert.equal(await pipeline.call('getName'), pipeline.id);
    const manager = await kurento.serverManager();
    assert.ok((await manager.call<string[]>('getSessions')).includes(session));
    // What lived on the old server is gone.
    const err = await old.call('getName').then(
      () => assert.fail('an object of the old server answered'),
      (e: unknown) => e as { code?: number },
    );
    assert.equal(err.code, 40101);
  } finally {
    await kurento?.close();
    await second?.stop();
    await first.stop();
  }
});
