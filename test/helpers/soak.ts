/**
 * The quick hang-up soak: clients each run create pipeline + WebRtcEndpoint + processOffer +
 * immediate release, over and over, and the server's processes must end holding what they held
 * before — UDP sockets, file descriptors — with resident memory within a tolerance once garbage
 * was collected. Shared by the CI test (a few hundred cycles) and `bench/soak` (2,000).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { collectGarbage, inspectorUrls } from './inspector.js';
import { usageOf, type ProcUsage } from './proc-usage.js';
import { RawClient } from './raw-client.js';
import type { RunningServer } from './server-process.js';
import { createPipeline, createWebRtcEndpoint, invoke } from './webrtc-rpc.js';

export const SOAK_OFFER = readFileSync(fileURLToPath(new URL('../../../test/fixtures/sdp/chromium.sdp', import.meta.url)), 'utf8');

const WARM_UP_ROUNDS = 5;

/** Resident memory may end this much above the start (fraction). */
export const RSS_TOLERANCE = 0.1;

export interface SoakOptions {
  cycles: number;
  clients: number;
  /** How long to wait for the figures to come back, after the last cycle. */
  settleMs: number;
}

export interface SoakResult {
  cycles: number;
  seconds: number;
  /** Usage summed over the control process and its media workers. */
  baseline: ProcUsage;
  peak: ProcUsage;
  after: ProcUsage;
  /** Whether UDP sockets and descriptors came back to the baseline and memory within tolerance. */
  recovered: boolean;
}

/** Creates a pipeline and a WebRtcEndpoint that has answered an offer; returns the pipeline. */
async function openSession(client: RawClient): Promise<string> {
  const pipeline = await createPipeline(client);
  const endpoint = await createWebRtcEndpoint(client, pipeline);
  await invoke(client, endpoint, 'processOffer', { offer: SOAK_OFFER });
  return pipeline;
}

async function cycle(client: RawClient): Promise<void> {
  await client.call('release', { object: await openSession(client) });
}

/**
 * Each client opens a session and all of them are held before any is released: pipelines go to
 * the least-loaded worker, so only sessions held at once are sure to reach every worker (quick
 * cycles alone may all land on the first one, leaving the other's lazily loaded codecs out of
 * the baseline).
 */
async function warmUpEveryWorker(clients: readonly RawClient[]): Promise<void> {
  const pipelines = await Promise.all(clients.map(openSession));
  await Promise.all(pipelines.map((pipeline, i) => clients[i]!.call('release', { object: pipeline })));
}

async function treeUsage(pids: readonly number[]): Promise<ProcUsage> {
  const all = await Promise.all(pids.map(usageOf));
  return all.reduce((a, b) => ({ udp: a.udp + b.udp, fds: a.fds + b.fds, rssKiB: a.rssKiB + b.rssKiB }), { udp: 0, fds: 0, rssKiB: 0 });
}

function recoveredFrom(baseline: ProcUsage, now: ProcUsage): boolean {
  return now.udp <= baseline.udp && now.fds <= baseline.fds && now.rssKiB <= baseline.rssKiB * (1 + RSS_TOLERANCE);
}

/**
 * Runs the soak against a server started with inspectors (`inspectorEnv()`), so garbage can be
 * collected before memory is read: what is compared is retained memory, not garbage.
 */
export async function soak(server: RunningServer, options: SoakOptions): Promise<SoakResult> {
  const pids = [server.process.pid!, ...server.workerPids()];
  if (pids.length < 2) throw new Error('the soak needs the workers\' pids: start the server at the debug log level');
  const inspectors = inspectorUrls(server.logs.map((r) => String(r.msg)));
  const clients = await Promise.all(Array.from({ length: options.clients }, () => RawClient.connect(server.url)));
  // First rounds load what endpoints load once (codecs, certificates, JIT, pools): the baseline
  // is the steady state after them, not the empty process.
  for (let i = 0; i < WARM_UP_ROUNDS; i++) {
    await warmUpEveryWorker(clients);
    await Promise.all(clients.map(cycle));
  }
  await collectGarbage(inspectors);
  const baseline = await treeUsage(pids);
  let peak = baseline;
  let next = 0;
  const started = performance.now();
  const sampler = setInterval(() => {
    void treeUsage(pids).then((u) => {
      if (u.udp > peak.udp || u.rssKiB > peak.rssKiB) peak = { udp: Math.max(u.udp, peak.udp), fds: Math.max(u.fds, peak.fds), rssKiB: Math.max(u.rssKiB, peak.rssKiB) };
    }, () => undefined);
  }, 500);
  try {
    await Promise.all(
      clients.map(async (client) => {
        while (next++ < options.cycles) await cycle(client);
      }),
    );
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - started) / 1000;
  for (const c of clients) await c.closeAndWait();
  const deadline = Date.now() + options.settleMs;
  let after: ProcUsage;
  for (;;) {
    await collectGarbage(inspectors);
    after = await treeUsage(pids);
    if (recoveredFrom(baseline, after) || Date.now() > deadline) break;
    await delay(500);
  }
  return { cycles: options.cycles, seconds, baseline, peak, after, recovered: recoveredFrom(baseline, after) };
}

export function describeSoak(result: SoakResult): string {
  const mib = (kib: number): string => (kib / 1024).toFixed(0);
  return [
    `${result.cycles} cycles in ${result.seconds.toFixed(1)} s (${(result.cycles / result.seconds).toFixed(1)}/s)`,
    `UDP sockets ${result.baseline.udp} -> peak ${result.peak.udp} -> ${result.after.udp}`,
    `fds ${result.baseline.fds} -> ${result.after.fds}`,
    `RSS ${mib(result.baseline.rssKiB)} MiB -> peak ${mib(result.peak.rssKiB)} -> ${mib(result.after.rssKiB)} MiB`,
  ].join('; ');
}
