/**
 * `npm run bench:bwe`: bandwidth estimation on shaped links, in two parts.
 *
 * (a) Towards a viewer. A Chromium publisher (a fake camera playing moving noise, VP8, one
 *     layer) sends to a WebRtcEndpoint; a second one forwards to a Chromium viewer inside a
 *     network namespace whose link from the server is held by `tc tbf` (8 kB burst, 200 ms of
 *     queue) to 1 Mbit/s, then 500 kbit/s. The server's estimate (from the viewer's
 *     transport-wide feedback) also tells the publisher what to send (REMB; the viewer's
 *     maxVideoSendBandwidth is lifted from KMS's default of 500 kbit/s), so the link is kept
 *     full. Printed per phase: the estimate each second, when it first came within 20 % of the
 *     link, and from 10 s on the share of the time within 20 %, the mean as a ratio of the link,
 *     the range, and the p50/p95 queueing delay the server measured (one-way delay above the
 *     lowest of the last 10 s). The estimate is the path's (`linkEstimate` in getStats, headers
 *     included, as `tc` counts); layers and the publisher get its payload share
 *     (`targetBitrate`). The link's own rate is the baseline.
 * (b) From a publisher. The same publisher inside the namespace, its uplink shaped to 1 Mbit/s,
 *     with REMB only (the baseline, `KUROSHIO_TRANSPORT_CC=off`) and with our transport-wide
 *     feedback (`all`), one after the other in the same run.
 *
 * Needs root (network namespaces, tc). Knobs: BENCH_PHASE_S (default 20); BENCH_TRACE=1 with
 * KUROSHIO_TEST_LOGS=1 prints the estimator's state in (a) (trace log of the `bwe` component).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inboundVideo, outboundVideo, TestBrowser } from '../test/helpers/browser.js';
import { TestHost } from '../test/helpers/netns.js';
import { negotiate, Rig, Scene, waitConnected } from '../test/webrtc-browser/fixtures.js';
import type { Remote } from '../test/helpers/kurento-client.js';

const run = promisify(execFile);
const PHASE_S = Number(process.env.BENCH_PHASE_S ?? 20);
const SAMPLE_MS = 100;
const SETTLED_WITHIN = 0.2;
const SETTLE_BY_MS = 10_000;

interface Sample {
  atMs: number;
  estimateBps: number;
  queueDelayMs: number;
}

async function sample(viewer: Remote): Promise<Sample> {
  const stats = Object.values((await viewer.call('getStats', 'VIDEO')) as Record<string, { type: string; linkEstimate?: number; queueDelayMs?: number }>);
  const out = stats.find((s) => s.type === 'outboundrtp');
  return { atMs: Date.now(), estimateBps: out?.linkEstimate ?? 0, queueDelayMs: out?.queueDelayMs ?? 0 };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Samples for `seconds`, then reports the phase against a link of `linkKbit`. */
async function phase(viewer: Remote, linkKbit: number, seconds: number): Promise<string> {
  const startMs = Date.now();
  const samples: Sample[] = [];
  while (Date.now() - startMs < seconds * 1000) {
    samples.push(await sample(viewer));
    await new Promise((r) => setTimeout(r, SAMPLE_MS));
  }
  const link = linkKbit * 1000;
  const within = (s: Sample): boolean => Math.abs(s.estimateBps - link) <= SETTLED_WITHIN * link;
  const reachedIndex = samples.findIndex(within);
  const reached = reachedIndex < 0 ? 'never' : `${((samples[reachedIndex]!.atMs - startMs) / 1000).toFixed(1)} s`;
  // From 10 s on: how much of the time the estimate is within 20 % of the link, its mean and range.
  const late = samples.filter((s) => s.atMs - startMs >= SETTLE_BY_MS);
  const share = late.filter(within).length / Math.max(1, late.length);
  const estimates = late.map((s) => s.estimateBps);
  const mean = estimates.reduce((sum, e) => sum + e, 0) / Math.max(1, estimates.length);
  const delays = late.map((s) => s.queueDelayMs);
  const perSecond = samples.filter((_, i) => i % Math.round(1000 / SAMPLE_MS) === 0).map((s) => Math.round(s.estimateBps / 1000));
  const kbit = (bps: number): string => (bps / 1000).toFixed(0);
  return [
    `link ${linkKbit} kbit/s: estimate each second (kbit/s) ${perSecond.join(' ')}`,
    `  first within 20 % of the link after ${reached}; from 10 s on: within 20 % ${(share * 100).toFixed(0)} % of the time, mean ${kbit(mean)} kbit/s = ${(mean / link).toFixed(2)} × the link (${kbit(Math.min(...estimates))}–${kbit(Math.max(...estimates))}), queueing delay p50 ${percentile(delays, 50).toFixed(0)} ms, p95 ${percentile(delays, 95).toFixed(0)} ms`,
  ].join('\n');
}

/**
 * A camera clip that takes more than the link to encode well (moving noise over a test pattern):
 * Chromium's generated camera picture is so simple that its encoder stays near 500 kbit/s
 * whatever it is allowed, and would leave a 1 Mbit/s link half empty.
 */
async function noisyClip(): Promise<{ path: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'kuroshio-bwe-'));
  const path = join(dir, 'noise.y4m');
  await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=30', '-vf', 'noise=alls=30:allf=t', '-t', '4', '-pix_fmt', 'yuv420p', path]);
  return { path, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** (a) The server's estimate towards a viewer behind a shaped link. */
async function viewerLink(host: TestHost, clip: string): Promise<void> {
  // BENCH_TRACE=1 (with KUROSHIO_TEST_LOGS=1) shows the estimator's state four times a second.
  const rig = await Rig.start({ KMS_NETWORK_INTERFACES: host.hostInterface }, process.env.BENCH_TRACE ? ['--log-level', 'trace'] : [], { fakeVideoFile: clip });
  const shapedBrowser = await launchInside(host);
  const scene = new Scene(rig);
  try {
    const pipeline = await scene.pipeline();
    const publisher = await pipeline.create('WebRtcEndpoint');
    const publisherPage = await scene.page();
    const { startedAt } = await negotiate(scene, publisherPage, publisher, { audio: false, codec: 'VP8' });
    await waitConnected(publisherPage, startedAt);

    await host.limit(1000);
    const viewer = await pipeline.create('WebRtcEndpoint');
    // KMS's default of 500 kbit/s would cap what the publisher is asked to send below the link.
    await viewer.call('setMaxVideoSendBandwidth', 0);
    await publisher.call('connect', viewer);
    const viewerPage = await shapedBrowser.openPeer(rig.pageServer.url);
    scene.pages.push(viewerPage);
    await negotiate(scene, viewerPage, viewer, { direction: 'recvonly', audio: false });
    await viewerPage.waitForPeerStats((s) => (inboundVideo(s)?.framesDecoded ?? 0) > 0, 30_000, 'the viewer decoding');

    console.log(`(a) the server's estimate towards a Chromium viewer on a tbf-shaped link, ${PHASE_S} s per phase`);
    console.log(await phase(viewer, 1000, PHASE_S));
    await host.limit(500);
    console.log(await phase(viewer, 500, PHASE_S));
  } finally {
    await scene.close();
    await shapedBrowser.close();
    await rig.close();
    await host.unlimit();
  }
}

/**
 * (b) A Chromium publisher behind a shaped uplink (1 Mbit/s), told what it may send by REMB only
 * (`KUROSHIO_TRANSPORT_CC=off`) or given our transport-wide feedback (`all`): its own estimate,
 * what it sends, what the server loses of it, and the round trip (its RTCP crosses the same
 * queue, so the round trip shows the queueing).
 */
async function publisherUplink(host: TestHost, clip: string, mode: 'off' | 'all'): Promise<string> {
  const rig = await Rig.start({ KMS_NETWORK_INTERFACES: host.hostInterface, KUROSHIO_TRANSPORT_CC: mode }, [], {});
  const shapedBrowser = await launchInside(host, clip);
  const scene = new Scene(rig);
  try {
    await host.limitUplink(1000);
    const pipeline = await scene.pipeline();
    const publisher = await pipeline.create('WebRtcEndpoint');
    const page = await shapedBrowser.openPeer(rig.pageServer.url);
    scene.pages.push(page);
    const { startedAt } = await negotiate(scene, page, publisher, { direction: 'sendonly', audio: false, codec: 'VP8' });
    await waitConnected(page, startedAt);
    const rows: { estimate: number; sentBps: number; rttMs: number }[] = [];
    let last = { at: Date.now(), bytes: 0 };
    const startMs = Date.now();
    const lostBefore = await serverLoss(publisher);
    while (Date.now() - startMs < PHASE_S * 1000) {
      await new Promise((r) => setTimeout(r, 500));
      const stats = await page.peerStats();
      const bytes = outboundVideo(stats)?.bytesSent ?? 0;
      const now = Date.now();
      rows.push({ estimate: stats.candidatePair?.availableOutgoingBitrate ?? 0, sentBps: ((bytes - last.bytes) * 8000) / (now - last.at), rttMs: (stats.candidatePair?.currentRoundTripTime ?? 0) * 1000 });
      last = { at: now, bytes };
    }
    const lost = await serverLoss(publisher);
    const late = rows.slice(Math.floor(rows.length / 2));
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const kbit = (bps: number): string => (bps / 1000).toFixed(0);
    const lossPercent = (100 * (lost.lost - lostBefore.lost)) / Math.max(1, lost.lost - lostBefore.lost + lost.received - lostBefore.received);
    return [
      `${mode === 'off' ? 'REMB only              ' : 'transport-wide feedback'}: sent each second (kbit/s) ${rows.filter((_, i) => i % 2 === 1).map((r) => kbit(r.sentBps)).join(' ')}`,
      `  second half: Chromium's estimate ${kbit(mean(late.map((r) => r.estimate)))} kbit/s, sent ${kbit(mean(late.map((r) => r.sentBps)))} kbit/s; lost ${lossPercent.toFixed(1)} % over the run; round trip p50 ${percentile(rows.map((r) => r.rttMs), 50).toFixed(0)} ms, p95 ${percentile(rows.map((r) => r.rttMs), 95).toFixed(0)} ms`,
    ].join('\n');
  } finally {
    await scene.close();
    await shapedBrowser.close();
    await rig.close();
    await host.unlimit();
  }
}

async function serverLoss(endpoint: Remote): Promise<{ lost: number; received: number }> {
  const stats = Object.values((await endpoint.call('getStats', 'VIDEO')) as Record<string, { type: string; packetsLost?: number; packetsReceived?: number }>);
  const inbound = stats.filter((s) => s.type === 'inboundrtp');
  return { lost: inbound.reduce((a, s) => a + (s.packetsLost ?? 0), 0), received: inbound.reduce((a, s) => a + (s.packetsReceived ?? 0), 0) };
}

/** A Chromium inside the namespace, its pages fetched from this side (the namespace has no route to them). */
async function launchInside(host: TestHost, clip?: string): Promise<TestBrowser> {
  const browser = await TestBrowser.launch({ executablePath: host.chromiumPath, args: ['--disable-features=WebRtcHideLocalIpsWithMdns'], ...(clip ? { fakeVideoFile: clip } : {}) });
  await browser.context.route('**/*', async (route) => route.fulfill({ response: await route.fetch() }));
  return browser;
}

async function main(): Promise<void> {
  if (!(await TestHost.available())) throw new Error('bench:bwe needs root, ip netns and tc');
  const host = await TestHost.create();
  const clip = await noisyClip();
  try {
    await viewerLink(host, clip.path);
    console.log(`(b) a Chromium publisher behind a tbf-shaped uplink of 1,000 kbit/s, ${PHASE_S} s each`);
    for (const mode of ['off', 'all'] as const) console.log(await publisherUplink(host, clip.path, mode));
  } finally {
    await host.close();
    await clip.remove();
  }
}

await main();
