/**
 * A well-behaved client in a thread of its own: it pings every `everyMs` until told to stop and
 * posts back the round-trip times. Its own event loop keeps the fuzzer's work (making megabyte
 * frames) out of the measured times.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RawClient } from './raw-client.js';

const { url, everyMs } = workerData as { url: string; everyMs: number };
let running = true;
parentPort!.on('message', () => (running = false));
const client = await RawClient.connect(url);
await client.call('describe', { object: 'manager_ServerManager' });
const times: number[] = [];
while (running) {
  const started = performance.now();
  await client.request('ping', undefined, undefined, 30_000);
  times.push(performance.now() - started);
  await new Promise((resolve) => setTimeout(resolve, everyMs));
}
client.close();
parentPort!.postMessage(times);
