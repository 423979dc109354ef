/**
 * Limits that protect the server, answered with KMS's NOT_ENOUGH_RESOURCES (40009): the resource
 * guard on `create` (here: above half of a four-port range in use) and the per-session object
 * limit. Both are off unless configured.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { poll } from '../helpers/poll.js';
import { useRawClients, type RawClient } from '../helpers/raw-client.js';
import { resultOf } from '../helpers/rpc-assert.js';
import { SOAK_OFFER } from '../helpers/soak.js';

const MIN_PORT = 50000 + Math.floor(Math.random() * 7000);
const fixture = useRawClients([
  '--workers', '1',
  '--min-port', String(MIN_PORT), '--max-port', String(MIN_PORT + 3),
  '--resource-limit', '0.5',
  '--max-session-objects', '3',
]);

/** Creates a pipeline and releases it again at once: the answer of the create. */
async function tryPipeline(c: RawClient): Promise<Record<string, any>> {
  const answer = await create(c, 'MediaPipeline');
  if (!answer.error) resultOf(await c.request('release', { object: answer.result.value }));
  return answer;
}

function create(c: RawClient, type: string, constructorParams?: Record<string, unknown>): Promise<Record<string, any>> {
  return c.request('create', { type, ...(constructorParams ? { constructorParams } : {}) });
}

test('a session holding the most objects allowed cannot create more; other sessions can', async () => {
  const c = await fixture.client();
  const pipeline = resultOf(await create(c, 'MediaPipeline')).value as string;
  resultOf(await create(c, 'PassThrough', { mediaPipeline: pipeline }));
  resultOf(await create(c, 'PassThrough', { mediaPipeline: pipeline }));
  const refused = await create(c, 'PassThrough', { mediaPipeline: pipeline });
  assert.equal(refused.error?.code, 40009);
  assert.equal(refused.error?.data?.type, 'NOT_ENOUGH_RESOURCES');
  const other = await fixture.client();
  resultOf(await create(other, 'PassThrough', { mediaPipeline: pipeline }));
  resultOf(await c.request('release', { object: pipeline }));
});

test('create answers 40009 while more than the configured share of the port range is in use, and works again once freed', async () => {
  const c = await fixture.client();
  const pipeline = resultOf(await create(c, 'MediaPipeline')).value as string;
  const endpoint = resultOf(await create(c, 'WebRtcEndpoint', { mediaPipeline: pipeline })).value as string;
  resultOf(await c.request('invoke', { object: endpoint, operation: 'processOffer', operationParams: { offer: SOAK_OFFER } }));
  // The endpoint's sockets take at least half of the four ports; the guard reads them within a second.
  const other = await fixture.client();
  const refused = await poll(() => tryPipeline(other), (r) => r.error !== undefined, 5000, 200);
  assert.equal(refused.error?.code, 40009, JSON.stringify(refused));
  assert.match(refused.error.message, /ports/);
  resultOf(await c.request('release', { object: pipeline }));
  const again = await poll(() => tryPipeline(other), (r) => r.error === undefined, 5000, 200);
  resultOf(again);
});
