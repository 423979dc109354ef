/**
 * Placement: a new pipeline goes to the least-loaded media worker, and pipelines created at the
 * same moment (a room whose members all join at once) spread over the workers instead of all
 * landing on the one that looked emptiest when each request came in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient } from '../helpers/raw-client.js';
import { startServer } from '../helpers/server-process.js';
import { bootWorkerPids, placementOf } from './fixtures.js';

test('a burst of pipelines from many clients is spread evenly over the workers', async () => {
  const server = await startServer({ args: ['--workers', '2'] });
  const clients: RawClient[] = [];
  try {
    await bootWorkerPids(server, 2);
    for (let i = 0; i < 8; i++) clients.push(await RawClient.connect(server.url));
    const create = (client: RawClient): Promise<string> =>
      client.call('create', { type: 'MediaPipeline', constructorParams: {}, properties: {} }).then((r) => r.value as string);

    const burst = await Promise.all(clients.map(create));
    const workers = await Promise.all(burst.map(async (id) => (await placementOf(server, id)).worker));
    assert.deepEqual(count(workers), { 0: 4, 1: 4 }, `placed on workers ${workers.join(' ')}`);

    // Released pipelines stop counting: after releasing worker 0's, the next two go to worker 0.
    await Promise.all(burst.map((id, i) => (workers[i] === 0 ? clients[i]!.call('release', { object: id }) : undefined)));
    const next = await Promise.all(clients.slice(0, 2).map(create));
    const nextWorkers = await Promise.all(next.map(async (id) => (await placementOf(server, id)).worker));
    assert.deepEqual(nextWorkers, [0, 0]);
  } finally {
    for (const c of clients) c.close();
    await server.stop();
  }
});

function count(values: readonly number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}
