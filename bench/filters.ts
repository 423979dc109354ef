/**
 * `npm run bench:filters`: what each filter costs at 640x480, next to the same decoding and
 * encoding without a filter, in the same run.
 *
 * Everything runs in this process, on the media worker's own classes: an ObjectHost holds a
 * pipeline where a source element decodes a VP8 clip (paced at 30 fps, as a camera sends) and
 * pushes its frames into the filter, and a sink element takes the filter's frames and encodes them
 * to VP8, as a WebRtcEndpoint viewer would have them encoded. The baseline is source → sink.
 * For each case: the output frame rate, the CPU per frame of the whole process (every thread:
 * libuv's pool, detector threads) and its share of a core, the frames one core could sustain at
 * that cost, detections a second for detecting filters, and the latency the filter adds
 * (push → sink, p50/p99, over the baseline's). `npm run bench:filters` pins the process to one
 * core (taskset), so the output rate is what one core sustains.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { Demuxer } from 'node-av';
import { MediaDecoder } from '../src/codec/decoder.js';
import { MediaEncoder } from '../src/codec/encoder.js';
import { DEFAULT_CONFIG } from '../src/config.js';
import { builtInFactories } from '../src/elements/index.js';
import { MediaElementImpl, type ElementPadSink } from '../src/elements/media-element.js';
import type { ElementFactory, MediaObjectImpl } from '../src/elements/media-object.js';
import { createLogger } from '../src/log.js';
import { RAW_CAPS, type SinkCaps } from '../src/media/processing/caps.js';
import type { RawMedia } from '../src/media/processing/raw-media.js';
import { loadPlugins } from '../src/plugins/implementation-loader.js';
import { ObjectHost } from '../src/worker/object-host.js';
import { qrPicture, writePicture } from '../test/filters/media.js';

const FPS = 30;
const RUN_MS = 6000;
const WARMUP_MS = 1500;

/** Pushes decoded frames into the pipeline. */
class BenchSource extends MediaElementImpl {
  send(media: RawMedia): void {
    this.pushFrame(this.sources.get('VIDEO', 'default'), media);
  }
}

/** Takes frames and encodes them to VP8 (what a viewer would cost); notes when each arrived. */
class BenchSink extends MediaElementImpl {
  readonly arrivals: { pts: bigint; at: number }[] = [];
  private readonly encoder = new MediaEncoder('VIDEO', 'VP8', { bitrate: 1_000_000 });
  private encoding: Promise<unknown> = Promise.resolve();
  private pending = 0;

  protected override sinkCaps(_pad: ElementPadSink): SinkCaps {
    return RAW_CAPS;
  }

  override acceptFrame(_pad: ElementPadSink, media: RawMedia): void {
    this.arrivals.push({ pts: media.frame.pts, at: performance.now() });
    if (this.pending >= 2) return;
    const frame = media.frame.clone();
    if (!frame) return;
    this.pending++;
    this.encoding = this.encoding.then(() => this.encoder.encode(frame, false)).finally(() => {
      frame.free();
      this.pending--;
    });
  }

  override release(): void {
    this.encoder.close();
    super.release();
  }
}

interface Case {
  name: string;
  clip: string;
  /** Creates the filter in pipeline `p`, returns its type and params; `setup` runs after creation. */
  filter?: { type: string; params: Record<string, unknown>; setup?: (invoke: (operation: string, params: Record<string, unknown>) => Promise<unknown>) => Promise<void> };
}

interface Result {
  name: string;
  fps: number;
  /** Share of one core used while running (CPU time / wall time). */
  cores: number;
  cpuMsPerFrame: number;
  oneCoreFps: number;
  detectionsPerSecond: number | undefined;
  latencyP50: number;
  latencyP99: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...args]);
}

function clipOf(dir: string, name: string, input: string[]): string {
  const path = join(dir, `${name}.webm`);
  ffmpeg([...input, '-t', '3', '-r', '30', '-s', '640x480', '-pix_fmt', 'yuv420p', '-c:v', 'libvpx', '-b:v', '1M', '-deadline', 'realtime', '-cpu-used', '8', '-g', '30', '-an', path]);
  return path;
}

async function packetsOf(path: string): Promise<{ data: Buffer; keyframe: boolean }[]> {
  const demuxer = await Demuxer.open(path);
  const stream = demuxer.video()!;
  const out: { data: Buffer; keyframe: boolean }[] = [];
  for (const packet of demuxer.packetsSync(stream.index)) {
    if (!packet) break;
    if (packet.data) out.push({ data: Buffer.from(packet.data), keyframe: packet.isKeyframe });
    packet.free();
  }
  await demuxer.close();
  return out;
}

let nextRequest = 1;
async function request(host: ObjectHost, responses: Map<number, { result?: unknown; error?: unknown }>, method: 'create' | 'invoke' | 'release', params: Record<string, unknown>): Promise<unknown> {
  const id = nextRequest++;
  await host.handle({ kind: 'request', id, method, params } as Parameters<ObjectHost['handle']>[0]);
  const response = responses.get(id);
  responses.delete(id);
  if (response?.error) throw new Error(`${method} failed: ${JSON.stringify(response.error)}`);
  return response?.result;
}

async function runCase(host: ObjectHost, responses: Map<number, { result?: unknown; error?: unknown }>, c: Case, index: number): Promise<Result> {
  const p = `bench-${index}`;
  await request(host, responses, 'create', { objectId: p, type: 'kurento.MediaPipeline', pipelineId: p, params: {} });
  const create = (objectId: string, type: string, params: Record<string, unknown> = {}) => request(host, responses, 'create', { objectId, type, pipelineId: p, parentId: p, params: { mediaPipeline: p, ...params } });
  const invoke = (objectId: string, operation: string, params: Record<string, unknown>) => request(host, responses, 'invoke', { objectId, kind: 'method', operation, member: operation, params });
  await create(`${p}/src`, 'bench.Source');
  await create(`${p}/sink`, 'bench.Sink');
  let upstream = `${p}/src`;
  if (c.filter) {
    await create(`${p}/f`, c.filter.type, c.filter.params);
    await c.filter.setup?.((operation, params) => invoke(`${p}/f`, operation, params));
    await invoke(upstream, 'connect', { sink: `${p}/f`, mediaType: 'VIDEO' });
    upstream = `${p}/f`;
  }
  await invoke(upstream, 'connect', { sink: `${p}/sink`, mediaType: 'VIDEO' });
  const source = host.find(`${p}/src`) as BenchSource;
  const sink = host.find(`${p}/sink`) as BenchSink;
  const filter = host.find(`${p}/f`) as (MediaObjectImpl & { detectionStats?: { detections: number } }) | undefined;

  const packets = await packetsOf(c.clip);
  const decoder = await MediaDecoder.create('VIDEO', { codec: 'VP8' });
  const pushedAt = new Map<bigint, number>();
  const start = performance.now();
  let measuring = false;
  let cpuAtStart = process.cpuUsage();
  let framesAtStart = 0;
  let detectionsAtStart = 0;
  let measureStart = 0;
  for (let i = 0; ; i++) {
    const due = start + (i * 1000) / FPS;
    const now = performance.now();
    if (due > now) await delay(due - now);
    if (!measuring && performance.now() - start >= WARMUP_MS) {
      measuring = true;
      cpuAtStart = process.cpuUsage();
      framesAtStart = sink.arrivals.length;
      detectionsAtStart = filter?.detectionStats?.detections ?? 0;
      measureStart = performance.now();
    }
    if (performance.now() - start >= WARMUP_MS + RUN_MS) break;
    const packet = packets[i % packets.length]!;
    const frames = await decoder.decode({ data: packet.data, keyframe: packet.keyframe, timeUs: Math.round(performance.now() * 1000) });
    for (const frame of frames) {
      const pts = BigInt(Math.round((start + (i * 1000) / FPS) * 1000));
      frame.pts = pts;
      pushedAt.set(pts, performance.now());
      source.send({ kind: 'VIDEO', frame });
      frame.free();
    }
  }
  const elapsedMs = performance.now() - measureStart;
  const cpu = process.cpuUsage(cpuAtStart);
  await delay(300);
  const frames = sink.arrivals.length - framesAtStart;
  const latencies = sink.arrivals
    .slice(framesAtStart)
    .map((a) => a.at - (pushedAt.get(a.pts) ?? a.at))
    .sort((a, b) => a - b);
  const cpuMsPerFrame = (cpu.user + cpu.system) / 1000 / Math.max(1, frames);
  const detections = filter?.detectionStats ? ((filter.detectionStats.detections - detectionsAtStart) * 1000) / elapsedMs : undefined;
  decoder.close();
  await request(host, responses, 'release', { objectId: p });
  for (const id of [`${p}/f`, `${p}/src`, `${p}/sink`]) await request(host, responses, 'release', { objectId: id });
  return {
    name: c.name,
    fps: (frames * 1000) / elapsedMs,
    cores: (cpu.user + cpu.system) / 1000 / elapsedMs,
    cpuMsPerFrame,
    oneCoreFps: 1000 / cpuMsPerFrame,
    detectionsPerSecond: detections,
    latencyP50: percentile(latencies, 50),
    latencyP99: percentile(latencies, 99),
  };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kuroshio-bench-filters-'));
  try {
    const font = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';
    const humanAssets = join(process.cwd(), 'node_modules', '@vladmandic', 'human', 'assets', 'samples.jpg');
    const scene = clipOf(dir, 'scene', ['-f', 'lavfi', '-i', 'testsrc2=s=640x480:r=30']);
    const face = clipOf(dir, 'face', ['-loop', '1', '-i', humanAssets, '-vf', 'crop=208:158:328:0,scale=640:480']);
    const qrImage = await writePicture(join(dir, 'qr.png'), qrPicture('https://kuroshio.example/bench'), 640, 480, 'gray');
    const qr = clipOf(dir, 'qr', ['-loop', '1', '-i', qrImage]);
    const green = clipOf(dir, 'green', ['-f', 'lavfi', '-i', 'color=0x00c000:s=640x480,drawbox=x=260:y=180:w=120:h=120:color=red:t=fill']);
    const plate = clipOf(dir, 'plate', ['-f', 'lavfi', '-i', `color=0x2a2a30:s=640x480,drawbox=x=170:y=300:w=300:h=72:color=white:t=fill,drawtext=fontfile=${font}:text='1234 BCD':fontsize=54:fontcolor=black:x=(w-text_w)/2:y=309`]);
    const overlay = join(dir, 'overlay.png');
    ffmpeg(['-f', 'lavfi', '-i', 'color=red@0.5:s=128x128,format=rgba', '-frames:v', '1', overlay]);
    const overlayUri = pathToFileURL(overlay).href;
    const window = { topRightCornerX: 20, topRightCornerY: 20, width: 100, height: 100 };
    const roi = { id: 'r', points: [{ x: 0, y: 0 }, { x: 1, y: 0 }, { x: 1, y: 1 }, { x: 0, y: 1 }], regionOfInterestConfig: { occupancyLevelMin: 10, occupancyLevelMed: 35, occupancyLevelMax: 65, occupancyNumFramesToEvent: 5, fluidityLevelMin: 10, fluidityLevelMed: 35, fluidityLevelMax: 65, fluidityNumFramesToEvent: 5, sendOpticalFlowEvent: true, opticalFlowNumFramesToEvent: 3, opticalFlowNumFramesToReset: 3, opticalFlowAngleOffset: 0 } };
    const cases: Case[] = [
      { name: 'decode+encode (no filter)', clip: scene },
      { name: 'GStreamerFilter videoflip', clip: scene, filter: { type: 'kurento.GStreamerFilter', params: { command: 'videoflip method=horizontal-flip', filterType: 'AUTODETECT' } } },
      { name: 'GStreamerFilter videobalance', clip: scene, filter: { type: 'kurento.GStreamerFilter', params: { command: 'videobalance saturation=0.0', filterType: 'AUTODETECT' } } },
      { name: 'ImageOverlayFilter (1 PNG)', clip: scene, filter: { type: 'kurento.ImageOverlayFilter', params: {}, setup: async (invoke) => void (await invoke('addImage', { id: 'a', uri: overlayUri, offsetXPercent: 0.1, offsetYPercent: 0.1, widthPercent: 0.3, heightPercent: 0.3, keepAspectRatio: true, center: true })) } },
      { name: 'ZBarFilter', clip: qr, filter: { type: 'kurento.ZBarFilter', params: {} } },
      { name: 'FaceOverlayFilter', clip: face, filter: { type: 'kurento.FaceOverlayFilter', params: {}, setup: async (invoke) => void (await invoke('setOverlayedImage', { uri: overlayUri, offsetXPercent: -0.2, offsetYPercent: -0.6, widthPercent: 1.4, heightPercent: 1.4 })) } },
      { name: 'chroma.ChromaFilter', clip: green, filter: { type: 'chroma.ChromaFilter', params: { window, backgroundImage: overlayUri } } },
      { name: 'pointerdetector', clip: scene, filter: { type: 'pointerdetector.PointerDetectorFilter', params: { calibrationRegion: window, windows: [] }, setup: async (invoke) => void (await invoke('trackColorFromCalibrationRegion', {})) } },
      { name: 'crowddetector', clip: scene, filter: { type: 'crowddetector.CrowdDetectorFilter', params: { rois: [roi] } } },
      { name: 'platedetector', clip: plate, filter: { type: 'platedetector.PlateDetectorFilter', params: {} } },
    ];
    const only = process.argv.slice(2);
    const selected = only.length > 0 ? cases.filter((c, i) => i === 0 || only.some((o) => c.name.toLowerCase().includes(o.toLowerCase()))) : cases;

    const log = createLogger('bench', 'warn');
    const plugins = await loadPlugins([], log);
    const benchFactories: ElementFactory[] = [
      { type: 'bench.Source', create: (init) => new BenchSource(init) },
      { type: 'bench.Sink', create: (init) => new BenchSink(init) },
    ];
    const responses = new Map<number, { result?: unknown; error?: unknown }>();
    let events = 0;
    const host = new ObjectHost(
      (message) => {
        if (message.kind === 'response') responses.set(message.id, message);
        else if (message.kind === 'event') events++;
      },
      [...builtInFactories, ...plugins.factories, ...benchFactories],
      DEFAULT_CONFIG,
      plugins.specs,
    );
    const results: Result[] = [];
    for (const [i, c] of selected.entries()) {
      results.push(await runCase(host, responses, c, i));
      process.stderr.write(`  ${c.name} done\n`);
    }
    const base = results[0]!;
    console.log(`\nFilters at 640x480, ${FPS} fps VP8 in, VP8 out, ${RUN_MS / 1000} s each (CPU: every thread of the process; ${events} events raised; CPUs allowed: ${String(process.env.KUROSHIO_BENCH_CPUS ?? 'all')})\n`);
    console.log('| case | output fps | CPU ms/frame | % of a core | filter ms/frame (− baseline) | fps one core could sustain | detections/s | added latency p50 / p99 ms |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const r of results) {
      const added = r === base ? '—' : `${(r.cpuMsPerFrame - base.cpuMsPerFrame).toFixed(2)}`;
      const latency = r === base ? `(${r.latencyP50.toFixed(2)} / ${r.latencyP99.toFixed(2)} push→sink)` : `${(r.latencyP50 - base.latencyP50).toFixed(2)} / ${(r.latencyP99 - base.latencyP99).toFixed(2)}`;
      console.log(`| ${r.name} | ${r.fps.toFixed(1)} | ${r.cpuMsPerFrame.toFixed(2)} | ${(r.cores * 100).toFixed(0)} % | ${added} | ${r.oneCoreFps.toFixed(0)} | ${r.detectionsPerSecond === undefined ? '—' : r.detectionsPerSecond.toFixed(1)} | ${latency} |`);
    }
    await host.releaseAll();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  process.exit(0);
}

await main();
