/**
 * Crash safety: the media worker is killed (SIGKILL) in the middle of an MP4 and a WebM
 * recording of Chromium's camera. Both files must still be read by ffprobe, report a duration
 * of at least the time recorded up to two seconds before the kill, and decode without errors.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { connectPage, create, decodeErrors, ffprobe, invoke, streamOf, subscribe, useBrowserStage, waitForEvent, waitForPeerVideo } from '../helpers/uri-endpoints.js';

let dir: string;

const stage = useBrowserStage(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kuroshio-crash-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('MP4 and WebM recordings cut off by a killed worker still play up to shortly before the kill', async () => {
  const pipeline = await create(stage.client, 'MediaPipeline', {});
  const { endpoint, page } = await connectPage(stage.client, stage.browser, stage.pages.url, pipeline, { direction: 'sendonly', codec: 'VP8' });
  await waitForPeerVideo(stage.client, endpoint);
  const files = { MP4: join(dir, 'cut.mp4'), WEBM: join(dir, 'cut.webm') };
  const recorders: string[] = [];
  for (const [profile, file] of Object.entries(files)) {
    const recorder = await create(stage.client, 'RecorderEndpoint', { mediaPipeline: pipeline, uri: pathToFileURL(file).href, mediaProfile: profile });
    await subscribe(stage.client, recorder, 'Error', 'MediaFlowInStateChanged');
    await invoke(stage.client, endpoint, 'connect', { sink: recorder });
    await waitForEvent(stage.client, recorder, 'MediaFlowInStateChanged', (d) => d.state === 'FLOWING' && d.mediaType === 'VIDEO');
    recorders.push(recorder);
  }
  const started = Date.now();
  for (const r of recorders) await invoke(stage.client, r, 'record');
  await delay(7000); // what is recorded before the kill
  const [pid] = stage.server.workerPids();
  assert.ok(pid !== undefined);
  const killedAt = Date.now();
  process.kill(pid, 'SIGKILL');
  for (const r of recorders) await waitForEvent(stage.client, r, 'Error', (d) => d.type === 'MEDIA_WORKER_DIED');
  await page.close();
  const minimum = (killedAt - started) / 1000 - 2;

  for (const [profile, file] of Object.entries(files)) {
    const probe = await ffprobe(file);
    const duration = Number(probe.format.duration);
    assert.ok(duration >= minimum, `${profile}: ${duration} s readable, ${minimum} s expected at least`);
    assert.ok(streamOf(probe, 'video') && streamOf(probe, 'audio'), `${profile}: both tracks`);
    assert.equal(await decodeErrors(file), '', `${profile}: decodes without errors`);
  }
});
