/**
 * The codec stages alone: real VP8, VP9 and H.264 bitstreams (made by ffmpeg) go through our
 * packetizer and depacketizer and must come back byte for byte, whatever the packet order; a lost
 * packet must drop frames until the next key frame; picture sizes are read from key frames.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createDepacketizer } from '../../src/codec/depacketizer.js';
import { RtpPacketizer, MAX_RTP_PAYLOAD } from '../../src/codec/packetizer.js';
import { splitAnnexB, spsDimensions, parseAvcC, splitLengthPrefixed } from '../../src/codec/h264.js';
import { opusHead, opusPacketSamples } from '../../src/codec/opus.js';
import type { CodecDescription } from '../../src/media/rtp-media.js';
import type { RtpPacket } from 'werift';

const VP8: CodecDescription = { mimeType: 'video/VP8', clockRate: 90000 };
const VP9: CodecDescription = { mimeType: 'video/VP9', clockRate: 90000 };
const H264: CodecDescription = { mimeType: 'video/H264', clockRate: 90000, parameters: 'packetization-mode=1' };

/** Frames of a clip encoded by ffmpeg: 12 frames, a key frame every 6, 320x240. */
function ivfFrames(codec: 'libvpx' | 'libvpx-vp9'): Buffer[] {
  const ivf = execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=30', '-frames:v', '12', '-g', '6', '-c:v', codec, '-f', 'ivf', '-'], {
    maxBuffer: 1 << 26,
  });
  const frames: Buffer[] = [];
  for (let offset = ivf.readUInt16LE(6); offset + 12 <= ivf.length; ) {
    const size = ivf.readUInt32LE(offset);
    frames.push(ivf.subarray(offset + 12, offset + 12 + size));
    offset += 12 + size;
  }
  return frames;
}

function h264AccessUnits(): Buffer[] {
  const stream = execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=30', '-frames:v', '12', '-g', '6', '-c:v', 'libx264', '-bsf:v', 'h264_mp4toannexb', '-x264-params', 'aud=1', '-f', 'h264', '-'], {
    maxBuffer: 1 << 26,
  });
  // Split at access unit delimiters (NAL type 9), then drop them.
  const units: Buffer[][] = [];
  for (const nal of splitAnnexB(stream)) {
    if ((nal[0]! & 0x1f) === 9) units.push([]);
    else units.at(-1)?.push(nal);
  }
  return units.map((nals) => Buffer.concat(nals.flatMap((n) => [Buffer.from([0, 0, 0, 1]), n])));
}

function sendAll(codec: CodecDescription, frames: Buffer[], keyframeEvery = 6): RtpPacket[] {
  const packetizer = new RtpPacketizer(codec, 96);
  return frames.flatMap((data, k) => packetizer.packetize({ data, keyframe: k % keyframeEvery === 0, time: k * 3000, width: 320, height: 240 }));
}

function receive(codec: CodecDescription, packets: RtpPacket[], stepMs = 1): { frames: Buffer[]; sizes: string[]; lost: number } {
  const depacketizer = createDepacketizer(codec)!;
  const frames: Buffer[] = [];
  const sizes: string[] = [];
  let lost = 0;
  let now = 0;
  for (const p of packets) {
    const out = depacketizer.push(p, (now += stepMs));
    if (out.lost) lost++;
    for (const f of out.frames) {
      frames.push(f.data);
      if (f.width) sizes.push(`${f.width}x${f.height}`);
    }
  }
  return { frames, sizes, lost };
}

/** Swaps neighbours throughout, as retransmissions do. */
function shuffled(packets: RtpPacket[]): RtpPacket[] {
  const out = [...packets];
  for (let i = 1; i + 1 < out.length; i += 3) [out[i], out[i + 1]] = [out[i + 1]!, out[i]!];
  return out;
}

for (const [name, codec, frames] of [
  ['VP8', VP8, ivfFrames('libvpx')],
  ['VP9', VP9, ivfFrames('libvpx-vp9')],
  ['H.264', H264, h264AccessUnits()],
] as const) {
  test(`${name}: frames survive packetizing, reordering and depacketizing`, () => {
    assert.equal(frames.length, 12);
    const packets = sendAll(codec, frames);
    assert.ok(packets.length > frames.length, 'large frames are split over several packets');
    assert.ok(packets.every((p) => p.payload.length <= MAX_RTP_PAYLOAD));
    const got = receive(codec, shuffled(packets));
    assert.equal(got.frames.length, 12);
    for (let k = 0; k < 12; k++) assert.ok(got.frames[k]!.equals(frames[k]!), `frame ${k} differs`);
    assert.deepEqual(got.sizes, ['320x240', '320x240'], 'both key frames report the picture size');
    assert.equal(got.lost, 0);
  });

  test(`${name}: a lost packet drops frames until the next key frame`, () => {
    const packets = sendAll(codec, frames);
    // Lose a packet of frame 2: frames 2..5 cannot be decoded, frame 6 is a key frame.
    const victim = packets.findIndex((p) => p.header.timestamp === packets[0]!.header.timestamp + 2 * 3000);
    // 30 ms between packets: the gap outlives the assembler's wait well before the next key frame.
    const got = receive(codec, [...packets.slice(0, victim), ...packets.slice(victim + 1)], 30);
    assert.equal(got.lost, 1);
    assert.equal(got.frames.length, 2 + 6);
    assert.ok(got.frames[2]!.equals(frames[6]!));
  });
}

test('H.264: picture size from the SPS, and avcC / length-prefixed samples', () => {
  const au = h264AccessUnits()[0]!;
  const nals = splitAnnexB(au);
  const sps = nals.find((n) => (n[0]! & 0x1f) === 7)!;
  const pps = nals.find((n) => (n[0]! & 0x1f) === 8)!;
  assert.deepEqual(spsDimensions(sps), { width: 320, height: 240 });
  const avcc = Buffer.concat([Buffer.from([1, sps[1]!, sps[2]!, sps[3]!, 0xff, 0xe1, 0, sps.length]), sps, Buffer.from([1, 0, pps.length]), pps]);
  const parsed = parseAvcC(avcc)!;
  assert.equal(parsed.lengthSize, 4);
  assert.ok(parsed.sps[0]!.equals(sps) && parsed.pps[0]!.equals(pps));
  const prefixed = Buffer.concat(nals.flatMap((n) => [Buffer.from([0, 0, (n.length >> 8) & 0xff, n.length & 0xff]), n]));
  assert.deepEqual(splitLengthPrefixed(prefixed, 4).map((n) => n.length), nals.map((n) => n.length));
});

test('Opus: one packet per frame, late packets dropped; header and frame durations', () => {
  const opus: CodecDescription = { mimeType: 'audio/opus', clockRate: 48000, channels: 2 };
  const packetizer = new RtpPacketizer(opus, 111);
  const packets = [0, 1, 2].flatMap((k) => packetizer.packetize({ data: Buffer.from([0xfc, k]), keyframe: true, time: k * 960 }));
  assert.ok(packets.every((p) => !p.header.marker));
  const got = receive(opus, [packets[0]!, packets[2]!, packets[1]!]);
  assert.equal(got.frames.length, 2, 'the packet that arrives after a newer one is dropped');
  assert.equal(opusPacketSamples(Buffer.from([0xfc])), 960); // config 31 (CELT FB 20 ms), code 0
  assert.equal(opusPacketSamples(Buffer.from([0x0b, 0x02])), 1920); // SILK NB 20 ms, code 3 with 2 frames
  const head = opusHead(2);
  assert.equal(head.toString('latin1', 0, 8), 'OpusHead');
  assert.equal(head[9], 2);
});
