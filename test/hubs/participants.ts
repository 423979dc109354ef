/**
 * Chromium participants of a hub, as a Kurento group-call application makes them: each page's
 * WebRtcEndpoint sends to a new HubPort of the hub and receives from it (the official
 * kurento-client does the wiring), and what each page decodes is read in the page: colours at
 * points of the picture, the spectrum of the sound, and the longest pause between two decoded
 * pictures, timed in the page itself.
 */
import { inboundVideo, pollUntil, type PeerOptions, type PeerPage } from '../helpers/browser.js';
import type { Remote } from '../helpers/kurento-client.js';
import { negotiate, type Scene } from '../webrtc-browser/fixtures.js';
import type { ColorName, Rgb } from './media-files.js';
import { isColor } from './media-files.js';

export interface Participant {
  readonly name: ColorName;
  readonly page: PeerPage;
  readonly endpoint: Remote;
  readonly port: Remote;
}

export interface Look {
  readonly name: ColorName;
  readonly color: string;
  readonly tone: number;
}

/**
 * Small pictures at the Composite's own rate keep four pages' cameras and encoders light on two
 * cores (the hub scales them and composes 15 a second anyway).
 */
const PICTURE = { width: 320, height: 240, frameRate: 15 } as const;
/** Four tones at this level add up without clipping (clipping would add tones of its own). */
const TONE_GAIN = 0.2;

export const LOOKS: Record<'red' | 'green' | 'blue' | 'yellow', Look> = {
  // Tones apart from each other's sums, differences and their doubles (±20 Hz).
  red: { name: 'red', color: '#e01010', tone: 440 },
  green: { name: 'green', color: '#10c010', tone: 700 },
  blue: { name: 'blue', color: '#1020e0', tone: 1100 },
  yellow: { name: 'yellow', color: '#e0e010', tone: 1700 },
};

/**
 * A page that sends its colour and tone to a new port of `hub` and receives what the port sends,
 * or, with `direction: 'recvonly'`/`'sendonly'`, only one way.
 */
export async function join(scene: Scene, pipeline: Remote, hub: Remote, look: Look, extra: PeerOptions = {}): Promise<Participant> {
  const endpoint = await pipeline.create('WebRtcEndpoint');
  const port = await hub.call<Remote>('createHubPort');
  const direction = extra.direction ?? 'sendrecv';
  if (direction !== 'recvonly') await endpoint.call('connect', port);
  if (direction !== 'sendonly') await port.call('connect', endpoint);
  const page = await scene.page();
  await negotiate(scene, page, endpoint, {
    direction,
    synthetic: { colors: [look.color], tone: look.tone, toneGain: TONE_GAIN, ...PICTURE },
    ...extra,
  });
  return { name: look.name, page, endpoint, port };
}

/** Waits until the page decodes pictures of `size`. */
export async function waitForPictureSize(page: PeerPage, size: { width: number; height: number }, timeoutMs = 20_000): Promise<void> {
  await page.waitForPeerStats(
    (s) => {
      const video = inboundVideo(s);
      return (video?.framesDecoded ?? 0) > 0 && video?.frameWidth === size.width && video.frameHeight === size.height;
    },
    timeoutMs,
    `pictures of ${size.width}x${size.height}`,
  );
}

/**
 * Waits until the page shows the expected colour at each point (null: any colour), and returns
 * what it saw; on time out, fails with the last colours seen.
 */
export async function waitForColors(page: PeerPage, expected: Array<[[number, number], ColorName | null]>, what: string, timeoutMs = 10_000): Promise<Rgb[]> {
  const points = expected.map(([point]) => point);
  const matches = (seen: Rgb[] | null): boolean => seen !== null && expected.every(([, name], i) => name === null || isColor(seen[i]!, name));
  const seen = await pollUntil(() => page.sampleRemoteVideo(points) as Promise<Rgb[] | null>, matches, timeoutMs, what, 100).catch(async (err: Error) => {
    throw new Error(`${err.message}; last colours ${JSON.stringify(await page.sampleRemoteVideo(points))}`);
  });
  return seen!;
}

/** Frames the page decoded per second over `windowMs`. */
export async function decodedFrameRate(page: PeerPage, windowMs: number): Promise<number> {
  const first = inboundVideo(await page.peerStats())?.framesDecoded ?? 0;
  const start = Date.now();
  const end = await page.waitForPeerStats(() => Date.now() - start >= windowMs, windowMs + 5000, 'the frame rate window');
  return (((inboundVideo(end)?.framesDecoded ?? 0) - first) * 1000) / (Date.now() - start);
}

/** What the page keeps about its decoded pictures while watched (see `watchPictures`). */
interface PictureWatch {
  frames: number;
  lastAt: number;
  longestGapMs: number;
  /** Pauses over 150 ms: when they ended (the arrival that ended them, as epoch ms) and how long they were. */
  pauses: Array<[number, number]>;
  stopped: boolean;
}

interface WatchedWindow {
  __pictures?: PictureWatch;
}

/** The part of `requestVideoFrameCallback` the watch uses (not in TypeScript's DOM library yet). */
interface FrameCallbackVideo {
  requestVideoFrameCallback(callback: (now: number, metadata: { receiveTime?: number }) => void): number;
}

/**
 * Starts timing, in the page, the pauses between the pictures the page receives: every picture
 * the page's video element gets is reported by `requestVideoFrameCallback`, with the time its
 * last packet arrived (`receiveTime`, stamped by the browser's network thread). Pauses are
 * measured between those arrival times, so they are what the server delivered: a page whose
 * renderer is starved by three other browsers on two cores still reports the times the pictures
 * came, not when it found time to look at them.
 */
export async function watchPictures(page: PeerPage): Promise<void> {
  await page.evaluate(() => {
    const w = globalThis as unknown as WatchedWindow;
    const { document } = globalThis as unknown as { document: { getElementById(id: string): unknown } };
    const video = document.getElementById('remote') as FrameCallbackVideo | null;
    if (!video) throw new Error('no remote video to watch');
    const watch: PictureWatch = { frames: 0, lastAt: 0, longestGapMs: 0, pauses: [], stopped: false };
    w.__pictures = watch;
    const onPicture = (now: number, metadata: { receiveTime?: number }): void => {
      if (watch.stopped) return;
      const at = metadata.receiveTime ?? now;
      if (watch.lastAt > 0 && at > watch.lastAt) {
        const gap = at - watch.lastAt;
        watch.longestGapMs = Math.max(watch.longestGapMs, gap);
        if (gap > 150) watch.pauses.push([Math.round(performance.timeOrigin + at), Math.round(gap)]);
      }
      watch.frames++;
      watch.lastAt = Math.max(at, watch.lastAt);
      video.requestVideoFrameCallback(onPicture);
    };
    video.requestVideoFrameCallback(onPicture);
  }, undefined);
}

/** How many pictures the page received since `watchPictures`. */
export async function picturesWatched(page: PeerPage): Promise<number> {
  return page.evaluate(() => (globalThis as unknown as WatchedWindow).__pictures?.frames ?? 0, undefined);
}

/** Stops watching; returns the longest pause seen and the pictures decoded meanwhile. */
export async function stopWatching(page: PeerPage): Promise<{ longestGapMs: number; frames: number; pauses: Array<[number, number]> }> {
  return page.evaluate(() => {
    const watch = (globalThis as unknown as WatchedWindow).__pictures;
    if (!watch) throw new Error('the page was not watched');
    watch.stopped = true;
    return { longestGapMs: Math.round(watch.longestGapMs), frames: watch.frames, pauses: watch.pauses };
  }, undefined);
}
