/**
 * What a careless or hostile client found, each fixed at its root: references held by merely
 * listing objects, cycles of PassThroughs, a request that waits for weeks, a client that never
 * reads, and frames that nest or weigh more than parsing them is worth.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { useRawClients, type RawClient } from '../helpers/raw-client.js';
import { resultOf } from '../helpers/rpc-assert.js';

const GC_PERIOD_S = 1;
const MAX_MESSAGE = 65536;
const MAX_OUTGOING = 1024 * 1024;

const fixture = useRawClients([
  '--workers', '1',
  '--gc-period', String(GC_PERIOD_S),
  '--max-message', String(MAX_MESSAGE),
  '--max-outgoing', String(MAX_OUTGOING),
]);
const { client } = fixture;

async function create(c: RawClient, type: string, constructorParams?: Record<string, unknown>): Promise<string> {
  return resultOf(await c.request('create', { type, ...(constructorParams ? { constructorParams } : {}) })).value as string;
}

test('a session that only lists pipelines does not keep them alive: a gone application\'s pipeline is collected', async () => {
  const observer = await client();
  resultOf(await observer.request('subscribe', { object: 'manager_ServerManager', type: 'ObjectDestroyed' }));
  const app = await client();
  const pipeline = await create(app, 'MediaPipeline');
  const monitor = await client();
  await app.closeAndWait();
  // The dashboard keeps polling, and so keeps its own session in use, until the collector ran.
  const destroyed = observer.waitFor((m) => m.params?.value?.data?.objectId === pipeline, 6 * GC_PERIOD_S * 1000, true);
  let polling = true;
  const polls = (async () => {
    while (polling) resultOf(await monitor.request('invoke', { object: 'manager_ServerManager', operation: 'getPipelines' }));
  })();
  try {
    await destroyed;
  } finally {
    polling = false;
    await polls;
  }
  const listed = resultOf(await monitor.request('invoke', { object: 'manager_ServerManager', operation: 'getPipelines' })).value as string[];
  assert.ok(!listed.includes(pipeline));
});

test('PassThroughs connected in a cycle answer normally and stay usable', async () => {
  const c = await client();
  const pipeline = await create(c, 'MediaPipeline');
  const [a, b, d] = [await create(c, 'PassThrough', { mediaPipeline: pipeline }), await create(c, 'PassThrough', { mediaPipeline: pipeline }), await create(c, 'PassThrough', { mediaPipeline: pipeline })];
  const connect = (source: string, sink: string): Promise<unknown> => c.request('invoke', { object: source, operation: 'connect', operationParams: { sink } });
  for (const [source, sink] of [[a, a], [a, b], [b, a], [b, b], [a, d]] as const) {
    const answer = (await connect(source!, sink!)) as Record<string, any>;
    assert.equal(answer.error, undefined, `${source} -> ${sink}: ${JSON.stringify(answer.error)}`);
  }
  // A sink pad has one source: each connect replaced the link into its sink before.
  const sinksOf = async (source: string): Promise<string[]> => {
    const links = resultOf(await c.request('invoke', { object: source, operation: 'getSinkConnections' })).value as { sink: string }[];
    return [...new Set(links.map((l) => l.sink))].sort();
  };
  assert.deepEqual(await sinksOf(a), [d]);
  assert.deepEqual(await sinksOf(b), [a!, b!].sort());
  resultOf(await c.request('release', { object: pipeline }));
});

test('getUsedCpu refuses an interval it would wait weeks for; a long request does not hold up another session on the socket', async () => {
  const c = await client();
  const refused = await c.request('invoke', { object: 'manager_ServerManager', operation: 'getUsedCpu', operationParams: { interval: 2_147_483_647 } });
  assert.equal(refused.error?.code, 40001);
  assert.equal(refused.error?.data?.type, 'MARSHALL_ERROR');
  const { sessionId } = resultOf(await c.request('describe', { object: 'manager_ServerManager' }));
  const slow = c.request('invoke', { object: 'manager_ServerManager', operation: 'getUsedCpu', operationParams: { interval: 3000 } });
  const started = Date.now();
  const other = resultOf(await c.request('ping', { sessionId: 'another-session' }));
  assert.equal(other.sessionId, 'another-session');
  assert.ok(Date.now() - started < 1500, `a request for another session waited ${Date.now() - started} ms behind getUsedCpu`);
  assert.equal(resultOf(await slow).sessionId, sessionId);
  // The slow answer came last, but the socket stays with the session named last.
  assert.equal(resultOf(await c.request('ping')).sessionId, 'another-session');
});

test('a client that stops reading is disconnected once its queue passes the bound; its session stays', async () => {
  const socket = new WebSocket(fixture.server.url);
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const first = new Promise<Record<string, any>>((resolve) => socket.once('message', (data) => resolve(JSON.parse(String(data)))));
  socket.send(JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'describe', params: { object: 'manager_ServerManager' } }));
  const sessionId = (await first).result.sessionId as string;
  // From now on nothing is read: the kernel's buffers fill, then the server's queue.
  (socket as unknown as { _socket: import('node:net').Socket })._socket.pause();
  const dropped = fixture.server.waitForLog((r) => r.msg === 'client not reading its messages disconnected' && r.sessionId === sessionId, 30_000);
  let id = 1;
  const flood = setInterval(() => {
    for (let i = 0; i < 20; i++) socket.send(JSON.stringify({ jsonrpc: '2.0', id: id++, method: 'invoke', params: { object: 'manager_ServerManager', operation: 'getKmd', operationParams: { moduleName: 'core' } } }));
  }, 10);
  try {
    const record = await dropped;
    assert.ok(Number(record.buffered) > MAX_OUTGOING);
  } finally {
    clearInterval(flood);
    socket.terminate();
  }
  const other = await client();
  assert.equal(resultOf(await other.request('connect', { sessionId })).sessionId, sessionId);
});

test('a frame nesting deeper than the bound is refused before parsing, quickly; the socket keeps working', async () => {
  const c = await client();
  let nested = '0';
  for (let i = 0; i < 1000; i++) nested = `{"transaction":[${nested}]}`;
  const answer = c.waitFor((m) => m.id === null && m.error !== undefined);
  const started = Date.now();
  c.sendText(`{"jsonrpc":"2.0","id":"deep","method":"ping","params":{"x":${nested}}}`);
  const error = await answer;
  assert.equal(error.error.code, -32600);
  assert.equal(error.error.data.type, 'MESSAGE_TOO_DEEP');
  assert.ok(Date.now() - started < 1000);
  assert.equal(resultOf(await c.request('ping')).value, 'pong');
});

test('a frame far over the size limit is not read: the socket is closed with 1009', async () => {
  const c = await client();
  c.sendText(`{"jsonrpc":"2.0","id":"huge","method":"ping","params":{"x":"${'x'.repeat(MAX_MESSAGE * 5)}"}}`);
  const closed = await c.closed;
  assert.equal(closed.code, 1009);
  const other = await client();
  assert.equal(resultOf(await other.request('ping')).value, 'pong');
});
