/**
 * RecorderEndpoint with real media: Chromium's fake camera and microphone reach a WebRtcEndpoint,
 * which feeds several RecorderEndpoints at once (one per profile). After stopAndWait, ffprobe
 * (Debian's, not our muxer) must find the expected codecs, a duration within 10% of the time
 * recorded (less up to half a second of waiting for the first key frame when there is video), and
 * audio and video starting within 100 ms of each other (the recorder places them by
 * the RTCP sender reports Chromium sends). FLV holds H.264 and AAC; JPEG_VIDEO_ONLY is a single
 * decodable picture.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { inboundVideo } from '../helpers/browser.js';
import { connectPage, create, decodeErrors, eventsOf, ffprobe, invoke, playIntoPage, streamOf, subscribe, useBrowserStage, videoFrameCount, waitForEvent, waitForPeerVideo } from '../helpers/uri-endpoints.js';

let dir: string;

const stage = useBrowserStage(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kuroshio-rec-'));
});

after(async () => {
  if (!process.env.KUROSHIO_KEEP_FILES) await rm(dir, { recursive: true, force: true });
});

interface Expectation {
  profile: string;
  file: string;
  video?: string;
  audio?: string;
  /** One picture rather than a stream. */
  snapshot?: boolean;
}

const RECORD_MS = 6000;
/** How much later than record() a file with video may start (see below). */
const KEYFRAME_WAIT_S = 0.5;

/** Publishes the page's camera, records every profile at once, and checks each file. */
async function recordAll(codec: 'VP8' | 'H264' | 'VP9', expectations: Expectation[], scalabilityMode?: string): Promise<void> {
  const pipeline = await create(stage.client, 'MediaPipeline', {});
  try {
    const { endpoint, page } = await connectPage(stage.client, stage.browser, stage.pages.url, pipeline, { direction: 'sendonly', codec, ...(scalabilityMode ? { scalabilityMode } : {}) });
    await waitForPeerVideo(stage.client, endpoint);
    const recorders: string[] = [];
    for (const e of expectations) {
      const recorder = await create(stage.client, 'RecorderEndpoint', { mediaPipeline: pipeline, uri: pathToFileURL(join(dir, e.file)).href, mediaProfile: e.profile });
      await subscribe(stage.client, recorder, 'Recording', 'Stopped', 'UriEndpointStateChanged', 'Error', 'MediaFlowInStateChanged');
      await invoke(stage.client, endpoint, 'connect', { sink: recorder });
      recorders.push(recorder);
    }
    for (const r of recorders) await waitForEvent(stage.client, r, 'MediaFlowInStateChanged', (d) => d.state === 'FLOWING' && d.mediaType === 'VIDEO');
    // Each file spans its own record() to its own stop: the calls go one after the other.
    const window = new Map<string, { from: number; to: number }>();
    for (const r of recorders) {
      window.set(r, { from: Date.now(), to: 0 });
      await invoke(stage.client, r, 'record');
    }
    await delay(RECORD_MS); // the length of the recording itself, not a synchronisation
    for (const r of recorders) {
      window.get(r)!.to = Date.now();
      await invoke(stage.client, r, 'stopAndWait');
    }

    for (const [k, e] of expectations.entries()) {
      const r = recorders[k]!;
      assert.deepEqual(eventsOf(stage.client, r, 'Error'), [], `${e.profile}: no Error event`);
      assert.deepEqual(eventsOf(stage.client, r, 'UriEndpointStateChanged').map((x) => x.state), ['START', 'STOP'], e.profile);
      assert.equal(eventsOf(stage.client, r, 'Recording').length, 1);
      assert.equal(eventsOf(stage.client, r, 'Stopped').length, 1);
      const path = join(dir, e.file);
      const probe = await ffprobe(path);
      const video = streamOf(probe, 'video');
      const audio = streamOf(probe, 'audio');
      assert.equal(video?.codec_name, e.video, `${e.profile}: video codec`);
      assert.equal(audio?.codec_name, e.audio, `${e.profile}: audio codec`);
      if (e.snapshot) {
        assert.equal(`${video?.width}x${video?.height}`, '640x480', `${e.profile}: picture size`);
        assert.equal(await videoFrameCount(path), 1, `${e.profile}: a single picture`);
        assert.equal(await decodeErrors(path), '', `${e.profile}: the picture decodes without errors`);
        continue;
      }
      const duration = Number(probe.format.duration);
      const recordedS = (window.get(r)!.to - window.get(r)!.from) / 1000;
      // A file with video starts at the first key frame after record(): the publisher's answer
      // to the request takes up to a PLI spacing (300 ms) plus an encode and its transmission.
      const keyframeWaitS = e.video ? KEYFRAME_WAIT_S : 0;
      assert.ok(duration >= recordedS * 0.9 - keyframeWaitS && duration <= recordedS * 1.1, `${e.profile}: duration ${duration} s for ${recordedS} s recorded`);
      if (video && audio) {
        const skew = Math.abs(Number(video.start_time) - Number(audio.start_time));
        assert.ok(skew <= 0.1, `${e.profile}: audio starts ${audio.start_time} s, video ${video.start_time} s`);
      }
      if (video) assert.equal(`${video.width}x${video.height}`, '640x480', `${e.profile}: picture size`);
      assert.equal(await decodeErrors(path), '', `${e.profile}: the file decodes without errors`);
    }
    await page.close();
  } finally {
    await stage.client.call('release', { object: pipeline });
  }
}

test('VP8 + Opus from Chromium into WEBM, MKV, MP4 (transcoded) and the single-kind profiles', async () => {
  await recordAll('VP8', [
    { profile: 'WEBM', file: 'a.webm', video: 'vp8', audio: 'opus' },
    { profile: 'MKV', file: 'a.mkv', video: 'vp8', audio: 'opus' },
    { profile: 'MP4', file: 'a.mp4', video: 'h264', audio: 'aac' },
    { profile: 'WEBM_VIDEO_ONLY', file: 'v.webm', video: 'vp8' },
    { profile: 'WEBM_AUDIO_ONLY', file: 'o.webm', audio: 'opus' },
    { profile: 'MP4_AUDIO_ONLY', file: 'o.mp4', audio: 'aac' },
    { profile: 'JPEG_VIDEO_ONLY', file: 'snapshot.jpg', video: 'mjpeg', snapshot: true },
  ]);
});

test('H.264 + Opus from Chromium into MP4, MKV and FLV without video transcoding', async () => {
  await recordAll('H264', [
    { profile: 'MP4', file: 'h.mp4', video: 'h264', audio: 'aac' },
    { profile: 'FLV', file: 'h.flv', video: 'h264', audio: 'aac' },
    { profile: 'MKV', file: 'h.mkv', video: 'h264', audio: 'opus' },
    { profile: 'MP4_VIDEO_ONLY', file: 'hv.mp4', video: 'h264' },
    { profile: 'MKV_AUDIO_ONLY', file: 'ho.mkv', audio: 'opus' },
  ]);
});

test('the recorded WebM and MP4 files play back into Chromium, to their EndOfStream', async () => {
  for (const [file, codec] of [['a.webm', 'video/VP8'], ['a.mp4', 'video/H264']] as const) {
    const { pipeline, player, page } = await playIntoPage(stage.client, stage.browser, stage.pages.url, pathToFileURL(join(dir, file)).href);
    try {
      const stats = await page.waitForPeerStats((s) => (inboundVideo(s)?.framesDecoded ?? 0) > 30, 15_000, `${file} decoded`);
      assert.equal(inboundVideo(stats)?.codec, codec);
      await waitForEvent(stage.client, player, 'EndOfStream', () => true, 15_000);
      assert.deepEqual(eventsOf(stage.client, player, 'Error'), []);
    } finally {
      await page.close();
      await stage.client.call('release', { object: pipeline });
    }
  }
});

// Not yet: the depacketizer joins a picture's spatial-layer frames without the superframe index
// VP9 needs, so decoders and the file's header see only the first (320x240) frame of each. An
// index alone does not do (tried): Chromium marks the lower layer's frames as shown, and ffprobe
// still found 320x240; they must be hidden, which means rewriting each one's header.
test('VP9 SVC (L3T3_KEY) from Chromium: the recording holds the full picture, its spatial layers as one', { todo: 'VP9 superframes are not rebuilt from the layer frames yet' }, async () => {
  await recordAll(
    'VP9',
    [
      { profile: 'WEBM', file: 'svc.webm', video: 'vp9', audio: 'opus' },
      { profile: 'MKV', file: 'svc.mkv', video: 'vp9', audio: 'opus' },
      { profile: 'MP4', file: 'svc.mp4', video: 'h264', audio: 'aac' },
    ],
    'L3T3_KEY',
  );
});
