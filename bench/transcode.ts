/**
 * `npm run bench:transcode`: the decoded-media layer's cost, side by side with the `ffmpeg`
 * command line doing the same decode + encode on the same input, in one run.
 *
 * (a) Throughput. 640x480@30 clips (VP8 and H.264, made here by ffmpeg) are played by
 *     PlayerEndpoints (useEncodedMedia: no key frames on demand) into WebRtcEndpoints whose werift
 *     viewers take only the other codec, so each stream is decoded and encoded once (VP8→H.264,
 *     H.264→VP8). The worker's CPU per output frame over a window gives the real-time streams one
 *     core sustains; `ffmpeg -re` decoding and encoding the same clip to the same codec, settings
 *     and bitrate (one thread each, output discarded) gives the baseline. Every stream's received
 *     frame rate is printed too: a figure only counts if the streams kept real time. ffmpeg sends
 *     its output as RTP to a local port, as the server sends to its viewers; the same playback
 *     forwarded without transcoding shows what the server's own path (reading, RTP, SRTP) costs.
 * (b) Added latency of a transcoded hop: a werift publisher sends the VP8 clip's real frames at
 *     about 30 fps, at irregular intervals, to a WebRtcEndpoint with two viewers, one taking VP8
 *     (forwarded) and one H.264 (transcoded); each output frame is matched to its input frame by
 *     the pattern of RTP time intervals, p50/p99 of (received − sent) for both.
 * (c) The SFU path beside a transcoding: one publisher (synthetic RTP, 200 video + 50 audio
 *     packets/s) to 30 subscribers; the worker's main-thread CPU per forwarded packet and its
 *     event-loop delay, alone and with a VP8→H.264 transcoding running in the same worker.
 *
 * The server's worker is pinned to CPU 0 (with every thread: libuv's pool, where the codecs run),
 * ffmpeg too; this process (all the peers) to CPU 1.
 *
 * Knobs (environment): BENCH_WINDOW_S (default 10), BENCH_STREAMS (default 2), BENCH_FANOUT (30),
 * BENCH_PARTS (default "a,b,c": which parts to run; "p": the playback path alone, for profiling).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RtpPacketizer } from '../src/codec/packetizer.js';
import { VP8 } from '../src/media/codecs.js';
import { evaluate, inspectorEnv, inspectorUrls } from '../test/helpers/inspector.js';
import { processTree } from './proc.js';
import { RawClient } from '../test/helpers/raw-client.js';
import { startServer, type RunningServer } from '../test/helpers/server-process.js';
import { createPipeline, createWebRtcEndpoint, gatherInto, invoke, subscribe } from '../test/helpers/webrtc-rpc.js';
import { ONLY_H264, ONLY_VP8, pumpMedia, wallClockMs, WeriftPeer } from '../test/helpers/werift-peer.js';

const WINDOW_S = Number(process.env.BENCH_WINDOW_S ?? 10);
const STREAMS = Number(process.env.BENCH_STREAMS ?? 2);
const FANOUT = Number(process.env.BENCH_FANOUT ?? 30);
const PARTS = new Set((process.env.BENCH_PARTS ?? 'a,b,c').split(','));
const BITRATE = 1_000_000;
/** The clips have a key frame every 2 s (`-g 60` below). */
const KEYFRAME_EVERY = 60;
const FPS = 30;
/** A UDP port on loopback nothing listens on (ffmpeg's RTP goes there). */
const DISCARD_PORT = 9;
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

const progress = (what: string): void => void process.stderr.write(`${what}\n`);
const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---- inputs ------------------------------------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'kuroshio-bench-transcode-'));

function makeClip(codec: 'VP8' | 'H264'): string {
  const path = join(dir, codec === 'VP8' ? 'clip.webm' : 'clip.mp4');
  const args = codec === 'VP8' ? ['-c:v', 'libvpx', '-b:v', '1M', '-deadline', 'realtime', '-cpu-used', '8'] : ['-c:v', 'libx264', '-preset', 'ultrafast', '-profile:v', 'baseline', '-b:v', '1M', '-pix_fmt', 'yuv420p'];
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=30', '-t', '40', '-g', '60', ...args, '-an', path]);
  return path;
}

/** The VP8 frames of a clip, from its IVF form (12-byte frame headers: size, time). */
function vp8Frames(webm: string): Buffer[] {
  const ivf = join(dir, 'clip.ivf');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', webm, '-c', 'copy', ivf]);
  const data = readFileSync(ivf);
  const frames: Buffer[] = [];
  for (let offset = data.readUInt16LE(6); offset + 12 <= data.length; ) {
    const size = data.readUInt32LE(offset);
    frames.push(data.subarray(offset + 12, offset + 12 + size));
    offset += 12 + size;
  }
  return frames;
}

// ---- processes ---------------------------------------------------------------------------------

function pin(pids: number[], cpu: number): void {
  for (const pid of pids) execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
}

/** User+system CPU seconds of processes (every thread), or of the main thread only. */
function cpuSeconds(pids: number[], mainThreadOnly = false): number {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readFileSync(mainThreadOnly ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / CLOCK_TICKS;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Kuroshio {
  server: RunningServer;
  client: RawClient;
  worker: number;
}

async function startKuroshio(): Promise<Kuroshio> {
  const server = await startServer({ args: ['--workers', '1', '--log-level', 'info'], env: { KMS_NETWORK_INTERFACES: 'lo', ...inspectorEnv() } });
  const client = await RawClient.connect(server.url);
  // The media worker: the control process's child (the log level hides the workers' own lines).
  const worker = processTree(server.process.pid!)[1]!;
  pin([worker], 0);
  pin([process.pid], 1);
  return { server, client, worker };
}

interface Viewer {
  peer: WeriftPeer;
  /** Each video frame received: when its last packet arrived (ms) and its RTP timestamp. */
  frames: { at: number; ts: number }[];
}

/** A werift viewer of `source` taking only `codec`; notes every video frame it receives. */
async function viewer(k: Kuroshio, pipeline: string, source: string, codec: 'VP8' | 'H264'): Promise<Viewer> {
  const endpoint = await createWebRtcEndpoint(k.client, pipeline);
  const peer = new WeriftPeer({ videoCodecs: codec === 'VP8' ? ONLY_VP8() : ONLY_H264() });
  const frames: Viewer['frames'] = [];
  peer.onRtp((kind, packet, at) => {
    if (kind === 'video' && packet.header.marker) frames.push({ at, ts: packet.header.timestamp });
  });
  await subscribe(k.client, endpoint, ['IceCandidateFound', 'IceGatheringDone']);
  const offer = await peer.offer({ video: 'recvonly' });
  await peer.acceptAnswer(String(await invoke(k.client, endpoint, 'processOffer', { offer })));
  await invoke(k.client, source, 'connect', { sink: endpoint });
  await gatherInto(k.client, endpoint, peer);
  return { peer, frames };
}

// ---- (a) throughput ----------------------------------------------------------------------------

interface Throughput {
  cpuMsPerFrame: number;
  streamsPerCore: number;
  fpsPerStream: number[];
}

async function kuroshioThroughput(k: Kuroshio, clip: string, target: 'VP8' | 'H264'): Promise<Throughput> {
  const pipeline = await createPipeline(k.client);
  const viewers: Viewer[] = [];
  for (let i = 0; i < STREAMS; i++) {
    const player = String(await k.client.call('create', { type: 'PlayerEndpoint', constructorParams: { mediaPipeline: pipeline, uri: `file://${clip}`, useEncodedMedia: true } }).then((r) => r.value));
    await invoke(k.client, player, 'setEncoderBitrate', { encoderBitrate: BITRATE });
    viewers.push(await viewer(k, pipeline, player, target));
    await invoke(k.client, player, 'play');
  }
  await delay(3000); // warm-up: connections, first key frames, encoders opened
  const framesBefore = viewers.map((v) => v.frames.length);
  const cpuBefore = cpuSeconds([k.worker]);
  await delay(WINDOW_S * 1000);
  const cpu = cpuSeconds([k.worker]) - cpuBefore;
  const frames = viewers.map((v, i) => v.frames.length - framesBefore[i]!);
  await Promise.all(viewers.map((v) => v.peer.close()));
  await k.client.call('release', { object: pipeline });
  const total = frames.reduce((a, b) => a + b, 0);
  const cpuMsPerFrame = (cpu * 1000) / total;
  return { cpuMsPerFrame, streamsPerCore: 1000 / (cpuMsPerFrame * FPS), fpsPerStream: frames.map((f) => f / WINDOW_S) };
}

function ffmpegArgs(clip: string, target: 'VP8' | 'H264'): string[] {
  const encoder =
    target === 'H264'
      ? ['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-bf', '0', '-b:v', String(BITRATE), '-maxrate', String(BITRATE), '-bufsize', String(BITRATE)]
      : ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-lag-in-frames', '0', '-error-resilient', '1', '-b:v', String(BITRATE)];
  // RTP out to a local port nobody reads: the packetizing and sending a server does too.
  return ['-v', 'error', '-threads', '1', '-re', '-i', clip, '-an', ...encoder, '-threads', '1', '-g', '600', '-f', 'rtp', `rtp://127.0.0.1:${DISCARD_PORT}?pkt_size=1200`];
}

async function ffmpegThroughput(clip: string, target: 'VP8' | 'H264'): Promise<Throughput> {
  const children: ChildProcess[] = [];
  for (let i = 0; i < STREAMS; i++) children.push(spawn('taskset', ['-c', '0', 'ffmpeg', ...ffmpegArgs(clip, target)], { stdio: 'ignore' }));
  await delay(3000);
  const pids = children.map((c) => c.pid!);
  // taskset execs ffmpeg in place: the pid is ffmpeg's.
  const before = cpuSeconds(pids);
  await delay(WINDOW_S * 1000);
  const cpu = cpuSeconds(pids) - before;
  for (const c of children) c.kill('SIGKILL');
  await Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.once('exit', resolve)))));
  // -re reads in real time: every stream made FPS frames a second.
  const cpuMsPerFrame = (cpu * 1000) / (STREAMS * FPS * WINDOW_S);
  return { cpuMsPerFrame, streamsPerCore: 1000 / (cpuMsPerFrame * FPS), fpsPerStream: children.map(() => FPS) };
}

// ---- (b) latency -------------------------------------------------------------------------------

/**
 * Latency of each frame a viewer received. Frames are sent at irregular intervals (a seeded
 * random schedule around 30 fps) with RTP times that follow the schedule; a forwarded and a
 * transcoded hop both keep the intervals between RTP times (the layer keeps capture times), so
 * the intervals before a received frame are a signature of the frame that was sent: it is the
 * sent frame, within the last two seconds before it arrived, whose preceding intervals all match
 * the received ones within a millisecond and a half. Signatures stand on their own, so a clock
 * that moves once a sender report arrives, or frames the transcoder dropped, cost only the frames
 * next to them.
 */
function frameLatencies(v: Viewer, sent: SentFrame[]): number[] {
  const out: number[] = [];
  const intervalMs = (a: number, b: number): number => ((v.frames[b]!.ts - v.frames[a]!.ts) >>> 0) / 90;
  let k = 0;
  for (let j = SIGNATURE; j < v.frames.length; j++) {
    const frame = v.frames[j]!;
    while (k + 1 < sent.length && sent[k + 1]!.wallMs <= frame.at) k++;
    for (let c = k; c >= SIGNATURE && sent[c]!.wallMs >= frame.at - 2000; c--) {
      let matches = true;
      for (let m = 0; m < SIGNATURE && matches; m++) {
        const sentInterval = sent[c - m]!.plannedMs - sent[c - m - 1]!.plannedMs;
        matches = Math.abs(sentInterval - intervalMs(j - m - 1, j - m)) < 1.5;
      }
      if (matches) {
        out.push(frame.at - sent[c]!.wallMs);
        break;
      }
    }
  }
  return out;
}

/** Intervals that identify a frame (with intervals random within 20 ms, a false match is rare). */
const SIGNATURE = 4;

interface SentFrame {
  /** When it was planned, ms after the first frame (its RTP time says the same). */
  plannedMs: number;
  /** When it was sent, on the wall clock the viewers stamp arrivals with. */
  wallMs: number;
}

/** Intervals of the send schedule: 1000/30 ms ± 10 ms, from a fixed seed (a 32-bit LCG). */
function scheduleIntervals(count: number): number[] {
  let state = 12345;
  return Array.from({ length: count }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return 1000 / FPS + (state / 0x1_0000_0000) * 20 - 10;
  });
}

async function latency(k: Kuroshio, frames: Buffer[]): Promise<{ forwarded: number[]; transcoded: number[] }> {
  const pipeline = await createPipeline(k.client);
  const publisherEndpoint = await createWebRtcEndpoint(k.client, pipeline);
  const publisher = new WeriftPeer({ videoCodecs: ONLY_VP8() });
  await subscribe(k.client, publisherEndpoint, ['IceCandidateFound', 'IceGatheringDone']);
  const offer = await publisher.offer({ video: 'sendonly' });
  await publisher.acceptAnswer(String(await invoke(k.client, publisherEndpoint, 'processOffer', { offer })));
  await gatherInto(k.client, publisherEndpoint, publisher);
  const forwarded = await viewer(k, pipeline, publisherEndpoint, 'VP8');
  const transcoded = await viewer(k, pipeline, publisherEndpoint, 'H264');
  await Promise.all([publisher.waitConnected(), forwarded.peer.waitConnected(), transcoded.peer.waitConnected()]);
  const packetizer = new RtpPacketizer(VP8, 96);
  const sender = publisher.pc.getTransceivers().find((t) => t.kind === 'video')!.sender;
  const sent: SentFrame[] = [];
  const started = performance.now();
  const total = Math.min(frames.length, FPS * (WINDOW_S + 3));
  const intervals = scheduleIntervals(total);
  let plannedMs = 0;
  for (let i = 0; i < total; i++) {
    const due = started + plannedMs;
    if (due > performance.now()) await delay(due - performance.now());
    sent.push({ plannedMs, wallMs: wallClockMs() });
    for (const packet of packetizer.packetize({ data: frames[i]!, keyframe: i % KEYFRAME_EVERY === 0, time: Math.round(plannedMs * 90) })) {
      packet.header.payloadType = sender.codec!.payloadType;
      sender.sendRtp(packet).catch((err: Error) => progress(`a packet was not sent: ${err.message}`));
    }
    plannedMs += intervals[i]!;
  }
  await delay(500); // the last frames in flight
  const result = { forwarded: frameLatencies(forwarded, sent), transcoded: frameLatencies(transcoded, sent) };
  await Promise.all([publisher.close(), forwarded.peer.close(), transcoded.peer.close()]);
  await k.client.call('release', { object: pipeline });
  return result;
}

// ---- (c) the SFU beside a transcoding ----------------------------------------------------------

interface SfuFigures {
  mainMsPerKPacket: number;
  processMsPerKPacket: number;
  loopP50: number;
  loopP99: number;
  packets: number;
  mainCpuS: number;
}

async function loopDelayStart(urls: string[]): Promise<void> {
  const expression = `globalThis.__benchLoop?.disable(); globalThis.__benchLoop = process.getBuiltinModule('perf_hooks').monitorEventLoopDelay({ resolution: 1 }); globalThis.__benchLoop.enable(); true`;
  await Promise.all(urls.map((u) => evaluate(u, expression)));
}

async function loopDelayRead(url: string): Promise<{ p50: number; p99: number }> {
  const value = await evaluate(url, `JSON.stringify({ p50: globalThis.__benchLoop.percentile(50) / 1e6, p99: globalThis.__benchLoop.percentile(99) / 1e6 })`);
  return JSON.parse(String(value)) as { p50: number; p99: number };
}

async function measureWindow(k: Kuroshio, subscribers: WeriftPeer[], workerUrl: string): Promise<SfuFigures> {
  const packetsBefore = subscribers.reduce((sum, s) => sum + s.packetsReceived.video + s.packetsReceived.audio, 0);
  const mainBefore = cpuSeconds([k.worker], true);
  const allBefore = cpuSeconds([k.worker]);
  await loopDelayStart([workerUrl]);
  await delay(WINDOW_S * 1000);
  const loop = await loopDelayRead(workerUrl);
  const packets = subscribers.reduce((sum, s) => sum + s.packetsReceived.video + s.packetsReceived.audio, 0) - packetsBefore;
  const mainCpuS = cpuSeconds([k.worker], true) - mainBefore;
  const allCpuS = cpuSeconds([k.worker]) - allBefore;
  return { mainMsPerKPacket: (mainCpuS * 1e6) / packets, processMsPerKPacket: (allCpuS * 1e6) / packets, loopP50: loop.p50, loopP99: loop.p99, packets, mainCpuS };
}

async function sfuBesideTranscoding(k: Kuroshio, clip: string): Promise<{ alone: SfuFigures; beside: SfuFigures; transcodeOnlyMainCpuS: number }> {
  const workerUrl = inspectorUrls(k.server.logs.map((r) => String(r.msg))).at(-1)!;
  // The transcoding alone first: what its own main-thread work costs over a window.
  const transcodePipeline = await createPipeline(k.client);
  const player = String(await k.client.call('create', { type: 'PlayerEndpoint', constructorParams: { mediaPipeline: transcodePipeline, uri: `file://${clip}`, useEncodedMedia: true } }).then((r) => r.value));
  await invoke(k.client, player, 'setEncoderBitrate', { encoderBitrate: BITRATE });
  const h264 = await viewer(k, transcodePipeline, player, 'H264');
  await invoke(k.client, player, 'play');
  await delay(3000);
  const alone0 = cpuSeconds([k.worker], true);
  await delay(WINDOW_S * 1000);
  const transcodeOnlyMainCpuS = cpuSeconds([k.worker], true) - alone0;
  await invoke(k.client, player, 'pause');

  const pipeline = await createPipeline(k.client);
  const publisherEndpoint = await createWebRtcEndpoint(k.client, pipeline);
  const publisher = new WeriftPeer();
  await subscribe(k.client, publisherEndpoint, ['IceCandidateFound', 'IceGatheringDone']);
  const offer = await publisher.offer({ audio: 'sendonly', video: 'sendonly' });
  await publisher.acceptAnswer(String(await invoke(k.client, publisherEndpoint, 'processOffer', { offer })));
  await gatherInto(k.client, publisherEndpoint, publisher);
  await publisher.waitConnected();
  const stop = pumpMedia(publisher, { videoPacketsPerSecond: 200, audioPacketsPerSecond: 50, videoBytes: 925, audioBytes: 120, packetsPerFrame: 7 });
  const subscribers: WeriftPeer[] = [];
  for (let i = 0; i < FANOUT; i++) {
    const endpoint = await createWebRtcEndpoint(k.client, pipeline);
    await invoke(k.client, publisherEndpoint, 'connect', { sink: endpoint });
    const peer = new WeriftPeer();
    await subscribe(k.client, endpoint, ['IceCandidateFound', 'IceGatheringDone']);
    const subOffer = await peer.offer({ audio: 'recvonly', video: 'recvonly' });
    await peer.acceptAnswer(String(await invoke(k.client, endpoint, 'processOffer', { offer: subOffer })));
    await gatherInto(k.client, endpoint, peer);
    subscribers.push(peer);
  }
  await delay(3000);
  progress('  SFU alone');
  const alone = await measureWindow(k, subscribers, workerUrl);
  await invoke(k.client, player, 'play');
  await delay(3000);
  progress('  SFU beside the transcoding');
  const beside = await measureWindow(k, subscribers, workerUrl);
  stop();
  await Promise.all([publisher.close(), h264.peer.close(), ...subscribers.map((s) => s.close())]);
  await k.client.call('release', { object: pipeline });
  await k.client.call('release', { object: transcodePipeline });
  return { alone, beside, transcodeOnlyMainCpuS };
}

// ---- report ------------------------------------------------------------------------------------

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  return rows.map((r) => r.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!))).join('   ')).join('\n');
}

async function partA(k: Kuroshio, clips: Record<'VP8' | 'H264', string>): Promise<void> {
  const rows = [['640x480@30, 1 Mbit/s', 'Kuroshio ms CPU/frame', 'streams/core', 'fps/stream', 'ffmpeg ms CPU/frame', 'streams/core', 'Kuroshio ÷ ffmpeg']];
  for (const [from, to] of [['VP8', 'H264'], ['H264', 'VP8']] as const) {
    progress(`throughput ${from} → ${to}: Kuroshio, ${STREAMS} streams`);
    const ours = await kuroshioThroughput(k, clips[from], to);
    progress(`throughput ${from} → ${to}: ffmpeg, ${STREAMS} streams`);
    const theirs = await ffmpegThroughput(clips[from], to);
    rows.push([
      `${from} → ${to}`,
      ours.cpuMsPerFrame.toFixed(2),
      ours.streamsPerCore.toFixed(1),
      ours.fpsPerStream.map((f) => f.toFixed(1)).join(' '),
      theirs.cpuMsPerFrame.toFixed(2),
      theirs.streamsPerCore.toFixed(1),
      `${(ours.streamsPerCore / theirs.streamsPerCore).toFixed(2)}×`,
    ]);
  }
  progress(`the same playback without transcoding (${STREAMS} streams, VP8 to VP8 viewers)`);
  const plain = await kuroshioThroughput(k, clips.VP8, 'VP8');
  console.log('\n(a) Throughput: decode + encode of one 640x480@30 stream, the worker on one core');
  console.log(table(rows));
  console.log(`The same playback forwarded as it is (no codec work): ${plain.cpuMsPerFrame.toFixed(2)} ms CPU per frame`);
}

async function partB(k: Kuroshio, frames: Buffer[]): Promise<void> {
  progress('latency: forwarded and transcoded hops');
  const lat = await latency(k, frames);
  console.log('\n(b) Latency of a hop, publisher send → viewer receive (ms)');
  console.log(
    table([
      ['hop', 'p50', 'p99', 'frames'],
      ['forwarded (VP8 → VP8)', percentile(lat.forwarded, 50).toFixed(1), percentile(lat.forwarded, 99).toFixed(1), String(lat.forwarded.length)],
      ['transcoded (VP8 → H.264)', percentile(lat.transcoded, 50).toFixed(1), percentile(lat.transcoded, 99).toFixed(1), String(lat.transcoded.length)],
      ['added by transcoding', (percentile(lat.transcoded, 50) - percentile(lat.forwarded, 50)).toFixed(1), (percentile(lat.transcoded, 99) - percentile(lat.forwarded, 99)).toFixed(1), ''],
    ]),
  );
}

async function partC(k: Kuroshio, clip: string): Promise<void> {
  progress(`SFU with ${FANOUT} subscribers, alone and beside a transcoding`);
  const sfu = await sfuBesideTranscoding(k, clip);
  const attributable = ((sfu.beside.mainCpuS - sfu.transcodeOnlyMainCpuS) * 1e6) / sfu.beside.packets;
  console.log(`\n(c) SFU, 1 publisher → ${FANOUT} subscribers, worker main thread`);
  console.log(
    table([
      ['', 'main-thread ms CPU per 1k packets', 'whole worker', 'event-loop delay p50', 'p99'],
      ['SFU alone', sfu.alone.mainMsPerKPacket.toFixed(1), sfu.alone.processMsPerKPacket.toFixed(1), `${sfu.alone.loopP50.toFixed(1)} ms`, `${sfu.alone.loopP99.toFixed(1)} ms`],
      ['SFU + VP8→H.264 transcoding', sfu.beside.mainMsPerKPacket.toFixed(1), sfu.beside.processMsPerKPacket.toFixed(1), `${sfu.beside.loopP50.toFixed(1)} ms`, `${sfu.beside.loopP99.toFixed(1)} ms`],
      ['  of which the SFU (transcoding alone subtracted)', attributable.toFixed(1), '', '', ''],
    ]),
  );
  console.log(`SFU main-thread cost beside a transcoding: ${((attributable / sfu.alone.mainMsPerKPacket - 1) * 100).toFixed(1)}% (goal: within 5%)`);
}

async function main(): Promise<void> {
  progress('making the clips');
  const clips = { VP8: makeClip('VP8'), H264: makeClip('H264') };
  const k = await startKuroshio();
  console.log(`bench/transcode — ${new Date().toISOString()}, window ${WINDOW_S} s, ${STREAMS} streams at once, worker pinned to one core`);
  try {
    if (PARTS.has('a')) await partA(k, clips);
    if (PARTS.has('p')) {
      // The playback path alone (profiling aid): no transcoding.
      const plain = await kuroshioThroughput(k, clips.VP8, 'VP8');
      console.log(`playback forwarded as it is: ${plain.cpuMsPerFrame.toFixed(2)} ms CPU per frame`);
    }
    if (PARTS.has('b')) await partB(k, vp8Frames(clips.VP8));
    if (PARTS.has('c')) await partC(k, clips.VP8);
  } finally {
    k.client.close();
    await k.server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(err.stack ?? err.message);
    process.exit(1);
  },
);
