/**
 * An endpoint released right after `processOffer` gives back every socket: the ICE gathering
 * that setLocalDescription runs in the background binds its sockets after the answer went out,
 * and used to add them to an agent already closed, where nobody released them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { poll } from '../helpers/poll.js';
import { usageOf } from '../helpers/proc-usage.js';
import { useRawClients } from '../helpers/raw-client.js';
import type { RawClient } from '../helpers/raw-client.js';
import { createPipeline, createWebRtcEndpoint, invoke } from '../helpers/webrtc-rpc.js';

const OFFER = readFileSync(fileURLToPath(new URL('../../../test/fixtures/sdp/chromium.sdp', import.meta.url)), 'utf8');
const CYCLES = 40;
const CONCURRENT = 4;

const fixture = useRawClients(['--workers', '1']);

async function cycle(client: RawClient): Promise<void> {
  const pipeline = await createPipeline(client);
  const endpoint = await createWebRtcEndpoint(client, pipeline);
  await invoke(client, endpoint, 'processOffer', { offer: OFFER });
  await client.call('release', { object: pipeline });
}

test('endpoints released right after processOffer leave no UDP socket behind', async () => {
  const [pid] = fixture.server.workerPids();
  assert.ok(pid, 'the worker pid is logged');
  const clients = await Promise.all(Array.from({ length: CONCURRENT }, () => fixture.client()));
  await cycle(clients[0]!); // warms up what the first endpoint loads once
  const baseline = await usageOf(pid);
  let next = 0;
  await Promise.all(
    clients.map(async (client) => {
      while (next++ < CYCLES) await cycle(client);
    }),
  );
  const after = await poll(() => usageOf(pid), (u) => u.udp <= baseline.udp, 5000);
  assert.ok(after.udp <= baseline.udp, `UDP sockets: ${baseline.udp} before, ${after.udp} after ${CYCLES} quick releases`);
});
