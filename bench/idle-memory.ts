/**
 * Idle resident memory of the server: the control process and each media worker right after
 * start (nothing created), then after one pipeline with a WebRtcEndpoint was made and released
 * in each worker (what a worker keeps once it has loaded what WebRTC needs), each time after the
 * processes had 15 s to settle. Prints RSS per process, the total and the private memory; the
 * goal of issue 13 is control + 2 workers ≤ 150 MB idle.
 *
 *   npm run bench:idle-memory [-- --workers 2]
 */
import { setTimeout as delay } from 'node:timers/promises';
import { startServer } from '../test/helpers/server-process.js';
import { readFileSync } from 'node:fs';
import { rssKiB } from './proc.js';
import { BenchClient } from './client.js';

const workersArg = process.argv.indexOf('--workers');
const workers = workersArg >= 0 ? Number(process.argv[workersArg + 1]) : 2;

function mib(kib: number): string {
  return (kib / 1024).toFixed(1);
}

/**
 * Private memory (KiB, USS): the resident pages only this process maps. Every Node process also
 * maps the same ~37 MB of the node binary's code, which RSS counts in full in each of them: the
 * server costs the machine the processes' private memory plus that code once.
 */
function privateKiB(pid: number): number {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(rollup)?.[1] ?? 0);
    return field('Private_Clean') + field('Private_Dirty');
  } catch {
    return 0;
  }
}

interface Sample {
  control: number;
  workers: number[];
  total: number;
  private: number;
}

function sample(controlPid: number, workerPids: number[]): Sample {
  const control = rssKiB(controlPid);
  const w = workerPids.map(rssKiB);
  return { control, workers: w, total: control + w.reduce((a, b) => a + b, 0), private: [controlPid, ...workerPids].reduce((sum, pid) => sum + privateKiB(pid), 0) };
}

/**
 * Idle memory once it settled: V8's memory reducer shrinks the heaps of a process that went
 * quiet some seconds after its last activity (~2–3 MB each here). The lowest of samples over 15 s.
 */
async function settled(controlPid: number, workerPids: number[]): Promise<Sample> {
  let best = sample(controlPid, workerPids);
  for (let i = 0; i < 15; i++) {
    await delay(1000);
    const s = sample(controlPid, workerPids);
    if (s.total < best.total) best = s;
  }
  return best;
}

const server = await startServer({ args: ['--workers', String(workers)], env: { KUROSHIO_LOG_LEVEL: 'info' } });
try {
  const deadline = Date.now() + 20_000;
  while (server.workerPids().length < workers && Date.now() < deadline) await delay(100);
  const controlPid = server.process.pid!;
  const workerPids = server.workerPids();
  const idle = await settled(controlPid, workerPids);
  const client = await BenchClient.connect(server.url);
  // One WebRtcEndpoint in each worker: pipelines are placed on the least loaded worker.
  const pipelines: string[] = [];
  for (let i = 0; i < workers; i++) {
    const pipeline = (await client.request('create', { type: 'MediaPipeline', constructorParams: {}, properties: {} })).value as string;
    await client.request('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: pipeline }, properties: {} });
    pipelines.push(pipeline);
  }
  for (const p of pipelines) await client.request('release', { object: p });
  client.close();
  const used = await settled(controlPid, workerPids);
  console.log(`Idle resident memory, ${workers} media workers (MiB)\n`);
  console.log('| state | control RSS | ' + workerPids.map((_, i) => `worker ${i + 1} RSS`).join(' | ') + ' | total RSS | total private |');
  console.log('|---|---:|' + workerPids.map(() => '---:|').join('') + '---:|---:|');
  for (const [name, s] of [['fresh', idle], ['after a WebRtcEndpoint in each', used]] as const) {
    console.log(`| ${name} | ${mib(s.control)} | ${s.workers.map(mib).join(' | ')} | ${mib(s.total)} | ${mib(s.private)} |`);
  }
} finally {
  await server.stop();
}
