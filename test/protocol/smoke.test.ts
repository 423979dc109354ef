import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server-process.js';
import { RawClient } from '../helpers/raw-client.js';

test('the server answers ping and builds a pipeline', async () => {
  const server = await startServer({ args: ['--workers', '1'] });
  try {
    const client = await RawClient.connect(server.url);
    const pong = await client.request('ping', { interval: 5000 }, 0);
    assert.deepEqual(pong, { jsonrpc: '2.0', id: 0, result: { value: 'pong' } });
    const created = await client.call('create', { type: 'MediaPipeline', properties: {} });
    assert.match(created.value, /^[0-9a-f-]{36}_kurento\.MediaPipeline$/);
    client.close();
  } finally {
    await server.stop();
  }
});
