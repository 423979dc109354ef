/**
 * Resident memory of an idle server, and what the first objects add: Kuroshio as the README starts
 * it (the control process and two media workers) next to Janus (Debian's package, VideoRoom and
 * WebSocket only, as bench:sfu runs it), in the same run.
 *
 * Two sums are printed for each server's process tree: RSS, which counts the node binary and
 * every shared library once per process, and PSS, which shares such pages out between the
 * processes that map them, so that the sum is what the tree occupies. Figures are taken once the
 * tree has settled: its total RSS changed by less than 1 % over the last second.
 *
 *   npm run bench:memory
 */
import { BenchClient } from './client.js';
import { processTree, pssKiB, rssKiB } from './proc.js';
import { startTarget } from './sfu-vs-janus/servers.js';
import { startServer } from '../test/helpers/server-process.js';

interface TreeMemory {
  processes: number;
  rssKiB: number;
  pssKiB: number;
}

function treeMemory(root: number): TreeMemory {
  const pids = processTree(root);
  return { processes: pids.length, rssKiB: pids.reduce((s, p) => s + rssKiB(p), 0), pssKiB: pids.reduce((s, p) => s + pssKiB(p), 0) };
}

/** The tree's memory once its RSS stops moving (at most 15 s): start-up allocations have settled. */
async function settled(root: number): Promise<TreeMemory> {
  let last = treeMemory(root);
  for (let i = 0; i < 15; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = treeMemory(root);
    const steady = Math.abs(now.rssKiB - last.rssKiB) < last.rssKiB * 0.01;
    last = now;
    if (steady) break;
  }
  return last;
}

async function create(client: BenchClient, type: string, constructorParams: Record<string, unknown>): Promise<string> {
  return (await client.request('create', { type, constructorParams, properties: {} })).value as string;
}

const mib = (kib: number): string => (kib / 1024).toFixed(1);
const rows: string[] = [];
const row = (server: string, state: string, m: TreeMemory): void => {
  rows.push(`| ${server} | ${state} | ${m.processes} | ${mib(m.rssKiB)} | ${mib(m.pssKiB)} |`);
};

const kuroshio = await startServer({ args: ['--workers', '2', '--log-level', 'info'], env: { KMS_NETWORK_INTERFACES: 'lo' } });
try {
  const root = kuroshio.process.pid!;
  row('Kuroshio', 'idle', await settled(root));
  const client = await BenchClient.connect(kuroshio.url);
  // The one-to-one tutorial's objects in one pipeline, which loads werift and FFmpeg into its worker.
  const pipeline = await create(client, 'MediaPipeline', {});
  await create(client, 'WebRtcEndpoint', { mediaPipeline: pipeline });
  await create(client, 'WebRtcEndpoint', { mediaPipeline: pipeline });
  row('Kuroshio', 'one pipeline, 2 WebRtcEndpoints', await settled(root));
  await client.request('release', { object: pipeline });
  client.close();
  row('Kuroshio', 'after releasing it', await settled(root));
} finally {
  await kuroshio.stop();
}

try {
  const janus = await startTarget('janus', undefined);
  try {
    row('Janus', 'idle', await settled(janus.pid));
  } finally {
    await janus.stop();
  }
} catch (err) {
  rows.push(`| Janus | not measured: ${(err as Error).message} | | | |`);
}

console.log('\nResident memory of each server\'s process tree (MiB; PSS shares pages mapped by several processes between them)\n');
console.log('| server | state | processes | RSS sum | PSS sum |');
console.log('|---|---|---:|---:|---:|');
for (const line of rows) console.log(line);
