/**
 * What the recording and playback tests share: raw JSON-RPC shorthands, a Chromium page
 * connected to a WebRtcEndpoint (as publisher or viewer), and ffprobe's view of a file.
 */
import { execFile } from 'node:child_process';
import { after, before } from 'node:test';
import { promisify } from 'node:util';
import { pollUntil, TestBrowser, type PeerOptions, type PeerPage } from './browser.js';
import { startPageServer, type PageServer } from './page-server.js';
import { RawClient, type Message } from './raw-client.js';
import { setUp, startServer, type RunningServer } from './server-process.js';

const execFileAsync = promisify(execFile);

/** What the tests with Chromium pages run against, shared by the tests of one file. */
export interface BrowserStage {
  /** The server, with one media worker, announcing loopback candidates only. */
  readonly server: RunningServer;
  /** Serves the test pages. */
  readonly pages: PageServer;
  readonly browser: TestBrowser;
  readonly client: RawClient;
}

/**
 * Registers node:test hooks that set up a `BrowserStage` before the file's first test and take
 * it down after its last. What else the file's tests need goes in `setup`, which runs once the
 * stage is up: a top-level `before` of the file would not wait for it (Node 20 starts top-level
 * `before` hooks at once).
 */
export function useBrowserStage(setup?: (stage: BrowserStage) => Promise<void>): BrowserStage {
  let server: RunningServer | undefined;
  let pages: PageServer | undefined;
  let browser: TestBrowser | undefined;
  let client: RawClient | undefined;
  const stage: BrowserStage = {
    get server() {
      return setUp(server, 'the server');
    },
    get pages() {
      return setUp(pages, 'the page server');
    },
    get browser() {
      return setUp(browser, 'the browser');
    },
    get client() {
      return setUp(client, 'the client');
    },
  };
  before(async () => {
    server = await startServer({ args: ['--workers', '1'], env: { KMS_NETWORK_INTERFACES: 'lo' } });
    pages = await startPageServer();
    browser = await TestBrowser.launch();
    client = await RawClient.connect(server.url);
    await setup?.(stage);
  });
  after(async () => {
    client?.close();
    await browser?.close();
    await pages?.close();
    await server?.stop();
  });
  return stage;
}

export async function create(client: RawClient, type: string, constructorParams: Record<string, unknown>): Promise<string> {
  return String((await client.call('create', { type, constructorParams, properties: {} })).value);
}

/** Invokes an operation and returns its value; fails the test on an error response. */
export async function invoke(client: RawClient, object: string, operation: string, operationParams?: Record<string, unknown>): Promise<any> {
  return (await client.call('invoke', { object, operation, ...(operationParams ? { operationParams } : {}) }))?.value;
}

/** Invokes an operation and returns the whole response, error or not. */
export function tryInvoke(client: RawClient, object: string, operation: string, operationParams?: Record<string, unknown>): Promise<Message> {
  return client.request('invoke', { object, operation, ...(operationParams ? { operationParams } : {}) }, undefined, 30_000);
}

export async function subscribe(client: RawClient, object: string, ...types: string[]): Promise<void> {
  for (const type of types) await client.call('subscribe', { object, type });
}

/** Events of one object received so far, as `{type, ...data}`. */
export function eventsOf(client: RawClient, object: string, type?: string): Message[] {
  return client.events(type).filter((e) => e.object === object).map((e) => ({ type: e.type, ...e.data }));
}

/** Waits for an event of `object` whose data matches, including one already received. */
export async function waitForEvent(client: RawClient, object: string, type: string, match: (data: Message) => boolean = () => true, timeoutMs = 15_000): Promise<Message> {
  const message = await client.waitFor(
    (m) => m.method === 'onEvent' && m.params?.value?.type === type && m.params.value.object === object && match(m.params.value.data ?? {}),
    timeoutMs,
    true,
  );
  return message.params.value.data as Message;
}

/**
 * Connects a Chromium page to a new WebRtcEndpoint: the page offers, the endpoint answers and
 * gathers; candidates go both ways. `peer.direction` says who sends.
 */
export async function connectPage(
  client: RawClient,
  browser: TestBrowser,
  pageServerUrl: string,
  pipeline: string,
  peer: PeerOptions,
): Promise<{ endpoint: string; page: PeerPage }> {
  const endpoint = await create(client, 'WebRtcEndpoint', { mediaPipeline: pipeline });
  await subscribe(client, endpoint, 'IceCandidateFound', 'IceGatheringDone', 'MediaFlowInStateChanged', 'MediaFlowOutStateChanged', 'Error');
  const page = await browser.openPeer(pageServerUrl);
  await page.setup(peer);
  const offer = await page.createOffer();
  const answer = String(await invoke(client, endpoint, 'processOffer', { offer }));
  await page.acceptAnswer(answer);
  page.onIceCandidate((candidate) => {
    if (candidate) void tryInvoke(client, endpoint, 'addIceCandidate', { candidate: { candidate: candidate.candidate, sdpMid: candidate.sdpMid ?? '0', sdpMLineIndex: candidate.sdpMLineIndex ?? 0 } });
  });
  await invoke(client, endpoint, 'gatherCandidates');
  await waitForEvent(client, endpoint, 'IceGatheringDone');
  for (const c of eventsOf(client, endpoint, 'IceCandidateFound')) {
    await page.addIceCandidate({ candidate: c.candidate.candidate, sdpMid: c.candidate.sdpMid, sdpMLineIndex: c.candidate.sdpMLineIndex });
  }
  return { endpoint, page };
}

/**
 * Waits until a page's video reaches its WebRtcEndpoint. KMS reports media a peer sends as
 * flowing *out* of the endpoint (into the pipeline); either event is accepted here.
 */
export async function waitForPeerVideo(client: RawClient, endpoint: string, timeoutMs = 20_000): Promise<void> {
  await client.waitFor(
    (m) =>
      m.method === 'onEvent' &&
      m.params?.value?.object === endpoint &&
      ['MediaFlowInStateChanged', 'MediaFlowOutStateChanged'].includes(m.params.value.type) &&
      m.params.value.data?.state === 'FLOWING' &&
      m.params.value.data?.mediaType === 'VIDEO',
    timeoutMs,
    true,
  );
}

export interface PlayingPage {
  pipeline: string;
  player: string;
  page: PeerPage;
  /** When play() was called (Date.now()). */
  playedAt: number;
}

/**
 * A PlayerEndpoint of `uri` feeding a receiving Chromium page through a WebRtcEndpoint; play()
 * is called once the page is connected, so the first key frame reaches it. `playerParams` adds
 * constructor parameters (networkCache, useEncodedMedia).
 */
export async function playIntoPage(client: RawClient, browser: TestBrowser, pageServerUrl: string, uri: string, playerParams: Record<string, unknown> = {}): Promise<PlayingPage> {
  const pipeline = await create(client, 'MediaPipeline', {});
  const player = await create(client, 'PlayerEndpoint', { mediaPipeline: pipeline, uri, ...playerParams });
  await subscribe(client, player, 'EndOfStream', 'Error', 'UriEndpointStateChanged', 'MediaFlowOutStateChanged');
  const { endpoint, page } = await connectPage(client, browser, pageServerUrl, pipeline, { direction: 'recvonly' });
  await invoke(client, player, 'connect', { sink: endpoint });
  await pollUntil(() => page.call('state'), (s) => s.connectionState === 'connected', 15_000, 'the page connected');
  await invoke(client, player, 'play');
  return { pipeline, player, page, playedAt: Date.now() };
}

export interface ProbedStream {
  codec_type: 'audio' | 'video';
  codec_name: string;
  start_time?: string;
  duration?: string;
  width?: number;
  height?: number;
}

export interface Probe {
  streams: ProbedStream[];
  format: { duration?: string; format_name: string };
}

/** ffprobe's description of a file (Debian's ffmpeg, independent of our muxer). */
export async function ffprobe(path: string): Promise<Probe> {
  const { stdout } = await execFileAsync('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', path]);
  return JSON.parse(stdout) as Probe;
}

export function streamOf(probe: Probe, type: 'audio' | 'video'): ProbedStream | undefined {
  return probe.streams.find((s) => s.codec_type === type);
}

/** Seconds from the first to the last frame ffprobe decodes of a stream, read packet by packet. */
export async function lastPacketTime(path: string, type: 'a' | 'v'): Promise<number> {
  const { stdout } = await execFileAsync('ffprobe', ['-v', 'error', '-select_streams', type, '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', path], { maxBuffer: 1 << 26 });
  const times = stdout.split('\n').map(Number).filter((n) => Number.isFinite(n) && n > 0);
  return times.length ? Math.max(...times) : 0;
}

/** How many video frames ffprobe decodes from a file. */
export async function videoFrameCount(path: string): Promise<number> {
  const { stdout } = await execFileAsync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', path]);
  return Number(stdout.trim());
}

/**
 * Decodes the whole file with ffmpeg; resolves with the demuxer's and decoders' errors (empty when
 * clean). The null output's own complaints are left out: it re-times variable frame rate video
 * (what WebRTC sends) onto a guessed constant rate and reports the collisions it makes.
 */
export async function decodeErrors(path: string): Promise<string> {
  const { stderr } = await execFileAsync('ffmpeg', ['-v', 'error', '-i', path, '-f', 'null', '-'], { maxBuffer: 1 << 26 });
  return stderr
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('[null @'))
    .join('\n');
}
