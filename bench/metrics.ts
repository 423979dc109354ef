/**
 * `npm run bench:metrics`: what observing the server costs. A scrape of /metrics asks every media
 * worker for its figures and reads every object's counters; the console's state reads the
 * registry. Both are timed against /health on the same HTTP path (which does no work), with 0,
 * 100 and 400 elements in one worker, and the worker CPU one scrape costs is read from the
 * worker's own CPU counter. Nothing here touches the media path: these are the whole cost.
 */
import { KurentoClient } from 'kuroshio-client';
import { startServer } from '../test/helpers/server-process.js';

const SIZES = [0, 100, 400];
const REQUESTS = 60;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function timeRequests(url: string, headers: Record<string, string> = {}): Promise<{ p50: number; p95: number }> {
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const started = performance.now();
    const response = await fetch(url, { headers });
    await response.text();
    if (!response.ok) throw new Error(`${url}: ${response.status}`);
    times.push(performance.now() - started);
  }
  return { p50: percentile(times, 50), p95: percentile(times, 95) };
}

function workerCpu(text: string): number {
  return Number(/^kuroshio_worker_cpu_seconds_total\{worker="0"\} (\S+)$/m.exec(text)?.[1] ?? NaN);
}

const server = await startServer({ args: ['--workers', '1', '--log-level', 'info', '--console', '--console-token', 'bench'] });
const base = server.url.replace(/^ws:/, 'http:').replace(/\/kurento$/, '');
const client = await KurentoClient.connect(server.url);
const rows: string[] = [];
try {
  const pipeline = await client.create('MediaPipeline');
  let elements = 0;
  for (const size of SIZES) {
    await client.transaction((tx) => {
      for (; elements < size; elements++) {
        if (elements % 2 === 0) tx.create('WebRtcEndpoint', { mediaPipeline: pipeline });
        else tx.create('PassThrough', { mediaPipeline: pipeline });
      }
    });
    const health = await timeRequests(`${base}/health`);
    const cpuBefore = workerCpu(await (await fetch(`${base}/metrics`)).text());
    const metrics = await timeRequests(`${base}/metrics`);
    const cpuAfter = workerCpu(await (await fetch(`${base}/metrics`)).text());
    const state = await timeRequests(`${base}/console/api/state`, { authorization: 'Bearer bench' });
    const cpuPerScrapeMs = ((cpuAfter - cpuBefore) * 1000) / (REQUESTS + 1);
    rows.push(
      `| ${size} | ${health.p50.toFixed(2)} / ${health.p95.toFixed(2)} | ${metrics.p50.toFixed(2)} / ${metrics.p95.toFixed(2)} | ${(metrics.p50 / health.p50).toFixed(1)}× | ${cpuPerScrapeMs.toFixed(2)} | ${state.p50.toFixed(2)} / ${state.p95.toFixed(2)} |`,
    );
  }
  await pipeline.release();
} finally {
  client.close();
  await server.stop();
}
console.log(`Observation cost, one media worker, ${REQUESTS} sequential requests per figure (ms, p50 / p95)\n`);
console.log('| elements | /health (baseline) | /metrics | × baseline | worker CPU per scrape (ms) | /console/api/state |');
console.log('|---:|---:|---:|---:|---:|---:|');
for (const row of rows) console.log(row);
