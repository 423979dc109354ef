/**
 * Hubs with PlayerEndpoints on their input ports and a RecorderEndpoint on an output port, no
 * browser: what a Composite records is its grid (colours checked in the recorded frames, read by
 * Debian's ffmpeg), and a file played into a Dispatcher reaches the recorder as it is (no
 * transcoding) and switches source when `connect` says so.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { collectGarbage, inspectorEnv, inspectorUrls } from '../helpers/inspector.js';
import { pollUntil } from '../helpers/poll.js';
import { setUp, startServer, type RunningServer } from '../helpers/server-process.js';
import { RawClient } from '../helpers/raw-client.js';
import { create, ffprobe, invoke, streamOf, subscribe, waitForEvent } from '../helpers/uri-endpoints.js';
import { colorClip, frameColors, isColor } from './media-files.js';

let server: RunningServer | undefined;
let client: RawClient | undefined;
let dir: string;
const clips: Record<string, string> = {};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kuroshio-hubs-'));
  for (const [name, color, tone] of [['red', '#e01010', 500], ['green', '#10c010', 800], ['blue', '#1020e0', 1200]] as const) {
    clips[name] = colorClip(join(dir, `${name}.webm`), color, tone, 8);
  }
  // Inspectors let the memory test collect garbage before it reads the worker's memory.
  server = await startServer({ args: ['--workers', '1'], env: inspectorEnv() });
  client = await RawClient.connect(server.url);
});

after(async () => {
  client?.close();
  await server?.stop();
  if (!process.env.KUROSHIO_KEEP_FILES) await rm(dir, { recursive: true, force: true });
});

const rpc = (): RawClient => setUp(client, 'the client');

/** A PlayerEndpoint of a clip, connected to a new port of `hub`; returns [player, port]. */
async function playInto(pipeline: string, hub: string, clip: string): Promise<[string, string]> {
  const player = await create(rpc(), 'PlayerEndpoint', { mediaPipeline: pipeline, uri: pathToFileURL(clip).href });
  const port = await create(rpc(), 'HubPort', { hub });
  await invoke(rpc(), player, 'connect', { sink: port });
  return [player, port];
}

async function recorderOn(pipeline: string, port: string, file: string): Promise<string> {
  const recorder = await create(rpc(), 'RecorderEndpoint', { mediaPipeline: pipeline, uri: pathToFileURL(join(dir, file)).href, mediaProfile: 'WEBM' });
  await subscribe(rpc(), recorder, 'MediaFlowInStateChanged', 'Error');
  await invoke(rpc(), port, 'connect', { sink: recorder });
  return recorder;
}

test('a Composite recorded by a RecorderEndpoint: the file shows the grid of the three players', async () => {
  const pipeline = await create(rpc(), 'MediaPipeline', {});
  try {
    const composite = await create(rpc(), 'Composite', { mediaPipeline: pipeline, width: 640, height: 480 });
    const players: string[] = [];
    for (const name of ['red', 'green', 'blue']) players.push((await playInto(pipeline, composite, clips[name]!))[0]);
    const out = await create(rpc(), 'HubPort', { hub: composite });
    const recorder = await recorderOn(pipeline, out, 'composite.webm');
    for (const player of players) await invoke(rpc(), player, 'play');
    await waitForEvent(rpc(), recorder, 'MediaFlowInStateChanged', (d) => d.state === 'FLOWING' && d.mediaType === 'VIDEO');
    await invoke(rpc(), recorder, 'record');
    // Wait until the grid holds all three: the composite's own statistics say how many inputs it composes.
    await waitForInputs(out, 3);
    await waitForComposedFrames(out, 45);
    await invoke(rpc(), recorder, 'stopAndWait');

    const path = join(dir, 'composite.webm');
    const probe = await ffprobe(path);
    const video = streamOf(probe, 'video');
    assert.equal(video?.codec_name, 'vp8');
    assert.deepEqual([video?.width, video?.height], [640, 480], 'the canvas asked for');
    assert.equal(streamOf(probe, 'audio')?.codec_name, 'opus', 'the players’ sound, mixed');
    // 2x2 grid: red, green on the first row, blue under red, the background in the last cell.
    const [topLeft, topRight, bottomLeft, bottomRight] = await frameColors(path, -0.5, [[0.25, 0.25], [0.75, 0.25], [0.25, 0.75], [0.75, 0.75]]);
    assert.ok(isColor(topLeft!, 'red'), `top left ${JSON.stringify(topLeft)}`);
    assert.ok(isColor(topRight!, 'green'), `top right ${JSON.stringify(topRight)}`);
    assert.ok(isColor(bottomLeft!, 'blue'), `bottom left ${JSON.stringify(bottomLeft)}`);
    assert.ok(isColor(bottomRight!, 'black'), `bottom right ${JSON.stringify(bottomRight)}`);
  } finally {
    await rpc().call('release', { object: pipeline });
  }
});

test('a file played into a Dispatcher reaches the recorder untranscoded; connect() switches its source', async () => {
  const pipeline = await create(rpc(), 'MediaPipeline', {});
  try {
    const dispatcher = await create(rpc(), 'Dispatcher', { mediaPipeline: pipeline });
    const [red, redPort] = await playInto(pipeline, dispatcher, clips.red!);
    const [blue, bluePort] = await playInto(pipeline, dispatcher, clips.blue!);
    const out = await create(rpc(), 'HubPort', { hub: dispatcher });
    await subscribe(rpc(), out, 'MediaTranscodingStateChanged');
    const recorder = await recorderOn(pipeline, out, 'dispatched.webm');
    await invoke(rpc(), dispatcher, 'connect', { source: redPort, sink: out });
    await invoke(rpc(), red, 'play');
    await invoke(rpc(), blue, 'play');
    await waitForEvent(rpc(), recorder, 'MediaFlowInStateChanged', (d) => d.state === 'FLOWING' && d.mediaType === 'VIDEO');
    await invoke(rpc(), recorder, 'record');
    // What the file is made of: two seconds of each player.
    await delay(CONTENT_MS);
    await invoke(rpc(), dispatcher, 'connect', { source: bluePort, sink: out });
    await pollFor(async () => ((await hubStats(out)).switches ?? 0) >= 2, 'the switch to the blue player at its key frame');
    await delay(CONTENT_MS);
    await invoke(rpc(), recorder, 'stopAndWait');
    assert.equal(await invoke(rpc(), out, 'isMediaTranscoding', { mediaType: 'VIDEO' }), false, 'VP8 from the file reaches the WebM recorder as it is');

    const path = join(dir, 'dispatched.webm');
    const [first] = await frameColors(path, 0.5, [[0.5, 0.5]]);
    const [last] = await frameColors(path, -0.3, [[0.5, 0.5]]);
    assert.ok(isColor(first!, 'red'), `first the red player: ${JSON.stringify(first)}`);
    assert.ok(isColor(last!, 'blue'), `then the blue one: ${JSON.stringify(last)}`);
  } finally {
    await rpc().call('release', { object: pipeline });
  }
});

test('50 participants join and leave a Composite one after another: the worker memory comes back to within 10%', async (t) => {
  const pipeline = await create(rpc(), 'MediaPipeline', {});
  try {
    const composite = await create(rpc(), 'Composite', { mediaPipeline: pipeline, width: 320, height: 240 });
    const [staying] = await playInto(pipeline, composite, clips.red!);
    const watcher = await create(rpc(), 'HubPort', { hub: composite });
    await invoke(rpc(), staying, 'play');
    await waitForInputs(watcher, 1);
    const cycle = async (): Promise<void> => {
      const [player, port] = await playInto(pipeline, composite, clips.green!);
      await invoke(rpc(), player, 'play');
      await waitForInputs(watcher, 2);
      await rpc().call('release', { object: port });
      await rpc().call('release', { object: player });
      await pollFor(async () => (await hubStats(watcher)).compositor?.inputs === 1, 'the grid back to one');
    };
    const worker = setUp(server, 'the server').workerPids()[0]!;
    // Garbage is collected before each reading: what is compared is what the worker retains, not
    // how far the JavaScript heap grew before its next collection.
    const inspectors = inspectorUrls(setUp(server, 'the server').logs.map((r) => String(r.msg)));
    for (let i = 0; i < 5; i++) await cycle(); // warm-up: pools and caches reach their size
    await collectGarbage(inspectors);
    const before = await settledRss(worker);
    for (let i = 0; i < 50; i++) await cycle();
    await collectGarbage(inspectors);
    const after = await settledRss(worker);
    t.diagnostic(`worker RSS ${before} KiB after 5 warm-up cycles, ${after} KiB after 50 more (${((after / before - 1) * 100).toFixed(1)}%)`);
    assert.ok(after <= before * 1.1, `worker RSS grew from ${before} to ${after} KiB`);
  } finally {
    await rpc().call('release', { object: pipeline });
  }
});

/**
 * Resident memory of a process once freed memory went back (KiB): the worker gives closed codecs'
 * and graphs' memory back a second after they close, so the lowest reading over two seconds.
 */
async function settledRss(pid: number): Promise<number> {
  let lowest = rssKiB(pid);
  const until = Date.now() + 2000;
  await pollUntil(
    async () => {
      lowest = Math.min(lowest, rssKiB(pid));
      return Date.now() >= until;
    },
    (done) => done,
    5000,
    'the memory readings',
    250,
  );
  return lowest;
}

/** Resident memory of a process, KiB. */
function rssKiB(pid: number): number {
  return Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

/** How long each source of the dispatched recording is recorded. */
const CONTENT_MS = 2000;

interface HubStats {
  compositor?: { inputs: number; framesOut: number };
  switches?: number;
}

/** The hub's statistics in a port's getStats (our extension: what the hub does for its ports). */
async function hubStats(port: string): Promise<HubStats> {
  const stats = (await invoke(rpc(), port, 'getStats', {})) as Record<string, HubStats & { id: string }>;
  return Object.values(stats).find((s) => s.compositor !== undefined || s.switches !== undefined) ?? {};
}

async function waitForInputs(port: string, count: number): Promise<void> {
  await pollFor(async () => ((await hubStats(port)).compositor?.inputs ?? 0) >= count, `${count} inputs in the grid`);
}

async function waitForComposedFrames(port: string, more: number): Promise<void> {
  const start = (await hubStats(port)).compositor?.framesOut ?? 0;
  await pollFor(async () => ((await hubStats(port)).compositor?.framesOut ?? 0) >= start + more, `${more} more composed frames`);
}

async function pollFor(check: () => Promise<boolean>, what: string): Promise<void> {
  await pollUntil(check, (ok) => ok, 15_000, what, 100);
}
