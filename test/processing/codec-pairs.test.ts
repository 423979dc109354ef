/**
 * Every codec pair the decoded-media layer transcodes, through its real parts: packets of a clip
 * made by Debian's ffmpeg (read and packetized as a PlayerEndpoint does) go into one source pad's
 * `PadProcessing` with a link that asks for another codec; what comes out is depacketized and
 * decoded independently, and must be the clip's content — the picture's two coloured halves where
 * they were, the tone at its frequency.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame } from 'node-av';
import { ContainerReader } from '../../src/codec/container-reader.js';
import { MediaDecoder } from '../../src/codec/decoder.js';
import { createDepacketizer } from '../../src/codec/depacketizer.js';
import { PlayerTrack } from '../../src/elements/player-track.js';
import { AAC, H264, OPUS, PCMA, PCMU, VP8, VP9 } from '../../src/media/codecs.js';
import { PadProcessing } from '../../src/media/processing/pad-processing.js';
import { SenderTimeline } from '../../src/media/rtp-clock.js';
import { codecName, RtpMedia, type CodecDescription } from '../../src/media/rtp-media.js';

let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kuroshio-pairs-'));
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

const TONE_HZ = 700;

/** A 2 s clip: a 320x240 picture, left half red, right half blue; or a sine of TONE_HZ. */
function clip(kind: 'AUDIO' | 'VIDEO', name: string, format: string, codecArgs: string[]): string {
  const path = join(dir, `${name}.${format}`);
  const input =
    kind === 'VIDEO'
      ? ['-f', 'lavfi', '-i', 'color=c=red:s=160x240:r=30', '-f', 'lavfi', '-i', 'color=c=blue:s=160x240:r=30', '-filter_complex', '[0][1]hstack,format=yuv420p']
      : ['-f', 'lavfi', '-i', `sine=frequency=${TONE_HZ}:sample_rate=48000`];
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...input, '-t', '2', ...codecArgs, path]);
  return path;
}

const SOURCES = {
  VP8: () => clip('VIDEO', 'vp8', 'webm', ['-c:v', 'libvpx', '-deadline', 'realtime', '-g', '15']),
  VP9: () => clip('VIDEO', 'vp9', 'webm', ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-g', '15']),
  H264: () => clip('VIDEO', 'h264', 'mp4', ['-c:v', 'libx264', '-preset', 'ultrafast', '-profile:v', 'baseline', '-g', '15']),
  OPUS_STEREO: () => clip('AUDIO', 'opus2', 'webm', ['-c:a', 'libopus', '-ac', '2']),
  OPUS_MONO: () => clip('AUDIO', 'opus1', 'webm', ['-c:a', 'libopus', '-ac', '1']),
  PCMU: () => clip('AUDIO', 'pcmu', 'mkv', ['-c:a', 'pcm_mulaw', '-ar', '8000', '-ac', '1']),
  PCMA: () => clip('AUDIO', 'pcma', 'mkv', ['-c:a', 'pcm_alaw', '-ar', '8000', '-ac', '1']),
  AAC: () => clip('AUDIO', 'aac', 'mp4', ['-c:a', 'aac', '-ac', '2']),
} as const;

type Source = keyof typeof SOURCES;

/** The clip's packets, as a PlayerEndpoint sends them. */
async function packetsOf(source: Source): Promise<RtpMedia[]> {
  const reader = await ContainerReader.open(`file://${SOURCES[source]()}`, { networkCacheMs: 0 });
  const out: RtpMedia[] = [];
  try {
    const track = PlayerTrack.create(reader.tracks[0]!, true);
    for (let frame = await reader.read(); frame !== 'eof'; frame = await reader.read()) {
      for (const packet of await track.packetize(frame, 0)) out.push(RtpMedia.fromPacket(frame.track.kind, packet, track.codec));
    }
    track.close();
  } finally {
    await reader.close();
  }
  return out;
}

/** Runs the packets through a pad's processing towards a link that takes only `target`. */
async function transcode(kind: 'AUDIO' | 'VIDEO', input: RtpMedia[], target: CodecDescription): Promise<RtpMedia[]> {
  const out: RtpMedia[] = [];
  const failures: string[] = [];
  const processing = new PadProcessing<string>(kind, false, {
    timeline: new SenderTimeline(),
    deliverEncoded: (_link, unit) => out.push(unit),
    deliverRaw: () => undefined,
    wantedBitrate: () => 0,
    bitrates: () => ({ start: 500_000, min: 0, max: 0 }),
    requestSourceKeyframe: () => undefined,
    transcodingChanged: () => undefined,
    failed: (message) => failures.push(message),
  });
  processing.attach('viewer', { via: 'encoder', codec: target });
  // As fast as the codecs go, one frame at a time (the layer drops what a live source sends
  // faster than it can take; a file is not a live source).
  const started = Date.now();
  for (const unit of input) {
    processing.pushEncoded(unit, started + unit.packet.header.timestamp / (unit.codec.clockRate / 1000));
    if (unit.packet.header.marker || unit.kind === 'AUDIO') await processing.settled();
  }
  await processing.settled();
  processing.close();
  assert.deepEqual(failures, []);
  return out;
}

/** Depacketizes and decodes a stream on its own, as a receiver would. */
async function decode(kind: 'AUDIO' | 'VIDEO', units: RtpMedia[]): Promise<Frame[]> {
  const codec = units[0]!.codec;
  const depacketizer = createDepacketizer(codec)!;
  const decoder = await MediaDecoder.create(kind, { codec: codecName(codec), sampleRate: codec.clockRate, ...(codec.channels ? { channels: codec.channels } : {}) });
  const frames: Frame[] = [];
  for (const unit of units) {
    for (const f of depacketizer.push(unit.packet, 0).frames) frames.push(...(await decoder.decode({ data: f.data, timeUs: f.rtpTimestamp, keyframe: f.keyframe })));
  }
  decoder.close();
  return frames;
}

/** Mean U and V of a 9x9 block of a 4:2:0 picture at a relative point. */
function chroma(frame: Frame, x: number, y: number): { u: number; v: number } {
  const [, u, v] = frame.data!;
  const [, lu, lv] = frame.linesize;
  const cx = Math.floor((frame.width * x) / 2);
  const cy = Math.floor((frame.height * y) / 2);
  let su = 0;
  let sv = 0;
  for (let dy = -4; dy <= 4; dy++) {
    for (let dx = -4; dx <= 4; dx++) {
      su += u![(cy + dy) * lu! + cx + dx]!;
      sv += v![(cy + dy) * lv! + cx + dx]!;
    }
  }
  return { u: su / 81, v: sv / 81 };
}

/** Frequency of the first channel's sound, from its rising zero crossings. */
function frequency(frames: Frame[]): number {
  const samples: number[] = [];
  for (const f of frames) {
    const plane = f.data![0]!;
    // s16 (1), s16p (6): 16-bit; flt (3), fltp (8): 32-bit float; interleaved formats hold every channel.
    const step = f.format === 1 || f.format === 3 ? f.channels : 1;
    const float = f.format === 3 || f.format === 8;
    for (let i = 0; i < f.nbSamples; i++) samples.push(float ? plane.readFloatLE(4 * i * step) : plane.readInt16LE(2 * i * step));
  }
  const rate = frames[0]!.sampleRate;
  const body = samples.slice(Math.floor(samples.length / 4), Math.floor((samples.length * 3) / 4));
  let crossings = 0;
  for (let i = 1; i < body.length; i++) if (body[i - 1]! < 0 && body[i]! >= 0) crossings++;
  return (crossings * rate) / body.length;
}

const VIDEO_PAIRS: [Source, CodecDescription, string][] = [
  ['VP8', H264, 'H.264 (packetization mode 1)'],
  ['VP8', { ...H264, parameters: 'profile-level-id=42e01f' }, 'H.264 (packetization mode 0)'],
  ['VP8', VP9, 'VP9'],
  ['VP9', VP8, 'VP8'],
  ['VP9', H264, 'H.264'],
  ['H264', VP8, 'VP8'],
  ['H264', VP9, 'VP9'],
];

for (const [from, to, name] of VIDEO_PAIRS) {
  test(`${from} → ${name}: the picture's red left half and blue right half come through`, async () => {
    const out = await transcode('VIDEO', await packetsOf(from), to);
    assert.ok(out.length > 0, 'packets came out');
    assert.equal(out[0]!.codec, to);
    if (!/packetization-mode=1/.test(to.parameters ?? '') && codecName(to) === 'H264') {
      // Mode 0: every packet a single NAL unit (no STAP-A, no FU-A), within the MTU.
      for (const unit of out) {
        assert.ok((unit.packet.payload[0]! & 0x1f) < 24, 'a single NAL unit packet');
        assert.ok(unit.packet.payload.length <= 1200);
      }
    }
    const frames = await decode('VIDEO', out);
    assert.ok(frames.length >= 50, `${frames.length} pictures decoded of 60`);
    const last = frames.at(-1)!;
    assert.deepEqual([last.width, last.height], [320, 240]);
    const left = chroma(last, 0.25, 0.5);
    const right = chroma(last, 0.75, 0.5);
    assert.ok(left.v > 200 && left.u < 110, `left is red: U ${left.u}, V ${left.v}`);
    assert.ok(right.u > 200 && right.v < 130, `right is blue: U ${right.u}, V ${right.v}`);
    for (const f of frames) f.free();
  });
}

const AUDIO_PAIRS: [Source, CodecDescription][] = [
  ['OPUS_STEREO', PCMU],
  ['OPUS_MONO', PCMA],
  ['PCMU', OPUS],
  ['PCMA', PCMU],
  ['AAC', OPUS],
  ['OPUS_STEREO', AAC],
];

for (const [from, to] of AUDIO_PAIRS) {
  test(`${from} → ${codecName(to)}: the ${TONE_HZ} Hz tone comes through`, async () => {
    const out = await transcode('AUDIO', await packetsOf(from), to);
    assert.ok(out.length > 0, 'packets came out');
    const frames = await decode('AUDIO', out);
    const seconds = frames.reduce((sum, f) => sum + f.nbSamples, 0) / frames[0]!.sampleRate;
    assert.ok(seconds > 1.7 && seconds < 2.3, `${seconds.toFixed(2)} s of sound`);
    if (codecName(to) === 'PCMU' || codecName(to) === 'PCMA') {
      assert.equal(frames[0]!.sampleRate, 8000);
      assert.ok(out.every((u) => u.packet.payload.length === 160), 'G.711 in 20 ms packets');
    }
    const hz = frequency(frames);
    assert.ok(Math.abs(hz - TONE_HZ) < 15, `the tone is at ${hz.toFixed(0)} Hz`);
    for (const f of frames) f.free();
  });
}
