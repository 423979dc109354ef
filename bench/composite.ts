/**
 * `npm run bench:composite`: what a Composite costs, against the ffmpeg command line doing the
 * same work on the same inputs in the same run.
 *
 * Inputs: 640x480 30 fps VP8 clips (moving test pictures, a key frame every 2 s, 1 Mbit/s), one
 * per participant. Kuroshio: a PlayerEndpoint per clip (paced in real time, as cameras send)
 * into a port of one Composite; one more port feeds a WebM RecorderEndpoint. ffmpeg: the clips
 * read in real time (`-re`), decoded, brought to the output rate (`fps`), put through the very
 * filter graph the Composite builds (scale into the cells + `xstack`), encoded by libvpx with the
 * Composite's settings (realtime, cpu-used 8, one thread, 1 Mbit/s) and written as WebM. Both
 * run pinned to one core (CPU 0) with one filter thread; the figure is the CPU they use per
 * second of output, measured from /proc over a window after a warm-up, with the frame rate each
 * achieved (it must be the target for the figure to mean anything). Sound is left out of both.
 *
 * Then: how many 4-participant Composites (800x600, 15 fps, KMS's default) one core holds with
 * every one of them at 14 frames a second or more — and how many ffmpeg processes doing the same.
 *
 *   npm run bench:composite [-- --quick]      (--quick: shorter windows, capacity search up to 3)
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { gridPlan } from '../src/media/mixing/video-layout.js';
import { RawClient } from '../test/helpers/raw-client.js';
import { cpuSeconds } from './proc.js';
import { startServer, type RunningServer } from '../test/helpers/server-process.js';
import { create, invoke } from '../test/helpers/uri-endpoints.js';

const QUICK = process.argv.includes('--quick');
const WARM_UP_MS = QUICK ? 2000 : 3000;
const WINDOW_MS = QUICK ? 5000 : 10_000;
const CLIP_SECONDS = Math.ceil((WARM_UP_MS + WINDOW_MS) / 1000) + 5;
const BITRATE = 1_000_000;
const CORE = '0';
const CAPACITY_FPS = 14;
const MAX_COMPOSITES = QUICK ? 3 : 8;

interface Config {
  inputs: number;
  width: number;
  height: number;
  fps: number;
}

const CONFIGS: Config[] = [
  { inputs: 4, width: 640, height: 480, fps: 30 },
  { inputs: 9, width: 640, height: 480, fps: 30 },
  { inputs: 4, width: 800, height: 600, fps: 15 },
  { inputs: 9, width: 800, height: 600, fps: 15 },
];

interface Measure {
  /** CPU seconds per second of output (1 = one core). */
  cpu: number;
  /** Output frames per second achieved. */
  fps: number;
}

function makeClips(dir: string, count: number): string[] {
  const clips: string[] = [];
  for (let i = 0; i < count; i++) {
    const path = join(dir, `in${i}.webm`);
    execFileSync('ffmpeg', [
      '-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=640x480:rate=30,hue=h=${i * 40}`,
      '-t', String(CLIP_SECONDS), '-g', '60', '-c:v', 'libvpx', '-b:v', '1M', '-deadline', 'realtime', '-cpu-used', '8', path,
    ]);
    clips.push(path);
  }
  return clips;
}

/** The shared VP8 encoder's output frames, from a port's statistics. */
async function encodedFrames(client: RawClient, port: string): Promise<number> {
  const stats = (await invoke(client, port, 'getStats', { mediaType: 'VIDEO' })) as Record<string, { mediaProcessing?: Array<{ encoders: Array<{ framesOut: number }> }> }>;
  for (const entry of Object.values(stats)) {
    const out = entry.mediaProcessing?.[0]?.encoders[0]?.framesOut;
    if (out !== undefined) return out;
  }
  return 0;
}

/** `count` Composites of `config` in one pipeline each, fed by players; returns their output ports. */
async function startComposites(client: RawClient, clips: string[], dir: string, config: Config, count: number): Promise<{ pipelines: string[]; outs: string[] }> {
  const pipelines: string[] = [];
  const outs: string[] = [];
  const players: string[] = [];
  for (let k = 0; k < count; k++) {
    const pipeline = await create(client, 'MediaPipeline', {});
    pipelines.push(pipeline);
    const composite = await create(client, 'Composite', { mediaPipeline: pipeline, width: config.width, height: config.height, framerate: config.fps });
    for (let i = 0; i < config.inputs; i++) {
      const player = await create(client, 'PlayerEndpoint', { mediaPipeline: pipeline, uri: pathToFileURL(clips[i]!).href });
      const port = await create(client, 'HubPort', { hub: composite });
      await invoke(client, player, 'connect', { sink: port });
      players.push(player);
    }
    const out = await create(client, 'HubPort', { hub: composite });
    await invoke(client, out, 'setEncoderBitrate', { encoderBitrate: BITRATE });
    const recorder = await create(client, 'RecorderEndpoint', { mediaPipeline: pipeline, uri: pathToFileURL(join(dir, `out${k}.webm`)).href, mediaProfile: 'WEBM_VIDEO_ONLY' });
    await invoke(client, out, 'connect', { sink: recorder });
    await invoke(client, recorder, 'record');
    outs.push(out);
  }
  for (const player of players) await invoke(client, player, 'play');
  return { pipelines, outs };
}

/** Kuroshio: the worker's CPU per second and each composite's output rate over the window. */
async function measureKuroshio(server: RunningServer, client: RawClient, clips: string[], dir: string, config: Config, count = 1): Promise<Measure[]> {
  const worker = server.workerPids()[0]!;
  const { pipelines, outs } = await startComposites(client, clips, dir, config, count);
  try {
    await delay(WARM_UP_MS);
    const cpu0 = cpuSeconds(worker);
    const frames0 = await Promise.all(outs.map((o) => encodedFrames(client, o)));
    const t0 = performance.now();
    await delay(WINDOW_MS);
    const frames1 = await Promise.all(outs.map((o) => encodedFrames(client, o)));
    const seconds = (performance.now() - t0) / 1000;
    const cpu = (cpuSeconds(worker) - cpu0) / seconds;
    return outs.map((_, k) => ({ cpu: cpu / count, fps: (frames1[k]! - frames0[k]!) / seconds }));
  } finally {
    for (const pipeline of pipelines) await client.call('release', { object: pipeline });
  }
}

/** The ffmpeg command doing what one Composite does, with the Composite's own filter graph. */
function ffmpegArgs(clips: string[], config: Config, output: string): string[] {
  const inputs = clips.slice(0, config.inputs).map((_, i) => [`p${i}`, { width: 640, height: 480 }] as const);
  const plan = gridPlan(inputs, { width: config.width, height: config.height, background: [0, 0, 0] })!;
  const rate = inputs.map((_, i) => `[${i}:v]fps=${config.fps}[in${i}]`).join(';');
  return [
    '-v', 'error', '-nostats', '-progress', 'pipe:1', '-stats_period', '0.5',
    ...clips.slice(0, config.inputs).flatMap((clip) => ['-re', '-threads', '1', '-i', clip]),
    '-filter_complex_threads', '1', '-filter_complex', `${rate};${plan.description}`, '-map', '[out]',
    '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-lag-in-frames', '0', '-error-resilient', '1',
    '-threads', '1', '-b:v', String(BITRATE), '-g', '600', '-f', 'webm', '-y', output,
  ];
}

/** ffmpeg: `count` processes on the core; each one's CPU per second and output rate over the window. */
async function measureFfmpeg(clips: string[], dir: string, config: Config, count = 1): Promise<Measure[]> {
  const runs: Array<{ child: ChildProcess; frames: number }> = [];
  for (let k = 0; k < count; k++) {
    const child = spawn('taskset', ['-c', CORE, 'ffmpeg', ...ffmpegArgs(clips, config, join(dir, `ffmpeg${k}.webm`))], { stdio: ['ignore', 'pipe', 'inherit'] });
    const run = { child, frames: 0 };
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (const match of buffered.matchAll(/frame=(\d+)/g)) run.frames = Number(match[1]);
      buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
    });
    runs.push(run);
  }
  try {
    await delay(WARM_UP_MS);
    const cpu0 = runs.map((r) => cpuSeconds(r.child.pid!));
    const frames0 = runs.map((r) => r.frames);
    const t0 = performance.now();
    await delay(WINDOW_MS);
    const seconds = (performance.now() - t0) / 1000;
    return runs.map((r, k) => ({ cpu: (cpuSeconds(r.child.pid!) - cpu0[k]!) / seconds, fps: (r.frames - frames0[k]!) / seconds }));
  } finally {
    for (const r of runs) r.child.kill('SIGKILL');
  }
}

const pct = (cpu: number): string => `${(cpu * 100).toFixed(1)}%`;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kuroshio-bench-composite-'));
  console.log(`making ${Math.max(...CONFIGS.map((c) => c.inputs))} input clips of ${CLIP_SECONDS} s…`);
  const clips = makeClips(dir, Math.max(...CONFIGS.map((c) => c.inputs)));
  const server = await startServer({ args: ['--workers', '1'], nodeArgs: [], env: {} });
  // Pin the whole server (its worker, and the worker's threads) to the measured core.
  execFileSync('taskset', ['-a', '-c', '-p', CORE, String(server.process.pid)]);
  for (const pid of server.workerPids()) execFileSync('taskset', ['-a', '-c', '-p', CORE, String(pid)]);
  const client = await RawClient.connect(server.url);
  try {
    console.log(`\nCPU per second of output (one core = 100%), ${WINDOW_MS / 1000} s windows after ${WARM_UP_MS / 1000} s, both pinned to CPU ${CORE}`);
    console.log('| participants | output | ffmpeg CPU | ffmpeg fps | Kuroshio CPU | Kuroshio fps | Kuroshio / ffmpeg |');
    console.log('| ---: | --- | ---: | ---: | ---: | ---: | ---: |');
    for (const config of CONFIGS) {
      const [ff] = await measureFfmpeg(clips, dir, config);
      const [ku] = await measureKuroshio(server, client, clips, dir, config);
      console.log(`| ${config.inputs} | ${config.width}x${config.height}@${config.fps} | ${pct(ff!.cpu)} | ${ff!.fps.toFixed(1)} | ${pct(ku!.cpu)} | ${ku!.fps.toFixed(1)} | ${(ku!.cpu / ff!.cpu).toFixed(2)}× |`);
    }

    const kms: Config = { inputs: 4, width: 800, height: 600, fps: 15 };
    console.log(`\n4-participant Composites (800x600@15) on one core: the slowest one's output rate`);
    console.log('| composites | Kuroshio slowest fps | Kuroshio CPU | ffmpeg processes: slowest fps | ffmpeg CPU |');
    console.log('| ---: | ---: | ---: | ---: | ---: |');
    let kuroshioHolds = 0;
    let ffmpegHolds = 0;
    for (let count = 1; count <= MAX_COMPOSITES; count++) {
      const ku = kuroshioHolds === count - 1 ? await measureKuroshio(server, client, clips, dir, kms, count) : undefined;
      const ff = ffmpegHolds === count - 1 ? await measureFfmpeg(clips, dir, kms, count) : undefined;
      const kuSlowest = ku ? Math.min(...ku.map((m) => m.fps)) : undefined;
      const ffSlowest = ff ? Math.min(...ff.map((m) => m.fps)) : undefined;
      if (kuSlowest !== undefined && kuSlowest >= CAPACITY_FPS) kuroshioHolds = count;
      if (ffSlowest !== undefined && ffSlowest >= CAPACITY_FPS) ffmpegHolds = count;
      const cpuOf = (m: Measure[] | undefined): string => (m ? pct(m.reduce((sum, x) => sum + x.cpu, 0)) : '—');
      console.log(`| ${count} | ${kuSlowest?.toFixed(1) ?? '—'} | ${cpuOf(ku)} | ${ffSlowest?.toFixed(1) ?? '—'} | ${cpuOf(ff)} |`);
      if (kuroshioHolds < count && ffmpegHolds < count) break;
    }
    console.log(`\none core holds ${kuroshioHolds} Kuroshio Composites and ${ffmpegHolds} ffmpeg processes at ≥ ${CAPACITY_FPS} fps each`);
  } finally {
    client.close();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
