/**
 * Transcoding branches are shared and freed: one VP8 publisher (Chromium) with ten viewers
 * (werift peers), five of which take only H.264, runs exactly one VP8 decoder and one H.264
 * encoder for all five; when they leave, both go, MediaTranscodingStateChanged says so, and the
 * worker's memory comes back. A viewer that joins a running transcoding decodes at once (its
 * first frame is a key frame the encoder makes for it, not the publisher's next one).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { inboundVideo, pollUntil, type PeerPage } from '../helpers/browser.js';
import { collectGarbage, inspectorEnv, inspectorUrls } from '../helpers/inspector.js';
import type { EventData, Remote } from '../helpers/kurento-client.js';
import { ONLY_H264, ONLY_VP8, WeriftPeer, type ServerCandidate } from '../helpers/werift-peer.js';
import { firstFrameWallClock, negotiate, nextMatching, Rig, watchFirstFrame, type Scene } from '../webrtc-browser/fixtures.js';

let rig: Rig;

before(async () => {
  // Memory is compared after forced garbage collections in the worker, through its inspector.
  rig = await Rig.start(inspectorEnv());
});

after(async () => {
  await rig?.close();
});

interface Viewer {
  endpoint: Remote;
  peer: WeriftPeer;
  /** When its first key frame came: watched from the start, so one that came before the test looks is not missed. */
  keyframe: Promise<number>;
}

/** A werift viewer taking only the given video codec, connected to the publisher's endpoint. */
async function addViewer(pipeline: Remote, publisher: Remote, codec: 'VP8' | 'H264'): Promise<Viewer> {
  const endpoint = await pipeline.create('WebRtcEndpoint');
  const peer = new WeriftPeer({ videoCodecs: codec === 'VP8' ? ONLY_VP8() : ONLY_H264() });
  const keyframe = firstKeyframe(peer, codec);
  keyframe.catch(() => undefined); // awaited by the test; a viewer it never looks at must not fail the run
  endpoint.proxy.on('IceCandidateFound', (event: EventData) => {
    void peer.addCandidate(event.candidate as ServerCandidate);
  });
  const offer = await peer.offer({ audio: 'recvonly', video: 'recvonly' });
  const answer = await endpoint.call<string>('processOffer', offer);
  assert.match(answer, codec === 'VP8' ? /a=rtpmap:\d+ VP8\/90000/ : /a=rtpmap:\d+ H264\/90000/);
  await peer.acceptAnswer(answer);
  await publisher.call('connect', endpoint);
  await endpoint.call('gatherCandidates');
  return { endpoint, peer, keyframe };
}

/** Resolves once the viewer got a video key frame in its codec (VP8 key frame, or H.264 SPS/IDR). */
function firstKeyframe(peer: WeriftPeer, codec: 'VP8' | 'H264', timeoutMs = 20_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${codec} key frame within ${timeoutMs} ms (packets ${JSON.stringify(peer.packetsReceived)})`));
    }, timeoutMs);
    const off = peer.onRtp((kind, packet, at) => {
      if (kind !== 'video' || !isKeyframeStart(codec, packet.payload)) return;
      clearTimeout(timer);
      off();
      resolve(at);
    });
  });
}

function isKeyframeStart(codec: 'VP8' | 'H264', p: Buffer): boolean {
  if (codec === 'VP8') {
    // Payload descriptor (RFC 7741) with S=1, partition 0, then a key frame (P bit 0).
    if (p.length < 4 || (p[0]! & 0x10) === 0) return false;
    let offset = 1;
    if (p[0]! & 0x80) {
      const ext = p[1]!;
      offset = 2;
      if (ext & 0x80) offset += p[offset]! & 0x80 ? 2 : 1;
      if (ext & 0x40) offset++;
      if (ext & 0x30) offset++;
    }
    return (p[offset]! & 0x01) === 0;
  }
  const type = p[0]! & 0x1f;
  return type === 7 || type === 5 || (type === 28 && (p[1]! & 0x80) !== 0 && ((p[1]! & 0x1f) === 5 || (p[1]! & 0x1f) === 7)) || type === 24;
}

interface PadStats {
  mediaType: string;
  decoder?: { codec?: string; framesOut: number };
  encoders: { codec: string; framesOut: number }[];
}

async function processingOf(element: Remote): Promise<PadStats[]> {
  const stats = await element.call<Record<string, { mediaProcessing?: PadStats[] }>>('getStats');
  return Object.values(stats).flatMap((s) => s.mediaProcessing ?? []);
}

/** The worker's resident memory (KiB) after a full garbage collection in it: what it retains. */
async function workerRssKiB(pid: number): Promise<number> {
  await collectGarbage(inspectorUrls(rig.server.logs.map((r) => String(r.msg))));
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
}

async function publish(scene: Scene): Promise<{ pipeline: Remote; publisher: Remote; transcoding: ReturnType<Remote['events']>; page: PeerPage }> {
  const pipeline = await scene.pipeline();
  const publisher = await pipeline.create('WebRtcEndpoint');
  const transcoding = publisher.events('MediaTranscodingStateChanged');
  const page = await scene.page();
  await negotiate(scene, page, publisher, { direction: 'sendonly', codec: 'VP8', synthetic: { colors: ['#20c020', '#c02020'], tone: 600 } });
  await pollUntil(() => publisher.call<boolean>('isMediaFlowingOut', 'VIDEO'), (f) => f === true, 15_000, 'the publisher to send video');
  return { pipeline, publisher, transcoding, page };
}

/** Waits for the viewers' first key frames; on failure says what the publisher's page was asked for and encoded. */
async function keyframesOf(viewers: Viewer[], page: PeerPage): Promise<void> {
  try {
    await Promise.all(viewers.map((v) => v.keyframe));
  } catch (err) {
    const video = (await page.peerStats()).outbound.find((o) => o.kind === 'video');
    throw new Error(`${(err as Error).message}; the publisher's page: ${JSON.stringify(video)}`);
  }
}

test('ten viewers, five of them H.264-only: one decoder and one H.264 encoder serve the five, and go when they leave', (t) =>
  rig.scene(t, async (scene) => {
    const { pipeline, publisher, transcoding, page } = await publish(scene);
    const vp8Viewers: Viewer[] = [];
    const h264Viewers: Viewer[] = [];
    t.after(() => Promise.all([...vp8Viewers, ...h264Viewers].map((v) => v.peer.close())));
    for (let i = 0; i < 5; i++) vp8Viewers.push(await addViewer(pipeline, publisher, 'VP8'));
    await keyframesOf(vp8Viewers, page);
    assert.deepEqual(await processingOf(publisher), [], 'VP8 viewers take the publisher\'s packets as they are');
    const workerPid = rig.server.workerPids()[0]!;
    const before = await workerRssKiB(workerPid);

    for (let i = 0; i < 5; i++) h264Viewers.push(await addViewer(pipeline, publisher, 'H264'));
    await keyframesOf(h264Viewers, page);
    const running = await processingOf(publisher);
    assert.equal(running.length, 1, `one transcoded pad: ${JSON.stringify(running)}`);
    assert.equal(running[0]!.mediaType, 'VIDEO');
    assert.equal(running[0]!.decoder?.codec, 'VP8', 'one VP8 decoder');
    assert.deepEqual(running[0]!.encoders.map((e) => e.codec), ['video/H264'], 'one H.264 encoder');
    assert.ok(running[0]!.encoders[0]!.framesOut > 0);
    const during = await workerRssKiB(workerPid);
    const started = await nextMatching(transcoding, (e) => e.mediaType === 'VIDEO' && e.state === 'TRANSCODING', 5000);
    assert.equal(started.binName, 'default');

    for (const v of h264Viewers) await v.endpoint.release();
    const ended = await nextMatching(transcoding, (e) => e.mediaType === 'VIDEO' && e.state === 'NOT_TRANSCODING', 5000);
    assert.equal(ended.binName, 'default');
    assert.deepEqual(await processingOf(publisher), [], 'the decoder and the encoder are gone');
    assert.equal(await publisher.call('isMediaTranscoding', 'VIDEO'), false);
    // Memory given back by the codecs is seen in the resident size once the allocator returns it.
    const after = await pollUntil(() => workerRssKiB(workerPid), (kib) => kib <= before * 1.1, 15_000, 'the worker memory to come back within 10%').catch(
      async () => workerRssKiB(workerPid),
    );
    t.diagnostic(`worker RSS: ${Math.round(before / 1024)} MiB with 5 VP8 viewers, ${Math.round(during / 1024)} MiB transcoding for 5 more, ${Math.round(after / 1024)} MiB after they left`);
    assert.ok(after <= before * 1.1, `worker RSS ${after} KiB after, ${before} KiB before`);
    transcoding.stop();
  }));

test('a viewer joining a running transcoding decodes its first frame within a second of being connected', (t) =>
  rig.scene(t, async (scene) => {
    const { pipeline, publisher, transcoding } = await publish(scene);
    const first = await addViewer(pipeline, publisher, 'H264');
    t.after(() => first.peer.close());
    await first.keyframe;
    const delays: number[] = [];
    for (let i = 0; i < 2; i++) {
      const viewer = await pipeline.create('WebRtcEndpoint');
      const page = await scene.page();
      let connectedAt = 0;
      await negotiate(scene, page, viewer, {
        direction: 'recvonly',
        codec: 'H264',
        beforeAnswer: async () => {
          await watchFirstFrame(page);
          connectedAt = Date.now();
          await publisher.call('connect', viewer);
        },
      });
      delays.push((await firstFrameWallClock(page)) - connectedAt);
      assert.equal(inboundVideo(await page.peerStats())?.codec, 'video/H264');
    }
    t.diagnostic(`late H.264 viewers decoded their first frame ${delays.map((d) => Math.round(d)).join(', ')} ms after connect()`);
    for (const d of delays) assert.ok(d < 1000, `a late viewer decoded its first frame ${Math.round(d)} ms after connect()`);
    transcoding.stop();
  }));
