/**
 * `npm run bench:codec-calls`: what node-av's asynchronous calls cost against its synchronous
 * ones, for the decision in `src/codec/call-mode.ts`. One process, pinned by the caller if wanted:
 *
 * - sound: 1,500 20 ms stereo frames resampled and encoded to Opus;
 * - pictures: 300 640x480 VP8 frames (made by ffmpeg) decoded, then encoded to H.264 (x264
 *   ultrafast) and to VP8 (libvpx realtime), the project's settings, one thread each.
 *
 * Each is run asynchronously and synchronously, twice, alternating; it prints the process's CPU
 * and the event loop's busy time per frame.
 */
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { Codec, CodecContext, Encoder, FilterAPI, Frame, Packet, Rational } from 'node-av';
import { AV_CHANNEL_ORDER_NATIVE, AV_CODEC_ID_VP8, AV_SAMPLE_FMT_S16, FF_ENCODER_LIBOPUS, FF_ENCODER_LIBVPX_VP8, FF_ENCODER_LIBX264 } from 'node-av/constants';

type Mode = 'async' | 'sync';
const MICROSECONDS = new Rational(1, 1_000_000);
const VIDEO_CLOCK = new Rational(1, 90_000);

/** CPU (whole process) and event-loop busy time per item, in ms, of `work`. */
async function measure(items: number, work: () => Promise<void>): Promise<{ cpuMs: number; loopMs: number }> {
  const cpu0 = process.cpuUsage();
  const loop0 = performance.eventLoopUtilization();
  await work();
  const cpu = process.cpuUsage(cpu0);
  const loop = performance.eventLoopUtilization(loop0);
  return { cpuMs: (cpu.user + cpu.system) / 1000 / items, loopMs: loop.active / items };
}

function soundFrames(count: number): Frame[] {
  return Array.from({ length: count }, (_, i) => {
    const f = new Frame();
    f.alloc();
    f.format = AV_SAMPLE_FMT_S16;
    f.sampleRate = 48_000;
    f.nbSamples = 960;
    f.channelLayout = { nbChannels: 2, order: AV_CHANNEL_ORDER_NATIVE, mask: 3n };
    f.getBuffer(0);
    f.pts = BigInt(i * 20_000);
    f.timeBase = MICROSECONDS;
    return f;
  });
}

async function sound(mode: Mode): Promise<{ cpuMs: number; loopMs: number }> {
  const frames = soundFrames(1500);
  const encoder = await Encoder.create(FF_ENCODER_LIBOPUS, { bitrate: 64_000 });
  const resampler = FilterAPI.create('aresample=48000,aformat=sample_fmts=s16:channel_layouts=stereo');
  const figures = await measure(frames.length, async () => {
    for (const frame of frames) {
      for (const converted of mode === 'sync' ? resampler.processAllSync(frame) : await resampler.processAll(frame)) {
        for (const packet of mode === 'sync' ? encoder.encodeAllSync(converted) : await encoder.encodeAll(converted)) packet.free();
        converted.free();
      }
    }
  });
  for (const f of frames) f.free();
  encoder.close();
  resampler.close();
  return figures;
}

function vp8Clip(): Buffer[] {
  const ivf = execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=30', '-frames:v', '300', '-g', '60', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '1M', '-f', 'ivf', '-'], { maxBuffer: 1 << 28 });
  const frames: Buffer[] = [];
  for (let offset = ivf.readUInt16LE(6); offset + 12 <= ivf.length; offset += 12 + ivf.readUInt32LE(offset)) {
    frames.push(ivf.subarray(offset + 12, offset + 12 + ivf.readUInt32LE(offset)));
  }
  return frames;
}

async function decode(mode: Mode, clip: Buffer[], pictures: Frame[]): Promise<{ cpuMs: number; loopMs: number }> {
  const ctx = new CodecContext();
  ctx.allocContext3(Codec.findDecoder(AV_CODEC_ID_VP8)!);
  ctx.threadCount = 1;
  await ctx.open2(null, null);
  const packet = new Packet();
  packet.alloc();
  const figures = await measure(clip.length, async () => {
    for (const [i, data] of clip.entries()) {
      packet.data = data;
      packet.pts = BigInt(i * 33_333);
      packet.dts = packet.pts;
      packet.timeBase = MICROSECONDS;
      if (mode === 'sync') ctx.sendPacketSync(packet);
      else await ctx.sendPacket(packet);
      packet.unref();
      for (;;) {
        const frame = new Frame();
        frame.alloc();
        if ((mode === 'sync' ? ctx.receiveFrameSync(frame) : await ctx.receiveFrame(frame)) < 0) {
          frame.free();
          break;
        }
        pictures.push(frame);
      }
    }
  });
  packet.free();
  ctx.freeContext();
  return figures;
}

async function encode(mode: Mode, pictures: Frame[], name: typeof FF_ENCODER_LIBX264 | typeof FF_ENCODER_LIBVPX_VP8): Promise<{ cpuMs: number; loopMs: number }> {
  const options: Record<string, string> =
    name === FF_ENCODER_LIBX264 ? { preset: 'ultrafast', tune: 'zerolatency', profile: 'baseline' } : { deadline: 'realtime', 'cpu-used': '8', 'lag-in-frames': '0', 'error-resilient': '1' };
  const encoder = await Encoder.create(name, {
    threadCount: 1,
    gopSize: 600,
    bitrate: 1_000_000,
    configure: (c) => {
      for (const [key, value] of Object.entries(options)) c.setOption(key, value);
      c.timeBase = VIDEO_CLOCK;
      c.framerate = new Rational(30, 1);
    },
  });
  const figures = await measure(pictures.length, async () => {
    for (const [i, picture] of pictures.entries()) {
      picture.pts = BigInt(i * 3000);
      picture.timeBase = VIDEO_CLOCK;
      for (const p of mode === 'sync' ? encoder.encodeAllSync(picture) : await encoder.encodeAll(picture)) p.free();
    }
  });
  encoder.close();
  return figures;
}

async function main(): Promise<void> {
  const clip = vp8Clip();
  const rows: string[][] = [['work', 'mode', 'CPU ms/frame', 'event loop ms/frame']];
  const add = (work: string, mode: Mode, f: { cpuMs: number; loopMs: number }): void => {
    rows.push([work, mode, f.cpuMs.toFixed(3), f.loopMs.toFixed(3)]);
  };
  for (let round = 0; round < 2; round++) {
    for (const mode of ['async', 'sync'] as const) {
      add('Opus: resample + encode 20 ms', mode, await sound(mode));
      const pictures: Frame[] = [];
      add('VP8 640x480 decode', mode, await decode(mode, clip, pictures));
      add('x264 640x480 encode', mode, await encode(mode, pictures, FF_ENCODER_LIBX264));
      add('libvpx VP8 640x480 encode', mode, await encode(mode, pictures, FF_ENCODER_LIBVPX_VP8));
      for (const p of pictures) p.free();
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  console.log(`bench/codec-calls — ${new Date().toISOString()}`);
  for (const r of rows) console.log(r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('   '));
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(err.stack ?? err.message);
    process.exit(1);
  },
);
