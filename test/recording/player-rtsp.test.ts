/**
 * PlayerEndpoint of an RTSP camera: our own RTSP server (test/helpers/rtsp-server.ts) on loopback
 * stands in for the camera and sends an H.264 clip in real time; a PlayerEndpoint delivers it to
 * Chromium through a WebRtcEndpoint.
 *
 * - Interleaved TCP by default; the camera dies for 5 s and comes back on the same port, and the
 *   page decodes frames again without anything being called (one Error for the outage, not one
 *   per retry). `stop` sends TEARDOWN and the worker holds no socket to the camera afterwards.
 * - UDP when the camera refuses TCP (461), with media ports from the server's RTP range; after the
 *   camera reboots the old session's ports are closed, and `release` sends TEARDOWN and closes
 *   the new ones.
 * - `rtspu://` and `rtspt://` force one transport, as with GStreamer's rtspsrc in KMS.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { inboundVideo, TestBrowser } from '../helpers/browser.js';
import { startPageServer, type PageServer } from '../helpers/page-server.js';
import { socketsOf } from '../helpers/proc-sockets.js';
import { RawClient } from '../helpers/raw-client.js';
import { makeH264Clip, TestRtspServer } from '../helpers/rtsp-server.js';
import { startServer, type RunningServer } from '../helpers/server-process.js';
import { create, eventsOf, invoke, playIntoPage, subscribe, waitForEvent } from '../helpers/uri-endpoints.js';

/** The server's default RTP port range (--min-port / --max-port). */
const PORT_RANGE = [40000, 57999] as const;
const OUTAGE_MS = 5000;

let server: RunningServer;
let pages: PageServer;
let browser: TestBrowser;
let client: RawClient;
let clip: ReturnType<typeof makeH264Clip>;
let worker: number;

before(async () => {
  clip = makeH264Clip();
  server = await startServer({ args: ['--workers', '1'], env: { KMS_NETWORK_INTERFACES: 'lo' } });
  pages = await startPageServer();
  browser = await TestBrowser.launch();
  client = await RawClient.connect(server.url);
  worker = server.workerPids()[0]!;
  assert.ok(worker > 0);
});

after(async () => {
  client?.close();
  await browser?.close();
  await pages?.close();
  await server?.stop();
});

const framesDecoded = async (page: { peerStats(): Promise<Parameters<typeof inboundVideo>[0]> }): Promise<number> => inboundVideo(await page.peerStats())?.framesDecoded ?? 0;

test('RTSP over TCP plays into Chromium, resumes after the camera is down for 5 s, and stop sends TEARDOWN and closes the connection', async () => {
  const camera = await TestRtspServer.start(clip);
  // A small network cache: the time to resume is then mostly reconnection, which is what is measured.
  const { pipeline, player, page } = await playIntoPage(client, browser, pages.url, camera.url(), { networkCache: 200 });
  try {
    const stats = await page.waitForPeerStats((s) => (inboundVideo(s)?.framesDecoded ?? 0) > 30, 15_000, 'decoded RTSP video');
    assert.equal(inboundVideo(stats)?.codec, 'video/H264');
    assert.equal(inboundVideo(stats)?.frameWidth, 320);
    assert.deepEqual(camera.sessions.map((s) => s.transport), ['tcp']);
    assert.ok((await socketsOf(worker)).some((s) => s.protocol === 'tcp' && s.remotePort === camera.port), 'the worker is connected to the camera');

    await camera.kill();
    const killedAt = Date.now();
    await waitForEvent(client, player, 'MediaFlowOutStateChanged', (d) => d.state === 'NOT_FLOWING' && d.mediaType === 'VIDEO', 10_000);
    await delay(Math.max(0, OUTAGE_MS - (Date.now() - killedAt))); // the length of the outage itself
    const before = await framesDecoded(page);
    await camera.restart();
    const restartedAt = Date.now();
    await page.waitForPeerStats((s) => (inboundVideo(s)?.framesDecoded ?? 0) > before, 10_000, 'video again after the camera came back');
    const resumeMs = Date.now() - restartedAt;
    console.log(`RTSP over TCP: first frame decoded ${resumeMs} ms after the camera came back (networkCache 200 ms, retries every second)`);
    await page.waitForPeerStats((s) => (inboundVideo(s)?.framesDecoded ?? 0) > before + 30, 10_000, 'playback continuing');
    assert.equal(camera.sessions.length, 2, 'one new session after the restart');
    assert.equal(await invoke(client, player, 'getState'), 'START');
    const errors = eventsOf(client, player, 'Error');
    assert.equal(errors.length, 1, `one Error for the whole outage: ${JSON.stringify(errors)}`);
    assert.equal(errors[0]!.type, 'RESOURCE_ERROR_OPEN');

    await invoke(client, player, 'stop');
    await camera.waitForRequest('TEARDOWN');
    assert.equal(camera.sessions.at(-1)!.tornDown, true);
    assert.deepEqual((await socketsOf(worker)).filter((s) => s.remotePort === camera.port), [], 'no socket to the camera after stop');
    assert.equal(await invoke(client, player, 'getState'), 'STOP');
  } finally {
    await page.close();
    await client.call('release', { object: pipeline });
    await camera.kill();
  }
});

test('RTSP over UDP when the camera refuses TCP; a reboot and release leave no UDP port open, release sends TEARDOWN', async () => {
  const camera = await TestRtspServer.start(clip, { transports: ['udp'] });
  const { pipeline, player, page } = await playIntoPage(client, browser, pages.url, camera.url(), { networkCache: 200 });
  let released = false;
  try {
    await page.waitForPeerStats((s) => (inboundVideo(s)?.framesDecoded ?? 0) > 30, 15_000, 'decoded RTSP video over UDP');
    assert.deepEqual(camera.sessions.map((s) => s.transport), ['udp']);
    const ports = camera.sessions[0]!.clientUdpPorts;
    assert.equal(ports.length, 2);
    for (const port of ports) assert.ok(port >= PORT_RANGE[0] && port <= PORT_RANGE[1], `UDP port ${port} in the server's RTP range`);
    const open = (await socketsOf(worker)).filter((s) => s.protocol === 'udp' && ports.includes(s.localPort));
    assert.equal(open.length, 2, 'the worker holds the RTP and RTCP ports');

    // The camera reboots: the new session takes new ports, and the old ones must be closed.
    await camera.kill();
    await waitForEvent(client, player, 'MediaFlowOutStateChanged', (d) => d.state === 'NOT_FLOWING' && d.mediaType === 'VIDEO', 10_000);
    const before = await framesDecoded(page);
    await camera.restart();
    const restartedAt = Date.now();
    await page.waitForPeerStats((s) => (inboundVideo(s)?.framesDecoded ?? 0) > before, 10_000, 'video again over UDP');
    console.log(`RTSP over UDP: first frame decoded ${Date.now() - restartedAt} ms after the camera came back`);
    assert.equal(camera.sessions.length, 2);
    const allPorts = camera.sessions.flatMap((s) => s.clientUdpPorts);
    assert.deepEqual((await socketsOf(worker)).filter((s) => s.protocol === 'udp' && ports.includes(s.localPort)), [], "the first session's ports are closed");

    await client.call('release', { object: pipeline });
    released = true;
    await camera.waitForRequest('TEARDOWN');
    const left = (await socketsOf(worker)).filter((s) => (s.protocol === 'udp' && allPorts.includes(s.localPort)) || s.remotePort === camera.port);
    assert.deepEqual(left, [], 'no RTP, RTCP or RTSP socket left after release');
  } finally {
    await page.close();
    if (!released) await client.call('release', { object: pipeline });
    await camera.kill();
  }
});

test('rtspu:// forces UDP, rtspt:// forces TCP (no fallback to the other)', async () => {
  const camera = await TestRtspServer.start(clip, { transports: ['tcp', 'udp'] });
  const udpOnly = await TestRtspServer.start(clip, { transports: ['udp'] });
  const pipeline = await create(client, 'MediaPipeline', {});
  try {
    const forcedUdp = await create(client, 'PlayerEndpoint', { mediaPipeline: pipeline, uri: camera.url('live', 'rtspu') });
    await invoke(client, forcedUdp, 'play');
    await camera.waitForRequest('PLAY');
    assert.deepEqual(camera.sessions.map((s) => s.transport), ['udp']);
    await invoke(client, forcedUdp, 'stop');
    await camera.waitForRequest('TEARDOWN');

    const forcedTcp = await create(client, 'PlayerEndpoint', { mediaPipeline: pipeline, uri: udpOnly.url('live', 'rtspt') });
    await subscribe(client, forcedTcp, 'Error');
    await invoke(client, forcedTcp, 'play');
    const error = await waitForEvent(client, forcedTcp, 'Error');
    assert.equal(error.type, 'RESOURCE_ERROR_OPEN');
    assert.ok(udpOnly.requests.some((r) => r.method === 'SETUP'));
    assert.equal(udpOnly.sessions.length, 0, 'TCP was refused and UDP never tried');
    await invoke(client, forcedTcp, 'stop');
  } finally {
    await client.call('release', { object: pipeline });
    await camera.kill();
    await udpOnly.kill();
  }
});
