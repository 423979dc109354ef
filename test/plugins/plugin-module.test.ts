/**
 * A plugin module written only against the documented plugin API, in a folder outside `src/`
 * (test/fixtures/plugins/negative), loaded with --modules: it shows in getInfo and getKmd like
 * a built-in module, the official kurento-client creates and drives it (with client classes
 * generated from its description), its events arrive, and its output is what it says.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { clientModule as moduleClasses, type KurentoClientModule } from '../../src/client/module-classes.js';
import negativeApi from '../fixtures/plugins/negative/api.js';
import { clientModule, failureOf, Kurento, type Remote } from '../helpers/kurento-client.js';
import { RawClient } from '../helpers/raw-client.js';
import { startServer, type RunningServer } from '../helpers/server-process.js';
import { frameAt, makeClip, near } from '../filters/media.js';

const PLUGIN = fileURLToPath(new URL('../fixtures/plugins/negative/', import.meta.url));
const DESCRIBED_ONLY = fileURLToPath(new URL('../fixtures/plugins/described-only/', import.meta.url));
const BROKEN = fileURLToPath(new URL('../fixtures/plugins/broken/', import.meta.url));
const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

let server: RunningServer;
let kurento: Kurento;
let dir: string;
let clip: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kuroshio-plugin-'));
  // White on the left, black on the right.
  clip = await makeClip(join(dir, 'halves.webm'), { lavfi: 'color=white:s=320x480[l];color=black:s=320x480[r];[l][r]hstack' }, 2);
  server = await startServer({ args: ['--workers', '1', '--modules', PLUGIN, '--modules', DESCRIBED_ONLY, '--modules', BROKEN] });
  kurento = await Kurento.connect(server.url);
  const client = clientModule() as unknown as KurentoClientModule;
  client.register(moduleClasses(negativeApi, client));
});

after(async () => {
  await kurento?.close();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('the plugin module shows in getInfo and getKmd like a built-in one', async () => {
  const manager = await kurento.serverManager();
  const info = await manager.call<{ modules: { name: string; version: string; factories: string[] }[] }>('getInfo');
  const negative = info.modules.find((m) => m.name === 'negative');
  assert.deepEqual(negative && { version: negative.version, factories: negative.factories }, { version: '1.0.0', factories: ['NegativeFilter'] });
  for (const bundled of ['chroma', 'crowddetector', 'platedetector', 'pointerdetector']) assert.ok(info.modules.some((m) => m.name === bundled), `${bundled} is loaded by default`);
  const kmd = JSON.parse(await manager.call<string>('getKmd', 'negative')) as { remoteClasses: { name: string; methods: { name: string }[] }[]; events: { name: string }[] };
  assert.equal(kmd.remoteClasses[0]?.name, 'NegativeFilter');
  assert.deepEqual(kmd.remoteClasses[0]?.methods.map((m) => m.name), ['setStrength']);
  assert.deepEqual(kmd.events.map((e) => e.name), ['FramesInverted']);
});

test('the official client creates the plugin filter, its events arrive and the picture is its negative', async () => {
  const pipeline = await kurento.create('MediaPipeline');
  try {
    const player = await pipeline.create('PlayerEndpoint', { uri: pathToFileURL(clip).href });
    const negative: Remote = await pipeline.create('negative.NegativeFilter', { strength: 1 });
    const output = join(dir, 'negative.webm');
    const recorder = await pipeline.create('RecorderEndpoint', { uri: pathToFileURL(output).href, mediaProfile: 'WEBM_VIDEO_ONLY', stopOnEndOfStream: true });
    const inverted = negative.events('FramesInverted');
    const stopped = recorder.events('Stopped');
    await player.call('connect', negative);
    await negative.call('connect', recorder);
    await recorder.call('record');
    await player.call('play');
    const first = await inverted.next(15_000);
    assert.equal(first.count, 30);
    assert.equal(first.strength, 1);
    assert.equal(first.type, 'FramesInverted');
    await stopped.next(30_000);
    assert.ok((await negative.call<number>('getFramesInverted')) >= 30);
    const picture = await frameAt(output, 1);
    assert.ok(near(picture.mean(100, 200, 8, 8), [0, 0, 0]), `left is black: ${picture.mean(100, 200, 8, 8).map(Math.round).join(',')}`);
    assert.ok(near(picture.mean(500, 200, 8, 8), [255, 255, 255]), `right is white: ${picture.mean(500, 200, 8, 8).map(Math.round).join(',')}`);
    // The plugin's own validation reaches the client as a Kurento error.
    const refused = await failureOf(negative.call('setStrength', 2));
    assert.equal(refused.code, 40107);
    assert.match(refused.message, /strength must be between 0 and 1/);
  } finally {
    await pipeline.release();
  }
});

test('a module that cannot be loaded stops the server at start with a clear message', async () => {
  const run = promisify(execFile);
  const failure = await run(process.execPath, [CLI, '--port', '0', '--workers', '1', '--modules', join(dir, 'no-such-module')]).then(
    () => assert.fail('the server started'),
    (err: { code: number; stderr: string }) => err,
  );
  assert.equal(failure.code, 2);
  assert.match(failure.stderr, /no-such-module/);
});

test('a class that is described but implemented nowhere answers 40006 NOT_IMPLEMENTED', async () => {
  const raw = await RawClient.connect(server.url);
  try {
    const pipeline = String((await raw.call('create', { type: 'MediaPipeline', constructorParams: {} })).value);
    const response = await raw.request('create', { type: 'describedonly.Unimplemented', constructorParams: { mediaPipeline: pipeline } });
    // Only the code and type: the wording is Kuroshio's own.
    assert.equal(response.error?.code, 40006);
    assert.deepEqual(response.error?.data, { type: 'NOT_IMPLEMENTED' });
  } finally {
    raw.close();
  }
});

test('a module whose implementation throws while loading: its class answers 40006, the worker logs why and serves the rest', async () => {
  const raw = await RawClient.connect(server.url);
  try {
    const pipeline = String((await raw.call('create', { type: 'MediaPipeline', constructorParams: {} })).value);
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await raw.request('create', { type: 'broken.BrokenFilter', constructorParams: { mediaPipeline: pipeline } });
      assert.equal(response.error?.code, 40006, `attempt ${attempt}: ${JSON.stringify(response)}`);
      assert.match(String(response.error?.message), /broken.*cannot load its detector/);
    }
    const isFailure = (r: Record<string, unknown>): boolean => r.msg === 'plugin module implementation failed to load; its classes are not available' && r.module === 'broken';
    await server.waitForLog(isFailure); // the log stream may trail the replies
    const failures = server.logs.filter(isFailure);
    assert.equal(failures.length, 1, 'logged once, however often the class is asked for');
    await raw.call('create', { type: 'PassThrough', constructorParams: { mediaPipeline: pipeline } });
  } finally {
    raw.close();
  }
});
