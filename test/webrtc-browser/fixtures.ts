/**
 * Shared setup of the WebRtcEndpoint browser acceptance tests: Kuroshio started as users start it
 * (on loopback), the official kurento-client as the application, and Chromium pages running
 * test/pages/peer.html as the browsers. The test plays the application server: it creates the
 * pipeline and endpoints, carries SDP and ICE candidates between page and endpoint the way the
 * Kurento tutorials do, and reads what each page decoded from its WebRTC stats.
 */
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import {
  inboundAudio,
  inboundVideo,
  pollUntil,
  TestBrowser,
  type LaunchOptions,
  type IceCandidateInit,
  type PeerConnectionStats,
  type PeerOptions,
  type PeerPage,
} from '../helpers/browser.js';
import { clientModule, Kurento, type EventData, type EventQueue, type Remote } from '../helpers/kurento-client.js';
import { startPageServer, type PageServer } from '../helpers/page-server.js';
import { startServer, type RunningServer } from '../helpers/server-process.js';

/** Chromium's fake camera picture size. */
export const FAKE_CAMERA = { width: 640, height: 480 } as const;
/** How long a page may take from the answer to a decoded full-size picture. */
export const MEDIA_TIMEOUT_MS = 20_000;

// ---- the rig: one server, one page server, one browser, one application per test file ---------

export class Rig {
  private constructor(
    readonly server: RunningServer,
    readonly pageServer: PageServer,
    readonly browser: TestBrowser,
    readonly kurento: Kurento,
  ) {}

  /**
   * `env`: more environment for the server (e.g. inspectorEnv() for memory measurements);
   * `args`: more server options (the console test enables the console); `browserOptions`: how
   * Chromium is launched (a fake camera clip, say).
   */
  static async start(env: NodeJS.ProcessEnv = {}, args: string[] = [], browserOptions: LaunchOptions = {}): Promise<Rig> {
    // Traffic stays on loopback: only `lo` addresses are gathered and announced.
    const server = await startServer({ args: ['--workers', '1', ...args], env: { KMS_NETWORK_INTERFACES: 'lo', ...env } });
    const started: Array<{ close(): Promise<void> }> = [{ close: () => server.stop() }];
    try {
      const pageServer = await startPageServer();
      started.push(pageServer);
      const browser = await TestBrowser.launch(browserOptions);
      started.push(browser);
      const kurento = await Kurento.connect(server.url);
      return new Rig(server, pageServer, browser, kurento);
    } catch (err) {
      for (const s of started.reverse()) await s.close();
      throw err;
    }
  }

  /** Runs one scenario: its pages and pipelines are closed after it, its failures explained. */
  async scene(t: TestContext, body: (scene: Scene) => Promise<void>): Promise<void> {
    const scene = new Scene(this);
    try {
      await body(scene);
      assert.deepEqual(scene.errors.map((e) => e.message), [], 'signalling errors');
    } catch (err) {
      scene.pages.forEach((page, i) => t.diagnostic(`page ${i} console:\n${page.consoleLog.join('\n')}`));
      const serverLines = this.server.logs.filter((r) => r.level === 'error' || r.level === 'warn' || r.level === 'raw');
      t.diagnostic(`server warnings and errors:\n${serverLines.map((r) => JSON.stringify(r)).join('\n')}`);
      throw err;
    } finally {
      await scene.close();
    }
  }

  async close(): Promise<void> {
    await this.kurento.close();
    await this.browser.close();
    await this.pageServer.close();
    await this.server.stop();
  }
}

/** What one test uses: pipelines and pages, released and closed when the test ends. */
export class Scene {
  readonly pages: PeerPage[] = [];
  readonly pipelines: Remote[] = [];
  /** Failures of the asynchronous candidate relaying; the scene fails if any occurred. */
  readonly errors: Error[] = [];

  constructor(readonly rig: Rig) {}

  get kurento(): Kurento {
    return this.rig.kurento;
  }

  async pipeline(): Promise<Remote> {
    const pipeline = await this.kurento.create('MediaPipeline');
    this.pipelines.push(pipeline);
    return pipeline;
  }

  async page(): Promise<PeerPage> {
    const page = await this.rig.browser.openPeer(this.rig.pageServer.url);
    this.pages.push(page);
    return page;
  }

  async close(): Promise<void> {
    for (const page of this.pages) {
      if (!page.page.isClosed()) await page.close();
    }
    for (const pipeline of this.pipelines) {
      try {
        await pipeline.release();
      } catch (err) {
        // A test may have released it already; anything else is worth seeing.
        if (!/not found/i.test((err as Error).message)) throw err;
      }
    }
  }
}

// ---- signalling: the Kurento tutorials' flow --------------------------------------------------

type ComplexTypeFactory = (value: IceCandidateInit) => object;

/** kurento-client's IceCandidate, as applications build it from a browser candidate. */
function iceCandidate(candidate: IceCandidateInit): object {
  const module = clientModule() as unknown as { getComplexType(name: string): ComplexTypeFactory };
  return module.getComplexType('IceCandidate')(candidate);
}

export interface NegotiateOptions extends PeerOptions {
  /** Runs before the page makes its offer (e.g. the endpoint's `setTurnUrl`). */
  beforeOffer?: () => Promise<void>;
  /**
   * Runs once the endpoint has answered and before the page applies the answer: where the
   * tutorials connect a viewer to the presenter, and where timing starts being watched.
   */
  beforeAnswer?: () => Promise<void>;
  /**
   * Which of the endpoint's candidates the application passes on to the page (all by default):
   * a test of one transport leaves the others out, as a network that blocks them would.
   */
  relayToPage?: (candidate: string) => boolean;
}

/** When the negotiation started (Date.now()), for the time-to-connect figures. */
export interface Negotiated {
  startedAt: number;
}

/**
 * Connects a page to an endpoint the way a Kurento application does: the endpoint's candidates
 * go to the page as they are found; the page makes the offer, the endpoint answers, the page's
 * candidates go to the endpoint, and `gatherCandidates` starts the endpoint's gathering.
 */
export async function negotiate(scene: Scene, page: PeerPage, endpoint: Remote, options: NegotiateOptions = {}): Promise<Negotiated> {
  const { beforeOffer, beforeAnswer, relayToPage = () => true, ...peerOptions } = options;
  const startedAt = Date.now();
  const onError = (err: Error): void => {
    scene.errors.push(err);
  };
  endpoint.proxy.on('IceCandidateFound', (event: EventData) => {
    const c = event.candidate as IceCandidateInit;
    if (!relayToPage(c.candidate)) return;
    page.addIceCandidate({ candidate: c.candidate, sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null }).catch(onError);
  });
  await page.setup(peerOptions);
  if (beforeOffer) await beforeOffer();
  const offer = await page.createOffer();
  page.onIceCandidate((candidate) => {
    if (candidate) endpoint.call('addIceCandidate', iceCandidate(candidate)).catch(onError);
  });
  const answer = await endpoint.call<string>('processOffer', offer);
  if (beforeAnswer) await beforeAnswer();
  await page.acceptAnswer(answer);
  await endpoint.call('gatherCandidates');
  return { startedAt };
}

/** The next event of the queue that matches `predicate` (earlier non-matching ones are skipped). */
export async function nextMatching(queue: EventQueue, predicate: (event: EventData) => boolean, timeoutMs: number): Promise<EventData> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const event = await queue.next(Math.max(1, deadline - Date.now()));
    if (predicate(event)) return event;
  }
}

// ---- what the pages see -----------------------------------------------------------------------

/** What the tests read in the page besides window.peer: instrument.js's connections, timings. */
interface PageWindow {
  __harness: { connections: RTCPeerConnectionLike[] };
  __firstFrame?: { connectedAt?: number; firstFrameAt?: number; firstFrameWallMs?: number };
}

/** The part of the page's RTCPeerConnection used from the tests. */
interface RTCPeerConnectionLike {
  connectionState: string;
  addEventListener(type: 'connectionstatechange', listener: () => void): void;
  getStats(): Promise<Map<string, { type: string; kind?: string; framesDecoded?: number }>>;
  getSenders(): Array<{ track: { kind: string } | null; replaceTrack(track: null): Promise<void> }>;
}

/** Waits until the page decodes the fake camera at full size; resolves with those stats. */
export function waitForPicture(page: PeerPage, what = 'remote video', timeoutMs = MEDIA_TIMEOUT_MS): Promise<PeerConnectionStats> {
  return page.waitForPeerStats(
    (s) => {
      const video = inboundVideo(s);
      return (video?.framesDecoded ?? 0) > 0 && video?.frameWidth === FAKE_CAMERA.width && video.frameHeight === FAKE_CAMERA.height;
    },
    timeoutMs,
    `${what} decoded at ${FAKE_CAMERA.width}x${FAKE_CAMERA.height}`,
  );
}

export const framesDecoded = (s: PeerConnectionStats): number => inboundVideo(s)?.framesDecoded ?? 0;
export const audioPacketsReceived = (s: PeerConnectionStats): number => inboundAudio(s)?.packetsReceived ?? 0;

/**
 * Reads the page's stats every `intervalMs` for `durationMs` (inclusive of both ends) and asserts
 * that each figure strictly increases from every sample to the next: media kept arriving over
 * the whole period, not just at its ends. Returns the samples.
 */
export async function assertKeepsRising(
  page: PeerPage,
  figures: Record<string, (s: PeerConnectionStats) => number>,
  durationMs: number,
  intervalMs = 1000,
): Promise<Record<string, number[]>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(figures).map((name) => [name, []]));
  const start = Date.now();
  for (let i = 0; ; i++) {
    const stats = await page.peerStats();
    for (const [name, read] of Object.entries(figures)) samples[name]!.push(read(stats));
    if (Date.now() - start >= durationMs) break;
    // Sampling cadence, not synchronisation: the assertion is about every interval.
    await delay(Math.max(0, start + (i + 1) * intervalMs - Date.now()));
  }
  for (const [name, values] of Object.entries(samples)) {
    const stalled = values.findIndex((v, i) => i > 0 && v <= values[i - 1]!);
    assert.equal(stalled, -1, `${name} must rise at every sample, got ${values.join(', ')}`);
  }
  return samples;
}

/** Waits until a figure stops changing for `quietMs` (the page no longer receives). */
export async function waitUntilStill(page: PeerPage, read: (s: PeerConnectionStats) => number, quietMs: number, timeoutMs: number, what: string): Promise<number> {
  let last = read(await page.peerStats());
  let since = Date.now();
  return pollUntil(
    async () => {
      const now = read(await page.peerStats());
      if (now !== last) {
        last = now;
        since = Date.now();
      }
      return Date.now() - since;
    },
    (still) => still >= quietMs,
    timeoutMs,
    `${what} to stop rising`,
    200,
  ).then(() => last);
}

/** Stops the page's video sender (as when a user turns the camera off); audio keeps going. */
export async function stopSendingVideo(page: PeerPage): Promise<void> {
  await page.evaluate(async () => {
    const w = globalThis as unknown as PageWindow;
    const sender = w.__harness.connections[0]?.getSenders().find((s) => s.track?.kind === 'video');
    if (!sender) throw new Error('the page sends no video');
    await sender.replaceTrack(null);
  }, undefined);
}

// ---- the late viewer's first frame ------------------------------------------------------------

/**
 * Starts timing in the page (its own clock, no round trip to the test): when its connection
 * reaches 'connected' and when the first video frame is decoded (stats polled every 10 ms).
 * Install it after the offer and before the answer.
 */
export async function watchFirstFrame(page: PeerPage): Promise<void> {
  await page.evaluate(() => {
    const w = globalThis as unknown as PageWindow;
    const pc = w.__harness.connections[0];
    if (!pc) throw new Error('no peer connection to watch');
    const timing: { connectedAt?: number; firstFrameAt?: number; firstFrameWallMs?: number } = {};
    w.__firstFrame = timing;
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState === 'connected' && timing.connectedAt === undefined) timing.connectedAt = performance.now();
    });
    const poll = async (): Promise<void> => {
      const report = await pc.getStats();
      for (const s of report.values()) {
        if (s.type === 'inbound-rtp' && s.kind === 'video' && (s.framesDecoded ?? 0) > 0) {
          timing.firstFrameAt = performance.now();
          timing.firstFrameWallMs = Date.now();
          return;
        }
      }
      setTimeout(() => void poll(), 10);
    };
    void poll();
  }, undefined);
}

/** Milliseconds from 'connected' to the first decoded frame, once both happened. */
export async function firstFrameDelay(page: PeerPage, timeoutMs = MEDIA_TIMEOUT_MS): Promise<number> {
  const timing = await pollUntil(
    () => page.evaluate(() => (globalThis as unknown as PageWindow).__firstFrame ?? null, undefined),
    (t) => t?.connectedAt !== undefined && t.firstFrameAt !== undefined,
    timeoutMs,
    'connection and first decoded frame',
    50,
  );
  return timing!.firstFrameAt! - timing!.connectedAt!;
}

/**
 * The wall-clock time (Date.now(), the same clock as the test's on this machine) at which the
 * page decoded its first video frame, once it did (watchFirstFrame must be installed).
 */
export async function firstFrameWallClock(page: PeerPage, timeoutMs = MEDIA_TIMEOUT_MS): Promise<number> {
  const timing = await pollUntil(
    () => page.evaluate(() => (globalThis as unknown as PageWindow).__firstFrame ?? null, undefined),
    (t) => t?.firstFrameWallMs !== undefined,
    timeoutMs,
    'first decoded frame',
    50,
  );
  return timing!.firstFrameWallMs!;
}

/** The page's connection state, polled until 'connected'; resolves with the time it took. */
export async function waitConnected(page: PeerPage, since: number, timeoutMs = MEDIA_TIMEOUT_MS): Promise<number> {
  await pollUntil(() => page.call('state'), (s) => s.connectionState === 'connected', timeoutMs, 'page connected', 20);
  return Date.now() - since;
}
