/**
 * The `transaction` method as KMS runs it (ServerMethods::transaction): operations in order with
 * the transaction's session, `newref:<i>` replaced by the value of operation i, responses with
 * ids 0..n-1, a stop at the first failure, and malformed transactions rejected as a whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useRawClients, type Message } from '../helpers/raw-client.js';
import { assertRpcError, resultOf, UUID } from '../helpers/rpc-assert.js';

const { client } = useRawClients();

function op(id: unknown, method: string, params?: Message): Message {
  return { jsonrpc: '2.0', id, method, ...(params ? { params } : {}) };
}

test('newref:<i> is replaced by the value of operation i and every operation gets a response', async () => {
  const c = await client();
  const response = await c.request(
    'transaction',
    {
      operations: [
        // The transaction's session replaces whatever an operation names.
        op(0, 'create', { type: 'MediaPipeline', constructorParams: {}, properties: {}, sessionId: 'ignored' }),
        op(1, 'create', { type: 'PassThrough', constructorParams: { mediaPipeline: 'newref:0' } }),
        op(2, 'create', { type: 'kurento.PassThrough', constructorParams: { mediaPipeline: 'newref:0' } }),
        op(3, 'invoke', { object: 'newref:1', operation: 'connect', operationParams: { sink: 'newref:2', mediaType: 'VIDEO' } }),
        op(4, 'invoke', { object: 'newref:2', operation: 'getMediaPipeline' }),
      ],
    },
    'tx-1',
  );
  assert.equal(response.id, 'tx-1');
  const result = resultOf(response);
  assert.deepEqual(Object.keys(result).sort(), ['sessionId', 'value']);
  const sessionId = result.sessionId as string;
  assert.match(sessionId, UUID);
  const values: Message[] = result.value;
  assert.equal(values.length, 5);
  const pipeline = values[0]!.result.value as string;
  const source = values[1]!.result.value as string;
  const sink = values[2]!.result.value as string;
  assert.match(pipeline, /^[0-9a-f-]{36}_kurento\.MediaPipeline$/);
  assert.ok(source.startsWith(`${pipeline}/`) && source.endsWith('_kurento.PassThrough'), source);
  assert.ok(sink.startsWith(`${pipeline}/`) && sink !== source, sink);
  assert.deepEqual(values, [
    { jsonrpc: '2.0', id: 0, result: { value: pipeline, sessionId } },
    { jsonrpc: '2.0', id: 1, result: { value: source, sessionId } },
    { jsonrpc: '2.0', id: 2, result: { value: sink, sessionId } },
    { jsonrpc: '2.0', id: 3, result: { value: null, sessionId } },
    { jsonrpc: '2.0', id: 4, result: { value: pipeline, sessionId } },
  ]);
  // The connection really happened.
  const connections = resultOf(await c.request('invoke', { object: source, operation: 'getSinkConnections' })).value as Message[];
  assert.deepEqual(
    connections.map((x) => [x.source, x.sink, x.type]),
    [[source, sink, 'VIDEO']],
  );
  // The socket is bound to the transaction's session.
  assert.equal((await c.request('ping')).result.sessionId, sessionId);
});

test('references are replaced at any depth of the params', async () => {
  const c = await client();
  const result = resultOf(
    await c.request('transaction', {
      operations: [
        op(0, 'create', { type: 'MediaPipeline' }),
        op(1, 'invoke', { object: 'newref:0', operation: 'addTag', operationParams: { key: 'pipeline', value: 'newref:0' } }),
        op(2, 'invoke', { object: 'newref:0', operation: 'getTags' }),
      ],
    }),
  );
  const pipeline = result.value[0].result.value as string;
  assert.deepEqual(result.value[2].result.value, [{ __module__: 'kurento', __type__: 'Tag', key: 'pipeline', value: pipeline }]);
});

test('processing stops at the first failing operation: the responses array is shorter', async () => {
  const observer = await client();
  resultOf(await observer.request('subscribe', { object: 'manager_ServerManager', type: 'ObjectCreated' }));
  const c = await client();
  const response = await c.request('transaction', {
    operations: [
      op(0, 'create', { type: 'MediaPipeline' }),
      op(1, 'invoke', { object: 'no-such-object', operation: 'getName' }),
      op(2, 'create', { type: 'MediaPipeline' }),
    ],
  });
  // The transaction itself succeeds; the failure is inside.
  const result = resultOf(response);
  assert.equal(result.value.length, 2);
  assert.equal(result.value[0].id, 0);
  assert.match(result.value[0].result.value, /_kurento\.MediaPipeline$/);
  assert.deepEqual(result.value[1], {
    jsonrpc: '2.0',
    id: 1,
    error: { code: 40101, message: "Object 'no-such-object' not found", data: { type: 'MEDIA_OBJECT_NOT_FOUND' } },
  });
  // Only the first pipeline was created.
  await observer.waitForEvent('ObjectCreated');
  await observer.barrier();
  assert.deepEqual(
    observer.events('ObjectCreated').map((e) => e.data.object),
    [result.value[0].result.value],
  );
});

test('an operation that is not a valid request fails in place and stops the transaction', async () => {
  const c = await client();
  const result = resultOf(
    await c.request('transaction', {
      operations: [op(0, 'ping'), { id: 1, method: 'ping' }, op(2, 'ping')],
    }),
  );
  assert.equal(result.value.length, 2);
  assert.equal(result.value[0].result.value, 'pong');
  assert.deepEqual(result.value[1], { jsonrpc: '2.0', id: 1, error: { code: -32600, message: 'Invalid JSON-RPC request.' } });

  const unknown = resultOf(await c.request('transaction', { operations: [op(0, 'frobnicate')] }));
  assert.deepEqual(unknown.value, [{ jsonrpc: '2.0', id: 0, error: { code: -32601, message: 'Method not found.' } }]);
});

test('an empty transaction answers an empty array', async () => {
  const c = await client();
  const result = resultOf(await c.request('transaction', { operations: [] }));
  assert.deepEqual(result.value, []);
  assert.match(result.sessionId, UUID);
});

test('an operation id that is not its index rejects the transaction with 40008', async () => {
  const c = await client();
  const malformed = (id: string, i: number) => ({ id, code: 40008, message: `Id of request '${i}' should be '${i}'`, type: 'MALFORMED_TRANSACTION' });
  assertRpcError(await c.request('transaction', { operations: [op(0, 'ping'), op(5, 'ping')] }, 'bad-1'), malformed('bad-1', 1));
  assertRpcError(await c.request('transaction', { operations: [op(1, 'ping')] }, 'bad-2'), malformed('bad-2', 0));
  // KMS reads the id as an unsigned integer: a string is not one.
  assertRpcError(await c.request('transaction', { operations: [op('0', 'ping')] }, 'bad-3'), malformed('bad-3', 0));
  assertRpcError(await c.request('transaction', { operations: [op(0, 'ping'), { jsonrpc: '2.0', method: 'ping' }] }, 'bad-4'), malformed('bad-4', 1));
  // ... but jsoncpp converts a missing (null) id to 0, so the first operation may omit it.
  const lenient = resultOf(await c.request('transaction', { operations: [{ jsonrpc: '2.0', method: 'ping' }] }, 'lenient'));
  assert.deepEqual(lenient.value, [{ jsonrpc: '2.0', id: 0, result: { value: 'pong', sessionId: lenient.sessionId } }]);
});

test('a bad newref index rejects the transaction with 40008', async () => {
  const c = await client();
  assertRpcError(
    await c.request('transaction', { operations: [op(0, 'create', { type: 'MediaPipeline' }), op(1, 'describe', { object: 'newref:abc' })] }, 'ref-1'),
    { id: 'ref-1', code: 40008, message: "Invalid index of newref 'abc'", type: 'MALFORMED_TRANSACTION' },
  );
  assertRpcError(
    await c.request('transaction', { operations: [op(0, 'create', { type: 'MediaPipeline' }), op(1, 'describe', { object: 'newref:7' })] }, 'ref-2'),
    { id: 'ref-2', code: 40008, message: 'Result not found on request 7', type: 'MALFORMED_TRANSACTION' },
  );
  // An operation cannot refer to itself: its result does not exist yet.
  assertRpcError(await c.request('transaction', { operations: [op(0, 'describe', { object: 'newref:0' })] }, 'ref-3'), {
    id: 'ref-3',
    code: 40008,
    message: 'Result not found on request 0',
    type: 'MALFORMED_TRANSACTION',
  });
});

test('a reference to an operation whose result has no value becomes null', async () => {
  const c = await client();
  const { sessionId } = resultOf(await c.request('describe', { object: 'manager_ServerManager' }));
  // keepAlive answers {sessionId} without a value: the reference becomes null, read as "".
  const result = resultOf(await c.request('transaction', { operations: [op(0, 'keepAlive', {}), op(1, 'describe', { object: 'newref:0' })] }));
  assert.deepEqual(result.value, [
    { jsonrpc: '2.0', id: 0, result: { sessionId } },
    { jsonrpc: '2.0', id: 1, error: { code: 40101, message: "Object '' not found", data: { type: 'MEDIA_OBJECT_NOT_FOUND' } } },
  ]);
});
