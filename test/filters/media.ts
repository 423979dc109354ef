/**
 * What the filter tests share: clips of known content made by ffmpeg, a pipeline that plays a
 * clip through a filter into a recorder (the official way to see a filter's output without a
 * browser), and the pixels of a recorded frame read back with ffmpeg.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { RawClient } from '../helpers/raw-client.js';
import { setUp, startServer, type RunningServer } from '../helpers/server-process.js';
import { create, invoke, subscribe, waitForEvent } from '../helpers/uri-endpoints.js';

const execFileAsync = promisify(execFile);
const require = createRequire(import.meta.url);
const qrcode = require('qrcode-generator') as (type: number, level: 'L' | 'M' | 'Q' | 'H') => { addData(text: string): void; make(): void; getModuleCount(): number; isDark(row: number, col: number): boolean };

export const WIDTH = 640;
export const HEIGHT = 480;

/**
 * A VP8 WebM clip of `seconds` from an ffmpeg filter graph whose output is `[out]`, or from
 * input arguments (`-loop 1 -i picture.png`), 30 fps, key frames every second.
 */
export async function makeClip(path: string, source: { lavfi: string } | { args: string[] }, seconds: number): Promise<string> {
  const input = 'lavfi' in source ? ['-f', 'lavfi', '-i', source.lavfi] : source.args;
  await execFileAsync('ffmpeg', ['-v', 'error', '-y', ...input, '-t', String(seconds), '-r', '30', '-s', `${WIDTH}x${HEIGHT}`, '-pix_fmt', 'yuv420p', '-c:v', 'libvpx', '-b:v', '2M', '-deadline', 'realtime', '-cpu-used', '8', '-g', '30', '-an', path]);
  return path;
}

/** A picture file from raw RGB(A) pixels (for images the tests draw themselves). */
export async function writePicture(path: string, pixels: Buffer, width: number, height: number, format: 'rgb24' | 'rgba' | 'gray'): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    const child = execFile('ffmpeg', ['-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', format, '-s', `${width}x${height}`, '-i', '-', '-frames:v', '1', path], (err) => (err ? reject(err) : resolve()));
    child.stdin!.end(pixels);
  });
  return path;
}

export interface FilterRun {
  pipeline: string;
  player: string;
  filter: string;
  recorder: string;
}

/**
 * Plays `clip` through the filter `makeFilter` creates into a WebM recording at `output`, and
 * waits for the recording to stop at the clip's end. `beforePlay` runs with everything connected
 * (subscriptions to the filter's events go there).
 */
export async function filterClip(
  client: RawClient,
  clip: string,
  output: string,
  makeFilter: (pipeline: string) => Promise<string>,
  beforePlay: (run: FilterRun) => Promise<void> = async () => undefined,
): Promise<FilterRun> {
  const pipeline = await create(client, 'MediaPipeline', {});
  const player = await create(client, 'PlayerEndpoint', { mediaPipeline: pipeline, uri: pathToFileURL(clip).href });
  const filter = await makeFilter(pipeline);
  const recorder = await create(client, 'RecorderEndpoint', { mediaPipeline: pipeline, uri: pathToFileURL(output).href, mediaProfile: 'WEBM_VIDEO_ONLY', stopOnEndOfStream: true });
  await subscribe(client, recorder, 'Stopped', 'Error');
  await subscribe(client, filter, 'Error');
  await invoke(client, player, 'connect', { sink: filter });
  await invoke(client, filter, 'connect', { sink: recorder });
  const run = { pipeline, player, filter, recorder };
  await beforePlay(run);
  await invoke(client, recorder, 'record');
  await invoke(client, player, 'play');
  await waitForEvent(client, recorder, 'Stopped', () => true, 60_000);
  return run;
}

/** RGB pixels of the frame shown at `seconds` into a video file. */
export async function frameAt(path: string, seconds: number, width = WIDTH, height = HEIGHT): Promise<Picture> {
  const { stdout } = await execFileAsync('ffmpeg', ['-v', 'error', '-ss', String(seconds), '-i', path, '-frames:v', '1', '-s', `${width}x${height}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { encoding: 'buffer', maxBuffer: 1 << 26 });
  return new Picture(stdout, width, height);
}

export type Rgb = [number, number, number];

export class Picture {
  constructor(
    readonly rgb: Buffer,
    readonly width: number,
    readonly height: number,
  ) {}

  at(x: number, y: number): Rgb {
    const i = (Math.round(y) * this.width + Math.round(x)) * 3;
    return [this.rgb[i]!, this.rgb[i + 1]!, this.rgb[i + 2]!];
  }

  /** The mean colour of a rectangle (robust to codec noise). */
  mean(x: number, y: number, w: number, h: number): Rgb {
    const sum = [0, 0, 0];
    for (let yy = y; yy < y + h; yy++) for (let xx = x; xx < x + w; xx++) {
      const p = this.at(xx, yy);
      sum[0]! += p[0];
      sum[1]! += p[1];
      sum[2]! += p[2];
    }
    const n = w * h;
    return [sum[0]! / n, sum[1]! / n, sum[2]! / n];
  }
}

/** Whether a colour is within `tolerance` of another on every channel. */
export function near(actual: Rgb, expected: Rgb, tolerance = 40): boolean {
  return actual.every((v, i) => Math.abs(v - expected[i]!) <= tolerance);
}

/** A 640x480 grey picture with the QR code of `text` drawn black on white, 6 px per module. */
export function qrPicture(text: string): Buffer {
  const code = qrcode(0, 'M');
  code.addData(text);
  code.make();
  const modules = code.getModuleCount();
  const scale = 6;
  const size = (modules + 8) * scale;
  const pixels = Buffer.alloc(640 * 480, 110);
  const left = 100;
  const top = Math.round((480 - size) / 2);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const row = Math.floor(y / scale) - 4;
      const col = Math.floor(x / scale) - 4;
      const dark = row >= 0 && col >= 0 && row < modules && col < modules && code.isDark(row, col);
      pixels[(top + y) * 640 + left + x] = dark ? 0 : 255;
    }
  }
  return pixels;
}


/** What a filter test file runs against: a server with one media worker, a raw client, a scratch folder. */
export interface FilterStage {
  readonly server: RunningServer;
  readonly client: RawClient;
  readonly dir: string;
}

/**
 * Registers node:test hooks that set a FilterStage up before the file's first test (then run
 * `setup`, for clips and pictures) and take it down after its last. `args` go to the server.
 */
export function useFilterStage(setup: (stage: FilterStage) => Promise<void> = async () => undefined, args: string[] = []): FilterStage {
  let server: RunningServer | undefined;
  let client: RawClient | undefined;
  let dir: string | undefined;
  const stage: FilterStage = {
    get server() {
      return setUp(server, 'the server');
    },
    get client() {
      return setUp(client, 'the client');
    },
    get dir() {
      return setUp(dir, 'the scratch folder');
    },
  };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kuroshio-filters-'));
    server = await startServer({ args: ['--workers', '1', ...args] });
    client = await RawClient.connect(server.url);
    await setup(stage);
  });
  after(async () => {
    client?.close();
    await server?.stop();
    if (dir && !process.env.KUROSHIO_KEEP_FILES) await rm(dir, { recursive: true, force: true });
  });
  return stage;
}
