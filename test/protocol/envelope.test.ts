/**
 * The JSON-RPC envelope as KMS checks it (JsonRpcHandler.cpp, JsonRpcUtils.cpp, ServerMethods.cpp):
 * malformed messages, parameter checks, ids and notifications.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, useRawClients } from '../helpers/raw-client.js';
import { assertResult, assertRpcError, resultOf, UUID } from '../helpers/rpc-assert.js';

const fixture = useRawClients();
const { client } = fixture;

const INVALID_REQUEST = { id: null, code: -32600, message: 'Invalid JSON-RPC request.' };

test('unparsable JSON is answered with -32700 Parse error. and id null', async () => {
  const c = await client();
  for (const text of ['{"jsonrpc":"2.0","method":"ping","id":1', 'not json at all', '{"id":1,}']) {
    const answer = c.nextResponse();
    c.sendText(text);
    assertRpcError(await answer, { id: null, code: -32700, message: 'Parse error.' });
  }
  // The socket survives and keeps working.
  await c.barrier();
});

test('a message that is not a JSON object is an invalid request with id null', async () => {
  const c = await client();
  const texts = ['[]', '[{"jsonrpc":"2.0","method":"ping","id":1}]', '42', '"ping"', 'null', 'true'];
  for (const text of texts) {
    const answer = c.nextResponse();
    c.sendText(text);
    assertRpcError(await answer, INVALID_REQUEST);
  }
});

test('a missing or wrong jsonrpc member is an invalid request, the id is not echoed', async () => {
  const c = await client();
  const messages = [
    { method: 'ping', id: 7 },
    { jsonrpc: '1.0', method: 'ping', id: 7 },
    { jsonrpc: 2, method: 'ping', id: 7 },
    { jsonrpc: '1', method: 'create', id: 7 },
  ];
  for (const message of messages) {
    const answer = c.nextResponse();
    c.send(message);
    assertRpcError(await answer, INVALID_REQUEST);
  }
});

test('an id that is an object or an array is an invalid request', async () => {
  const c = await client();
  for (const id of [{ n: 1 }, [1], []]) {
    const answer = c.nextResponse();
    c.send({ jsonrpc: '2.0', method: 'ping', id });
    assertRpcError(await answer, INVALID_REQUEST);
  }
});

test('a missing or non-string method is an invalid request', async () => {
  const c = await client();
  for (const message of [{ jsonrpc: '2.0', id: 3 }, { jsonrpc: '2.0', id: 3, method: 5 }, { jsonrpc: '2.0', id: 3, method: null }, { jsonrpc: '2.0', id: 3, method: ['ping'] }]) {
    const answer = c.nextResponse();
    c.send(message);
    assertRpcError(await answer, INVALID_REQUEST);
  }
});

test('an unknown method is -32601 Method not found. with the request id echoed', async () => {
  const c = await client();
  assertRpcError(await c.request('frobnicate', {}, 'unknown-method-1'), { id: 'unknown-method-1', code: -32601, message: 'Method not found.' });
  assertRpcError(await c.request('Ping', undefined, 901), { id: 901, code: -32601, message: 'Method not found.' });
  // The empty name is not a method either.
  assertRpcError(await c.request('', undefined, 902), { id: 902, code: -32601, message: 'Method not found.' });
  // Method names are not prefixed: "kurento.create" does not exist.
  assertRpcError(await c.request('kurento.create', { type: 'MediaPipeline' }, 903), { id: 903, code: -32601, message: 'Method not found.' });
});

test('methods that need params answer -32602 when params are missing or null', async () => {
  const methods = ['create', 'invoke', 'describe', 'subscribe', 'unsubscribe', 'release', 'ref', 'unref', 'keepAlive', 'transaction', 'closeSession'];
  // A fresh socket has no session yet, so nothing is injected into the missing params.
  const c = await client();
  let id = 1000;
  for (const method of methods) {
    id++;
    assertRpcError(await c.request(method, undefined, id), { id, code: -32602, message: "'params' is required", type: 'INVALID_PARAMS' });
    id++;
    const answer = c.nextResponse();
    c.send({ jsonrpc: '2.0', method, params: null, id });
    assertRpcError(await answer, { id, code: -32602, message: "'params' is required", type: 'INVALID_PARAMS' });
  }
  // ping and connect do not need params.
  assertResult(await c.request('ping', undefined, 1100), 1100, { value: 'pong' });
});

test('a missing required parameter is -32000 "\'x\' parameter is required"', async () => {
  const c = await client();
  const cases: [string, Record<string, unknown>, string][] = [
    ['create', { constructorParams: {} }, 'type'],
    ['describe', {}, 'object'],
    ['invoke', { object: 'manager_ServerManager' }, 'operation'],
    ['invoke', { operation: 'getInfo' }, 'object'],
    ['subscribe', { object: 'manager_ServerManager' }, 'type'],
    ['subscribe', { type: 'ObjectCreated' }, 'object'],
    ['unsubscribe', { object: 'manager_ServerManager', sessionId: 'some-session' }, 'subscription'],
    ['unsubscribe', { subscription: 'x', sessionId: 'some-session' }, 'object'],
    ['unsubscribe', { object: 'manager_ServerManager', subscription: 'x' }, 'sessionId'],
    ['release', {}, 'object'],
    ['ref', { object: 'manager_ServerManager' }, 'sessionId'],
    ['unref', { sessionId: 'some-session' }, 'object'],
    ['keepAlive', {}, 'sessionId'],
    ['closeSession', { release: true }, 'sessionId'],
    ['transaction', {}, 'operations'],
  ];
  let id = 2000;
  for (const [method, params, missing] of cases) {
    id++;
    assertRpcError(await c.request(method, params, id), { id, code: -32000, message: `'${missing}' parameter is required` });
  }
});

test('a parameter of the wrong JSON type is -32000 "\'x\' parameter should be a ..."', async () => {
  const c = await client();
  const cases: [string, Record<string, unknown>, string][] = [
    ['create', { type: { name: 'MediaPipeline' } }, "'type' parameter should be a string"],
    ['create', { type: ['MediaPipeline'] }, "'type' parameter should be a string"],
    ['describe', { object: { id: 'manager_ServerManager' } }, "'object' parameter should be a string"],
    ['invoke', { object: 'manager_ServerManager', operation: {} }, "'operation' parameter should be a string"],
    ['invoke', { object: [], operation: 'getInfo' }, "'object' parameter should be a string"],
    ['subscribe', { object: 'manager_ServerManager', type: ['ObjectCreated'] }, "'type' parameter should be a string"],
    ['keepAlive', { sessionId: {} }, "'sessionId' parameter should be a string"],
    ['transaction', { operations: {} }, "'operations' parameter should be an array"],
    ['transaction', { operations: 'create' }, "'operations' parameter should be an array"],
  ];
  let id = 3000;
  for (const [method, params, message] of cases) {
    id++;
    assertRpcError(await c.request(method, params, id), { id, code: -32000, message });
  }
  // Scalars convert to strings as in jsoncpp: a number is a (non-existent) type name.
  assertRpcError(await c.request('create', { type: 5 }, 3100), { id: 3100, code: 40108, message: "Factory '5' not found", type: 'MEDIA_OBJECT_NOT_AVAILABLE' });
});

test('id 0 is a request id like any other and is answered with id 0', async () => {
  const c = await client();
  assertResult(await c.request('ping', undefined, 0), 0, { value: 'pong' });
  const created = await c.request('create', { type: 'MediaPipeline' }, 4000);
  assert.match(resultOf(created).value, /_kurento\.MediaPipeline$/);
  // A fresh socket (no session yet) so that id 0 is not answered from the session's cache.
  const other = await client();
  const response = await other.request('create', { type: 'MediaPipeline' }, 0);
  assert.equal(response.id, 0);
  assert.match(resultOf(response).value, /_kurento\.MediaPipeline$/);
  assert.match(response.result.sessionId, UUID);
});

test('string, negative and fractional ids are echoed verbatim', async () => {
  const c = await client();
  for (const id of ['abc', 'id with spaces', '42', -5, 1.5, true]) {
    const response = await c.request('ping', undefined, id);
    assert.deepEqual(response.id, id);
    assert.equal(response.result.value, 'pong');
  }
});

test('a notification is executed without a normal response; one whose method returns a value gets -32000 with id null', async () => {
  const observer = await client();
  const sub = resultOf(await observer.request('subscribe', { object: 'manager_ServerManager', type: 'ObjectCreated' }));
  assert.match(sub.value, UUID);

  const c = await client();
  // `create` returns a value, so KMS answers the notification with this error, carrying the result.
  const answer = c.nextResponse();
  c.notify('create', { type: 'MediaPipeline' });
  const error = await answer;
  assert.deepEqual(Object.keys(error).sort(), ['error', 'id', 'jsonrpc']);
  assert.equal(error.id, null);
  assert.equal(error.error.code, -32000);
  assert.equal(error.error.message, 'Ignoring response because of a notification request');
  const pipeline = error.error.data.value as string;
  assert.match(pipeline, /^[0-9a-f-]{36}_kurento\.MediaPipeline$/);
  assert.match(error.error.data.sessionId, UUID);
  assert.deepEqual(Object.keys(error.error.data).sort(), ['sessionId', 'value']);

  // The object really exists: the observer saw it created and it is listed.
  const created = await observer.waitForEvent('ObjectCreated');
  assert.equal(created.params.value.data.object, pipeline);
  const pipelines = resultOf(await observer.request('invoke', { object: 'manager_ServerManager', operation: 'getPipelines' })).value;
  assert.ok(pipelines.includes(pipeline), `${pipeline} not in ${JSON.stringify(pipelines)}`);

  // The error response does not bind the socket to the notification's session.
  const pong = await c.request('ping');
  assertResult(pong, pong.id, { value: 'pong' });

  // A `ping` notification returns a value too; an explicit `"id":null` is a notification as well.
  const pingAnswer = c.nextResponse();
  c.send({ jsonrpc: '2.0', method: 'ping', id: null });
  assert.deepEqual(await pingAnswer, {
    jsonrpc: '2.0',
    id: null,
    error: { code: -32000, message: 'Ignoring response because of a notification request', data: { value: 'pong' } },
  });
});

test('a notification whose method returns nothing gets no response; a failing one gets its error with id null', async () => {
  const c = await client();
  const created = resultOf(await c.request('create', { type: 'MediaPipeline' }));
  const sessionId = created.sessionId as string;
  const observer = await client();
  resultOf(await observer.request('subscribe', { object: 'manager_ServerManager', type: 'ObjectDestroyed' }));

  // closeSession returns null: nothing at all is sent back, but the session is closed.
  const before = c.received.length;
  c.notify('closeSession', { sessionId });
  const destroyed = await observer.waitForEvent('ObjectDestroyed');
  assert.equal(destroyed.params.value.data.objectId, created.value);
  await c.barrier();
  // Only the barrier's pong arrived after the notification.
  assert.equal(c.received.length, before + 1);

  const answer = c.nextResponse();
  c.notify('create', { type: 'NoSuchThing' });
  assertRpcError(await answer, { id: null, code: 40108, message: "Factory 'NoSuchThing' not found", type: 'MEDIA_OBJECT_NOT_AVAILABLE' });
  const unknown = c.nextResponse();
  c.notify('noSuchMethod');
  assertRpcError(await unknown, { id: null, code: -32601, message: 'Method not found.' });
});

test('the WebSocket path is checked, ignoring a query string', async () => {
  const base = new URL(fixture.server.url);
  const wrong = new RawClient(`ws://${base.host}/other`);
  assert.deepEqual(await wrong.closed, { code: 1002, reason: 'Invalid path' });
  // The JS client appends ?access_token=... when configured; a leading double slash is tolerated too.
  for (const url of [`${fixture.server.url}?access_token=secret`, `ws://${base.host}//kurento`]) {
    const c = await client(url);
    assertResult(await c.request('ping', undefined, 'path-ping'), 'path-ping', { value: 'pong' });
  }
});
