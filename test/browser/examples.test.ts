/**
 * End to end through the examples: Kuroshio, an example application server (official
 * kurento-client for JavaScript, or for Java in java-hello-world) and its page in Chromium
 * (kurento-utils), each started the way a user starts it. Skipped, with the reason, while the
 * server answers `create WebRtcEndpoint` with NOT_IMPLEMENTED (and the Java example without a JDK
 * and Maven).
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, type RunningServer } from '../helpers/server-process.js';
import { RawClient } from '../helpers/raw-client.js';
import { pollUntil, TestBrowser, type TestPage, type VideoState } from '../helpers/browser.js';
import { javaToolsMissing, REPO_ROOT, runMaven } from '../helpers/maven.js';

const NOT_IMPLEMENTED = 40006;

let server: RunningServer;
let browser: TestBrowser;
/** Why the tests cannot run against this server, or undefined when they can. */
let unavailable: string | undefined;

/** Asks the server for a WebRtcEndpoint the raw way; NOT_IMPLEMENTED means "skip", not "fail". */
async function webRtcEndpointMissing(url: string): Promise<string | undefined> {
  const client = await RawClient.connect(url);
  try {
    const pipeline = (await client.call('create', { type: 'MediaPipeline', properties: {} })) as { value: string };
    const created = await client.request('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: pipeline.value }, properties: {} });
    await client.call('release', { object: pipeline.value });
    if (created.error?.code === NOT_IMPLEMENTED) return `the server has no WebRtcEndpoint yet: ${String(created.error.message)}`;
    if (created.error) throw new Error(`create WebRtcEndpoint failed: ${JSON.stringify(created.error)}`);
    return undefined;
  } finally {
    client.close();
  }
}

before(async () => {
  server = await startServer({ args: ['--workers', '1'] });
  unavailable = await webRtcEndpointMissing(server.url);
  if (!unavailable) browser = await TestBrowser.launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

interface RunningExample {
  url: string;
  output: string[];
  stop(): Promise<void>;
}

/** How to start an example application server: its program and arguments. */
type Launcher = (mediaServerUrl: string) => { command: string; args: string[] };

/** A Node example: its documented command line, on a free port. */
const nodeExample =
  (name: string): Launcher =>
  (url) => ({
    command: process.execPath,
    args: [fileURLToPath(new URL(`../../examples/${name}/server.js`, import.meta.url)), `--ws_uri=${url}`, '--port', '0', '--host', '127.0.0.1'],
  });

const JAVA_HELLO_WORLD = join(REPO_ROOT, 'examples/java-hello-world');

/** The Java example: its jar (built by the test) with the options its README gives, on a free port. */
const javaHelloWorld: Launcher = (url) => ({
  command: 'java',
  args: ['-jar', join(JAVA_HELLO_WORLD, 'target/java-hello-world.jar'), `--kms.url=${url}`, '--server.port=0', '--server.address=127.0.0.1', `--kuroshio.dist=${join(REPO_ROOT, 'dist')}`],
});

/** Starts an example application server and waits for the URL it announces. */
async function startExample(name: string, launcher: Launcher): Promise<RunningExample> {
  const { command, args } = launcher(server.url);
  const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const exited = once(child, 'exit');
  const url = await new Promise<string>((resolve, reject) => {
    const onLine = (chunk: Buffer): void => {
      output.push(chunk.toString());
      const match = /open (http:\/\/\S+?)\/? in a browser/.exec(output.join(''));
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', onLine);
    child.stderr!.on('data', onLine);
    void exited.then(([code]) => reject(new Error(`example ${name} exited with ${String(code)}: ${output.join('')}`)));
  });
  return {
    url,
    output,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Runs `body` against a fresh instance of examples/<name>, or skips when the server cannot run it.
 * On failure the example's output and the pages' console go to the test's diagnostics.
 */
async function withExample(
  t: TestContext,
  name: string,
  body: (url: string, pages: TestPage[]) => Promise<void>,
  launcher: Launcher = nodeExample(name),
): Promise<void> {
  if (unavailable) {
    t.skip(unavailable);
    return;
  }
  const example = await startExample(name, launcher);
  const pages: TestPage[] = [];
  try {
    await body(`${example.url}/`, pages);
  } catch (err) {
    t.diagnostic(`${name} output:\n${example.output.join('')}`);
    pages.forEach((page, i) => t.diagnostic(`page ${i} console:\n${page.consoleLog.filter((l) => !l.startsWith('debug:')).join('\n')}`));
    throw err;
  } finally {
    await Promise.all(pages.map((page) => page.close()));
    await example.stop();
  }
}

/** Opens the example's page, remembered for diagnostics and closing. */
async function openPage(url: string, pages: TestPage[]): Promise<TestPage> {
  const page = await browser.open(url);
  pages.push(page);
  return page;
}

const status = (page: TestPage): Promise<string> => page.page.textContent('#status').then((s) => s ?? '');

async function waitForStatus(page: TestPage, pattern: RegExp): Promise<void> {
  await pollUntil(() => status(page), (s) => pattern.test(s), 15_000, `status ${pattern}`);
}

/** Waits until the <video> shows the fake camera's 640x480 picture and keeps presenting frames. */
async function waitForPicture(page: TestPage, selector: string): Promise<VideoState | null> {
  const first = await pollUntil(() => page.video(selector), (v) => v?.videoWidth === 640 && v.videoHeight === 480 && v.totalVideoFrames > 0, 20_000, `640x480 in ${selector}`);
  return pollUntil(() => page.video(selector), (v) => (v?.totalVideoFrames ?? 0) > first!.totalVideoFrames + 10, 10_000, `frames still arriving in ${selector}`);
}

/** The hello-world page, whichever server runs it: Start, the camera comes back, Stop. */
async function helloWorldLoopsTheCameraBack(url: string, pages: TestPage[]): Promise<void> {
  const page = await openPage(url, pages);
  await page.page.click('#start');
  await waitForPicture(page, '#remoteVideo');
  const [stats] = await page.stats();
  const video = stats?.inbound.find((r) => r.kind === 'video');
  assert.ok((video?.framesDecoded ?? 0) > 10, JSON.stringify(video));
  assert.equal(video?.frameWidth, 640);
  assert.ok((stats?.inbound.find((r) => r.kind === 'audio')?.packetsReceived ?? 0) > 0, 'audio comes back too');

  await page.page.click('#stop');
  await waitForStatus(page, /stopped/);
  assert.deepEqual(page.consoleErrors, []);
}

test('hello-world: the page gets its own camera back, 640x480, through Kuroshio', (t) =>
  withExample(t, 'hello-world', helloWorldLoopsTheCameraBack));

test('java-hello-world: the same page on a Spring Boot server with the official Java client', async (t) => {
  const missing = javaToolsMissing();
  if (missing) {
    t.skip(missing);
    return;
  }
  if (!unavailable) {
    const build = await runMaven(JAVA_HELLO_WORLD, ['-q', 'package'], 8 * 60_000);
    if (build.code !== 0) throw new Error(`mvn package of java-hello-world failed:\n${build.output.split('\n').slice(-40).join('\n')}`);
  }
  await withExample(t, 'java-hello-world', helloWorldLoopsTheCameraBack, javaHelloWorld);
});

test('one2one-call: two users register, one calls, the other accepts, each sees the other', (t) =>
  withExample(t, 'one2one-call', async (url, pages) => {
    const alice = await openPage(url, pages);
    const bob = await openPage(url, pages);
    for (const [page, name] of [[alice, 'alice'], [bob, 'bob']] as const) {
      await page.page.fill('#name', name);
      await page.page.click('#register');
      await waitForStatus(page, new RegExp(`registered as ${name}`));
    }
    await alice.page.fill('#peer', 'bob');
    await alice.page.click('#call');
    await bob.page.click('#accept'); // Playwright's click waits for the button to be shown
    await Promise.all([waitForPicture(alice, '#remoteVideo'), waitForPicture(bob, '#remoteVideo')]);
    await waitForStatus(alice, /in a call with bob/);

    await bob.page.click('#hangup');
    await waitForStatus(alice, /call ended: bob hung up/);
    assert.deepEqual([...alice.consoleErrors, ...bob.consoleErrors], []);
  }));

test('one2many-call: one presenter, two viewers', (t) =>
  withExample(t, 'one2many-call', async (url, pages) => {
    const presenter = await openPage(url, pages);
    await presenter.page.click('#present');
    await waitForStatus(presenter, /presenting: connection connected/);
    const viewers = [await openPage(url, pages), await openPage(url, pages)];
    for (const viewer of viewers) await viewer.page.click('#view');
    await Promise.all(viewers.map((v) => waitForPicture(v, '#video')));

    await presenter.page.click('#stop');
    await Promise.all(viewers.map((v) => waitForStatus(v, /the presenter left/)));
    assert.deepEqual(pages.flatMap((p) => p.consoleErrors), []);
  }));

for (const name of ['magic-mirror', 'chroma', 'crowddetector', 'platedetector', 'pointerdetector']) {
  test(`${name}: the page gets its camera back through the example's filter`, (t) =>
    withExample(t, name, async (url, pages) => {
      const page = await openPage(url, pages);
      await page.page.click('#start');
      await waitForPicture(page, '#remoteVideo');
      if (name === 'pointerdetector') await page.page.click('#calibrate');
      await page.page.click('#stop');
      await waitForStatus(page, /stopped/);
      assert.deepEqual(page.consoleErrors, []);
    }));
}
test('group-call: two participants get the Composite grid (MCU), then a stream of each other (SFU) after a switch', (t) =>
  withExample(t, 'group-call', async (url, pages) => {
    const people = [await openPage(url, pages), await openPage(url, pages)];
    for (const page of people) {
      await page.page.click('#join');
      await waitForStatus(page, /in the room as participant/);
    }
    // MCU: one stream each, the Composite's 800x600 grid.
    for (const page of people) {
      await pollUntil(() => page.video('#grid'), (v) => v?.videoWidth === 800 && v.videoHeight === 600 && v.totalVideoFrames > 10, 20_000, 'the grid');
    }
    await people[0]!.page.selectOption('#mode', 'sfu');
    for (const page of people) await waitForStatus(page, /switched to SFU/);
    // SFU: each receives the other's camera as sent, on a connection of its own.
    for (const page of people) await waitForPicture(page, 'figure.participant video');
    assert.deepEqual(pages.flatMap((p) => p.consoleErrors), []);
  }));
