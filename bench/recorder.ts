/**
 * `npm run bench:recorder`: how many simultaneous recordings one media worker sustains in real
 * time, and the CPU each one costs.
 *
 * A PlayerEndpoint plays a 640x480 30 fps clip (paced in real time, as a camera would send) into N
 * RecorderEndpoints of one pipeline, on a server with one worker. Two cases:
 * - WebM from VP8 + Opus: stored as they are (no transcoding);
 * - MP4 from H.264 + Opus: H.264 stored as it is, Opus transcoded to AAC.
 * For growing N, the worker's CPU (from /proc) is sampled while recording; a step is sustained when
 * every file holds at least 95% of the time played. The player's own cost is measured with no
 * recorder (a PassThrough as its sink) and taken out of the per-recording figure.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { RawClient } from '../test/helpers/raw-client.js';
import { startServer } from '../test/helpers/server-process.js';
import { create, ffprobe, invoke } from '../test/helpers/uri-endpoints.js';

const PLAY_MS = 8000;
const STEPS = [1, 5, 10, 20, 40, 60];
const CPU_LIMIT = 0.9;
const TICKS_PER_SECOND = 100;

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

interface Step {
  recordings: number;
  cpu: number;
  sustained: boolean;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kuroshio-bench-rec-'));
  const source = ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=30', '-f', 'lavfi', '-i', 'sine=sample_rate=48000', '-t', '12', '-g', '60', '-pix_fmt', 'yuv420p'];
  const webmClip = join(dir, 'src.webm');
  const mkvClip = join(dir, 'src.mkv');
  execFileSync('ffmpeg', [...source, '-c:v', 'libvpx', '-b:v', '1M', '-deadline', 'realtime', '-cpu-used', '8', '-c:a', 'libopus', webmClip]);
  execFileSync('ffmpeg', [...source, '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', '1M', '-profile:v', 'baseline', '-c:a', 'libopus', mkvClip]);
  const server = await startServer({ args: ['--workers', '1'] });
  const client = await RawClient.connect(server.url);
  const pid = server.workerPids()[0];
  if (pid === undefined) throw new Error('no media worker');
  const workerPid: number = pid;

  /** Plays the clip into `count` recorders (0: into a PassThrough); returns CPU and real-time check. */
  async function run(clip: string, profile: string, count: number): Promise<Step> {
    const pipeline = await create(client, 'MediaPipeline', {});
    const player = await create(client, 'PlayerEndpoint', { mediaPipeline: pipeline, uri: pathToFileURL(clip).href });
    const files: string[] = [];
    const recorders: string[] = [];
    if (count === 0) await invoke(client, player, 'connect', { sink: await create(client, 'PassThrough', { mediaPipeline: pipeline }) });
    for (let k = 0; k < count; k++) {
      const file = join(dir, `r${k}.${profile === 'MP4' ? 'mp4' : 'webm'}`);
      const recorder = await create(client, 'RecorderEndpoint', { mediaPipeline: pipeline, uri: pathToFileURL(file).href, mediaProfile: profile });
      await invoke(client, player, 'connect', { sink: recorder });
      await invoke(client, recorder, 'record');
      files.push(file);
      recorders.push(recorder);
    }
    await invoke(client, player, 'play');
    await delay(1000); // let the first second (containers opening) pass before measuring
    const cpu0 = cpuSeconds(workerPid);
    const t0 = Date.now();
    await delay(PLAY_MS - 1000);
    const cpu = (cpuSeconds(workerPid) - cpu0) / ((Date.now() - t0) / 1000);
    for (const r of recorders) await invoke(client, r, 'stopAndWait');
    let sustained = true;
    for (const file of files) {
      const duration = Number((await ffprobe(file)).format.duration);
      if (!(duration >= (PLAY_MS / 1000) * 0.95 - 0.5)) sustained = false;
    }
    await client.call('release', { object: pipeline });
    return { recordings: count, cpu, sustained };
  }

  for (const [title, clip, profile] of [
    ['WebM, VP8 + Opus stored as they are', webmClip, 'WEBM'],
    ['MP4, H.264 stored, Opus transcoded to AAC', mkvClip, 'MP4'],
  ] as const) {
    const base = await run(clip, profile, 0);
    console.log(`\n${title}  (player alone: ${(base.cpu * 100).toFixed(1)}% of a core)`);
    console.log('recordings  worker CPU  per recording  real time');
    let best: Step | undefined;
    for (const n of STEPS) {
      const step = await run(clip, profile, n);
      const per = (step.cpu - base.cpu) / n;
      console.log(`${String(n).padStart(10)}  ${(step.cpu * 100).toFixed(1).padStart(9)}%  ${(per * 100).toFixed(2).padStart(12)}%  ${step.sustained ? 'yes' : 'NO'}`);
      if (!step.sustained) break;
      best = step;
      if (step.cpu >= CPU_LIMIT) break;
    }
    if (best) {
      const per = (best.cpu - base.cpu) / best.recordings;
      const estimate = Math.floor((CPU_LIMIT - base.cpu) / per);
      console.log(`sustained: ${best.recordings} measured; about ${estimate} per worker at ${CPU_LIMIT * 100}% of a core`);
    }
  }
  client.close();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}

await main();
