/**
 * The metrics and health endpoints of a running server: during a one-to-many call (a werift
 * presenter, two werift viewers, driven with the typed client) the RTP counters of /metrics move,
 * the object gauges match the pipeline, JSON-RPC requests and errors are counted by method and
 * code, and Prometheus' own checker (`promtool check metrics`, Debian's prometheus package)
 * accepts the exposition. /ready turns false while the only worker is dead and true once its
 * replacement is up; /metrics can live on a port of its own.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { KurentoClient, isKurentoError } from 'kuroshio-client';
import { pollUntil } from '../helpers/poll.js';
import { setUp, startServer, type RunningServer } from '../helpers/server-process.js';
import { startOneToMany, type OneToManyCall } from '../helpers/typed-call.js';

let server: RunningServer | undefined;
let client: KurentoClient | undefined;
let call: OneToManyCall | undefined;

before(async () => {
  server = await startServer({ args: ['--workers', '1'], env: { KMS_NETWORK_INTERFACES: 'lo' } });
  client = await KurentoClient.connect(server.url);
  call = await startOneToMany(client, 2);
});

after(async () => {
  await call?.close();
  client?.close();
  await server?.stop();
});

function httpBase(): string {
  return setUp(server, 'server').url.replace(/^ws:/, 'http:').replace(/\/kurento$/, '');
}

async function scrape(base = httpBase()): Promise<string> {
  const response = await fetch(`${base}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
  return response.text();
}

/** The value of one sample, by metric name and exact labels (undefined when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const wanted = Object.entries(labels);
    if (wanted.length === Object.keys(found).length && wanted.every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

test('/metrics shows the call: objects, sessions, connections, and RTP counters that move', async () => {
  const first = await scrape();
  assert.equal(sample(first, 'kuroshio_pipelines'), 1);
  assert.equal(sample(first, 'kuroshio_elements', { type: 'WebRtcEndpoint' }), 3);
  assert.ok((sample(first, 'kuroshio_sessions') ?? 0) >= 1);
  assert.ok((sample(first, 'kuroshio_websocket_connections') ?? 0) >= 1);
  assert.equal(sample(first, 'kuroshio_worker_up', { worker: '0' }), 1);
  assert.ok((sample(first, 'kuroshio_worker_resident_memory_bytes', { worker: '0' }) ?? 0) > 10e6);
  const videoIn = (text: string): number => sample(text, 'kuroshio_rtp_packets_total', { worker: '0', kind: 'video', direction: 'in' }) ?? 0;
  const videoOut = (text: string): number => sample(text, 'kuroshio_rtp_packets_total', { worker: '0', kind: 'video', direction: 'out' }) ?? 0;
  const bytesOut = (text: string): number => sample(text, 'kuroshio_rtp_bytes_total', { worker: '0', kind: 'video', direction: 'out' }) ?? 0;
  assert.ok(videoIn(first) > 0, 'the presenter has sent video');
  // Two viewers: the server sends about twice what it receives.
  const later = await pollUntil(scrape, (text) => videoIn(text) >= videoIn(first) + 60 && videoOut(text) >= videoOut(first) + 120, 15_000, 'the RTP counters to move');
  assert.ok(bytesOut(later) > bytesOut(first));
  assert.ok((sample(later, 'kuroshio_rtp_packets_total', { worker: '0', kind: 'audio', direction: 'in' }) ?? 0) > 0);
  assert.ok((sample(later, 'kuroshio_worker_cpu_seconds_total', { worker: '0' }) ?? 0) > 0);
});

test('JSON-RPC requests are counted by method, timed, and their errors counted by code', async () => {
  const c = setUp(client, 'client');
  await assert.rejects(c.getMediaObjectById('no-such-object'), (err) => isKurentoError(err, 'MEDIA_OBJECT_NOT_FOUND'));
  const text = await scrape();
  assert.ok((sample(text, 'kuroshio_rpc_requests_total', { method: 'create' }) ?? 0) >= 4, 'a pipeline and three endpoints were created');
  assert.ok((sample(text, 'kuroshio_rpc_request_duration_seconds_count', { method: 'invoke' }) ?? 0) >= 6);
  assert.ok((sample(text, 'kuroshio_rpc_request_duration_seconds_bucket', { method: 'invoke', le: '+Inf' }) ?? 0) >= 6);
  assert.equal(sample(text, 'kuroshio_rpc_errors_total', { method: 'describe', code: '40101' }), 1);
});

test('promtool accepts the exposition', async () => {
  const text = await scrape();
  const checked = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.ifError(checked.error); // promtool comes with Debian's prometheus package (.ci/run installs it)
  assert.equal(checked.status, 0, `promtool: ${checked.stdout}${checked.stderr}`);
});

test('/health answers; /ready is false while no worker is up, true again once it is replaced', async () => {
  const s = setUp(server, 'server');
  const health = await fetch(`${httpBase()}/health`);
  assert.equal(health.status, 200);
  const ready = async (): Promise<number> => (await fetch(`${httpBase()}/ready`)).status;
  assert.equal(await ready(), 200);
  const [pid] = s.workerPids();
  assert.ok(pid);
  process.kill(pid, 'SIGKILL');
  // The replacement takes a while to load its codecs: /ready says 503 meanwhile.
  await pollUntil(ready, (status) => status === 503, 5_000, '/ready to turn 503', 10);
  await pollUntil(ready, (status) => status === 200, 20_000, '/ready to turn 200 again');
  const text = await scrape();
  assert.equal(sample(text, 'kuroshio_worker_restarts_total', { worker: '0' }), 1);
  assert.equal(sample(text, 'kuroshio_pipelines'), 0, 'the dead worker took its pipeline');
});

test('--metrics-port serves the endpoints on a port of their own, not on the WebSocket port', async () => {
  const other = await startServer({ args: ['--workers', '1', '--metrics-port', '0'] });
  try {
    const record = await other.waitForLog((r) => r.msg === 'Kuroshio listening');
    const metricsUrl = String(record.metricsUrl).replace('127.0.0.1', '127.0.0.1');
    assert.notEqual(new URL(metricsUrl).port, String(other.port));
    assert.match(await scrape(metricsUrl.replace(/\/metrics$/, '')), /kuroshio_worker_up\{worker="0"\} 1/);
    assert.equal((await fetch(`http://127.0.0.1:${other.port}/metrics`)).status, 426);
  } finally {
    await other.stop();
  }
});
