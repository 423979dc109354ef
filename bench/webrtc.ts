/**
 * `npm run bench:webrtc`: WebRtcEndpoint forwarding, side by side with a minimal werift-only SFU
 * (`werift-sfu.ts`) under the same load, in one run.
 *
 * (a) Time to media: from the subscriber's offer reaching the server (processOffer) to its first
 *     RTP packet, median over several runs (plus, for Kuroshio, processOffer to MediaFlowOut on
 *     the publisher's endpoint: the server receiving the publisher's media).
 * (b) Fan-out: one publisher (a werift peer sending synthetic VP8-like RTP at ~1.5 Mbit/s, 200
 *     packets/s, and 50 audio packets/s) to 1, 10 and 50 subscribers (werift peers that count
 *     packets after SRTP, decoding nothing). Measured over a window: packets delivered per second
 *     and per server CPU-second (user+sys of every server process, from /proc/<pid>/stat), added
 *     latency p50/p99 (each payload carries its send time; sender and receivers share this
 *     machine's clock), and resident memory per subscriber.
 *
 * Kuroshio runs with one media worker (a pipeline lives in one worker anyway). When `taskset`
 * is available the servers are pinned to CPU 0 and this process (all the client peers) to CPU 1,
 * so the clients do not take the servers' core. The client side is the same for both targets, so
 * its own queueing adds the same to both latencies.
 *
 * Knobs (environment): BENCH_WINDOW_S (default 10), BENCH_RUNS (default 7),
 * BENCH_FANOUT (default "1,10,50").
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RawClient } from '../test/helpers/raw-client.js';
import { startServer, type RunningServer } from '../test/helpers/server-process.js';
import { createPipeline, createWebRtcEndpoint, gatherInto, invoke, subscribe } from '../test/helpers/webrtc-rpc.js';
import { pumpMedia, stampOf, WeriftPeer, type PeerKind } from '../test/helpers/werift-peer.js';
import { processTree, rssKiB } from './proc.js';

const WINDOW_S = Number(process.env.BENCH_WINDOW_S ?? 10);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const FANOUT = (process.env.BENCH_FANOUT ?? '1,10,50').split(',').map(Number);
const VIDEO_PPS = 200;
const AUDIO_PPS = 50;
/** 200 packets/s of this payload (plus 12 bytes of RTP header) is 1.5 Mbit/s. */
const VIDEO_BYTES = Math.round(1_500_000 / 8 / VIDEO_PPS) - 12;
const AUDIO_BYTES = 120;
const SUBSCRIBE_BATCH = 10;
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const progress = (what: string): void => void process.stderr.write(`${what}\n`);

/** What the bench needs of a server under test. */
interface Target {
  name: string;
  pids(): number[];
  /** Negotiates a publishing peer (which starts sending once this resolves). */
  publish(peer: WeriftPeer): Promise<void>;
  /** Negotiates a subscribing peer; returns when the offer was handed to the server. */
  subscribe(peer: WeriftPeer): Promise<{ offeredAt: number }>;
  /** Drops every session. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

// ---- Kuroshio ----------------------------------------------------------------------------------

async function kuroshio(): Promise<Target & { publisherFlowMs: number[] }> {
  const server: RunningServer = await startServer({ args: ['--workers', '1', '--log-level', 'info'], env: { KMS_NETWORK_INTERFACES: 'lo' } });
  const client = await RawClient.connect(server.url);
  let pipeline = await createPipeline(client);
  let publisher: string | undefined;
  const publisherFlowMs: number[] = [];
  return {
    name: 'Kuroshio',
    publisherFlowMs,
    // The control process and its media worker (its children: found in /proc, whatever the log level).
    pids: () => processTree(server.process.pid!),
    async publish(peer) {
      publisher = await createWebRtcEndpoint(client, pipeline);
      await subscribe(client, publisher, ['IceCandidateFound', 'IceGatheringDone', 'MediaFlowOutStateChanged']);
      const offer = await peer.offer({ audio: 'sendonly', video: 'sendonly' });
      const offeredAt = performance.now();
      await peer.acceptAnswer(String(await invoke(client, publisher, 'processOffer', { offer })));
      await gatherInto(client, publisher, peer);
      // The caller starts sending once this resolves: the flow is timed in the background.
      client.waitForEvent('MediaFlowOutStateChanged', publisher, 20_000).then(
        () => publisherFlowMs.push(performance.now() - offeredAt),
        (err: Error) => progress(`publisher media never flowed: ${err.message}`),
      );
    },
    async subscribe(peer) {
      const endpoint = await createWebRtcEndpoint(client, pipeline);
      await invoke(client, publisher!, 'connect', { sink: endpoint });
      await subscribe(client, endpoint, ['IceCandidateFound', 'IceGatheringDone']);
      const offer = await peer.offer({ audio: 'recvonly', video: 'recvonly' });
      const offeredAt = performance.now();
      await peer.acceptAnswer(String(await invoke(client, endpoint, 'processOffer', { offer })));
      await gatherInto(client, endpoint, peer);
      return { offeredAt };
    },
    async reset() {
      await client.call('release', { object: pipeline });
      client.received.length = 0; // events of released objects: nothing will look at them again
      pipeline = await createPipeline(client);
    },
    async stop() {
      client.close();
      await server.stop();
    },
  };
}

// ---- the werift-only baseline ------------------------------------------------------------------

async function weriftSfu(): Promise<Target> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./werift-sfu.js', import.meta.url)), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`werift SFU exited with ${String(code)}`)));
  });
  let nextId = 1;
  const request = (op: string, offer?: string): Promise<{ answer?: string }> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const onMessage = (reply: { id: number; answer?: string; error?: string }): void => {
        if (reply.id !== id) return;
        child.off('message', onMessage);
        if (reply.error) reject(new Error(reply.error));
        else resolve(reply);
      };
      child.on('message', onMessage);
      child.send({ id, op, offer });
    });
  return {
    name: 'werift SFU',
    pids: () => [child.pid!],
    async publish(peer) {
      const offer = await peer.offer({ audio: 'sendonly', video: 'sendonly' });
      await peer.acceptAnswer((await request('publish', offer)).answer!);
      await peer.waitConnected();
    },
    async subscribe(peer) {
      const offer = await peer.offer({ audio: 'recvonly', video: 'recvonly' });
      const offeredAt = performance.now();
      await peer.acceptAnswer((await request('subscribe', offer)).answer!);
      return { offeredAt };
    },
    async reset() {
      await request('reset');
    },
    async stop() {
      child.disconnect();
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

// ---- measurements ------------------------------------------------------------------------------

/** User+system CPU seconds used so far by the processes. */
function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / CLOCK_TICKS;
}

function rss(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + rssKiB(pid), 0);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

function startPublishing(peer: WeriftPeer): () => void {
  return pumpMedia(peer, { videoPacketsPerSecond: VIDEO_PPS, audioPacketsPerSecond: AUDIO_PPS, videoBytes: VIDEO_BYTES, audioBytes: AUDIO_BYTES, packetsPerFrame: 7 });
}

/** (a): subscriber offer → first RTP at the subscriber, `RUNS` times on fresh sessions. */
async function timeToMedia(target: Target): Promise<number[]> {
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const publisher = new WeriftPeer();
    const subscriber = new WeriftPeer();
    await target.publish(publisher);
    const stop = startPublishing(publisher);
    const first = subscriber.firstRtp('video', 20_000);
    const { offeredAt } = await target.subscribe(subscriber);
    await first;
    times.push(performance.now() - offeredAt);
    stop();
    await Promise.all([publisher.close(), subscriber.close()]);
    await target.reset();
  }
  return times;
}

interface FanOut {
  subscribers: number;
  deliveredPerSecond: number;
  expectedPerSecond: number;
  cpuSecondsPerSecond: number;
  /** This process (every client peer): if it nears 1, the clients limit what is measured. */
  clientCpuPerSecond: number;
  packetsPerCpuSecond: number;
  latencyP50: number;
  latencyP99: number;
  rssPerSubscriberKiB: number;
}

/** (b): one publisher fanned out to `count` subscribers, measured over the window. */
async function fanOut(target: Target, count: number): Promise<FanOut> {
  const publisher = new WeriftPeer();
  await target.publish(publisher);
  let stop = startPublishing(publisher);
  await delay(1000);
  const rssBefore = rss(target.pids());
  // Subscribers join while the publisher pauses: DTLS handshakes then do not compete with
  // thousands of packets a second for this process's core.
  stop();
  const subscribers: WeriftPeer[] = [];
  let measuring = false;
  let delivered = 0;
  const latencies: number[] = [];
  const onRtp = (_kind: PeerKind, packet: { payload: Buffer }, receivedAt: number): void => {
    if (!measuring) return;
    delivered++;
    latencies.push(receivedAt - stampOf(packet.payload));
  };
  for (let i = 0; i < count; i += SUBSCRIBE_BATCH) {
    const batch = Array.from({ length: Math.min(SUBSCRIBE_BATCH, count - i) }, () => new WeriftPeer());
    subscribers.push(...batch);
    await Promise.all(batch.map(async (peer) => {
      peer.onRtp(onRtp);
      await target.subscribe(peer);
      await peer.waitConnected(30_000);
    }));
  }
  const firsts = subscribers.map((peer) => peer.firstRtp('video', 30_000));
  stop = startPublishing(publisher);
  await Promise.all(firsts);
  await delay(1000);
  const pids = target.pids();
  const cpuStart = cpuSeconds(pids);
  const clientStart = process.cpuUsage();
  const started = performance.now();
  measuring = true;
  await delay(WINDOW_S * 1000);
  measuring = false;
  const elapsed = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(pids) - cpuStart;
  const clientUsage = process.cpuUsage(clientStart);
  const rssAfter = rss(pids);
  stop();
  await Promise.all([publisher, ...subscribers].map((p) => p.close()));
  await target.reset();
  latencies.sort((a, b) => a - b);
  return {
    subscribers: count,
    deliveredPerSecond: delivered / elapsed,
    expectedPerSecond: count * (VIDEO_PPS + AUDIO_PPS),
    cpuSecondsPerSecond: cpu / elapsed,
    clientCpuPerSecond: (clientUsage.user + clientUsage.system) / 1e6 / elapsed,
    packetsPerCpuSecond: cpu > 0 ? delivered / cpu : NaN,
    latencyP50: percentile(latencies, 50),
    latencyP99: percentile(latencies, 99),
    rssPerSubscriberKiB: (rssAfter - rssBefore) / count,
  };
}

// ---- pinning and report ------------------------------------------------------------------------

/** Pins every thread of the processes to one CPU; returns false when taskset is unavailable. */
function pin(pids: number[], cpu: number): boolean {
  try {
    for (const pid of pids) execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
    return true;
  } catch (err) {
    progress(`taskset failed (${(err as Error).message}): processes are not pinned`);
    return false;
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  return rows.map((r) => r.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!))).join('   ')).join('\n');
}

function report(names: [string, string], time: [number[], number[]], publisherFlowMs: number[], fans: [FanOut, FanOut][], pinned: boolean): void {
  const f = (x: number, digits = 0): string => (Number.isFinite(x) ? x.toFixed(digits) : '-');
  const ratio = (a: number, b: number): string => (b > 0 && Number.isFinite(a) ? `${(a / b).toFixed(2)}x` : '-');
  const row = (label: string, a: number, b: number, digits = 0): string[] => [label, f(a, digits), f(b, digits), ratio(a, b)];
  const rows: string[][] = [['metric', names[0], names[1], `${names[0]}/${names[1]}`]];
  rows.push(row(`time to media: subscriber processOffer → first RTP, median of ${RUNS} (ms)`, median(time[0]), median(time[1]), 1));
  rows.push([`  publisher processOffer → MediaFlowOut, median (ms)`, f(median(publisherFlowMs), 1), '', '']);
  for (const [k, b] of fans) {
    rows.push([`fan-out to ${k.subscribers} (expected ${k.expectedPerSecond} pkt/s)`, '', '', '']);
    rows.push(row('  delivered packets/s', k.deliveredPerSecond, b.deliveredPerSecond));
    rows.push(row('  server CPU (cores busy)', k.cpuSecondsPerSecond, b.cpuSecondsPerSecond, 2));
    rows.push(row('  forwarded packets per server CPU-second', k.packetsPerCpuSecond, b.packetsPerCpuSecond));
    rows.push(row('  added latency p50 (ms)', k.latencyP50, b.latencyP50, 2));
    rows.push(row('  added latency p99 (ms)', k.latencyP99, b.latencyP99, 2));
    rows.push(row('  server RSS per subscriber (KiB)', k.rssPerSubscriberKiB, b.rssPerSubscriberKiB));
    rows.push(row('  client peers CPU (cores busy, same clients for both)', k.clientCpuPerSecond, b.clientCpuPerSecond, 2));
  }
  process.stdout.write(`\nKuroshio WebRTC benchmark — node ${process.version}, ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)}, ` +
    `${pinned ? 'servers pinned to CPU 0, client peers to CPU 1' : 'not pinned'}\n`);
  process.stdout.write(`load: ${VIDEO_PPS} video packets/s of ${VIDEO_BYTES + 12} bytes (~1.5 Mbit/s) + ${AUDIO_PPS} audio packets/s; window ${WINDOW_S} s; ` +
    `latency = publisher send → subscriber receive (after SRTP), both ends on this machine\n\n`);
  process.stdout.write(table(rows) + '\n');
}

async function main(): Promise<void> {
  const started = performance.now();
  const k = await kuroshio();
  const b = await weriftSfu();
  try {
    const pinned = pin(k.pids(), 0) && pin(b.pids(), 0) && pin([process.pid], 1);
    const targets: Target[] = [k, b];
    const times: number[][] = [];
    for (const t of targets) {
      progress(`[${t.name}] time to media, ${RUNS} runs`);
      times.push(await timeToMedia(t));
    }
    const fans: [FanOut, FanOut][] = [];
    for (const count of FANOUT) {
      const pair: FanOut[] = [];
      for (const t of targets) {
        progress(`[${t.name}] fan-out to ${count}, ${WINDOW_S} s window`);
        pair.push(await fanOut(t, count));
      }
      fans.push([pair[0]!, pair[1]!]);
    }
    report([k.name, b.name], [times[0]!, times[1]!], k.publisherFlowMs, fans, pinned);
    process.stdout.write(`(bench took ${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
  } finally {
    await Promise.all([k.stop(), b.stop()]);
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
    process.exit(2);
  },
);
