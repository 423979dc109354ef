/**
 * The message size limit (`--max-message`): an oversized request is refused with a JSON-RPC
 * error and nothing else changes — the socket, its session and other clients keep working.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useRawClients } from '../helpers/raw-client.js';
import { assertResult, resultOf } from '../helpers/rpc-assert.js';

const LIMIT = 2048;

const { client } = useRawClients(['--workers', '1', '--max-message', String(LIMIT)]);

/** A create request padded (with an ignored `properties` member) to exactly `bytes` bytes. */
function paddedCreate(id: string, bytes: number): string {
  const base = JSON.stringify({ jsonrpc: '2.0', id, method: 'create', params: { type: 'MediaPipeline', properties: { padding: '' } } });
  const text = base.replace('"padding":""', `"padding":"${'x'.repeat(bytes - base.length)}"`);
  assert.equal(Buffer.byteLength(text), bytes);
  return text;
}

test('a message over the limit is refused with -32600 naming the limit; the socket keeps working', async () => {
  const observer = await client();
  resultOf(await observer.request('subscribe', { object: 'manager_ServerManager', type: 'ObjectCreated' }));

  const c = await client();
  const { sessionId } = resultOf(await c.request('describe', { object: 'manager_ServerManager' }));
  const answer = c.nextResponse();
  c.sendText(paddedCreate('too-big', 4096));
  assert.deepEqual(await answer, {
    jsonrpc: '2.0',
    id: null,
    error: {
      code: -32600,
      message: `Message of 4096 bytes exceeds the limit of ${LIMIT} bytes`,
      data: { type: 'MESSAGE_TOO_LARGE' },
    },
  });
  // Nothing was created, and the same socket still has its session.
  await observer.barrier();
  assert.deepEqual(observer.events('ObjectCreated'), []);
  const pong = await c.request('ping');
  assertResult(pong, pong.id, { value: 'pong', sessionId });

  // At the limit exactly, the message is processed.
  const atLimit = c.waitFor((m) => m.id === 'at-limit');
  c.sendText(paddedCreate('at-limit', LIMIT));
  assert.match(resultOf(await atLimit).value, /_kurento\.MediaPipeline$/);
  const over = c.waitFor((m) => m.id === null);
  c.sendText(paddedCreate('over-by-one', LIMIT + 1));
  assert.equal((await over).error.message, `Message of ${LIMIT + 1} bytes exceeds the limit of ${LIMIT} bytes`);

  // Another client is not affected.
  const other = await client();
  assert.match(resultOf(await other.request('create', { type: 'MediaPipeline' })).value, /_kurento\.MediaPipeline$/);
});
