/**
 * A decoder that starts in the middle of a stream waits for a key frame, and asks for one. The one
 * request can go unanswered (Chromium ignores a request within 300 ms of the last; a loaded
 * machine loses datagrams), and a WebRTC sender that is not asked may send no key frame for
 * minutes: the decoder must ask again while it waits, not once. With FFmpeg loaded on the first
 * transcoding (issue 13's lazy loading), a transcoder started after the sender's first key frame
 * had gone by, and waited with its one request for good (the VP8→H.264 browser tests failed under
 * load).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { AV_LOG_ERROR, Log } from 'node-av';
import { RtpPacketizer } from '../../src/codec/packetizer.js';
import { SharedDecoder } from '../../src/media/processing/shared-decoder.js';
import { SenderTimeline } from '../../src/media/rtp-clock.js';
import { RtpMedia, type CodecDescription } from '../../src/media/rtp-media.js';

Log.setLevel(AV_LOG_ERROR);

const VP8: CodecDescription = { mimeType: 'video/VP8', clockRate: 90000 };

/** VP8 frames made by ffmpeg at 30 fps: a key frame, then only delta frames. */
function vp8Frames(count: number, size = '160x120'): Buffer[] {
  const ivf = execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `testsrc=size=${size}:rate=30`, '-frames:v', String(count), '-g', '1000', '-c:v', 'libvpx', '-f', 'ivf', '-'], {
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

/** A video decoder whose key frame requests are noted at the times `clock.now` says. */
function decoderAskingAt(clock: { now: number }): { decoder: SharedDecoder; asked: number[] } {
  const asked: number[] = [];
  const decoder = new SharedDecoder('VIDEO', new SenderTimeline(), {
    requestKeyframe: () => asked.push(clock.now),
    failed: (message) => assert.fail(message),
  });
  return { decoder, asked };
}

test('a video decoder waiting for a key frame asks the source again every half second, and stops once one came', async () => {
  const frames = vp8Frames(91);
  const packetizer = new RtpPacketizer(VP8, 96);
  const clock = { now: 10_000 };
  const { decoder, asked } = decoderAskingAt(clock);
  const push = (k: number, keyframe: boolean, frame = frames[k]!): void => {
    for (const packet of packetizer.packetize({ data: frame, keyframe, time: k * 3000, width: 160, height: 120 })) {
      decoder.push(RtpMedia.fromPacket('VIDEO', packet, VP8), clock.now);
    }
  };
  // The sender's first key frame goes by before the decoder exists (its packets are numbered, not pushed).
  packetizer.packetize({ data: frames[0]!, keyframe: true, time: 0, width: 160, height: 120 });
  const joinedAt = clock.now;
  // 2 s of delta frames, 30 a second, into a decoder that never saw the key frame.
  for (let k = 1; k <= 60; k++) {
    clock.now = joinedAt + Math.round((k * 1000) / 30);
    push(k, false);
  }
  assert.ok(asked.length >= 4, `asked ${asked.length} times in 2 s of waiting (at ${asked.map((t) => t - joinedAt).join(', ')} ms)`);
  assert.ok(asked.length <= 6, `asked ${asked.length} times in 2 s: at most one a half second, not one per frame`);
  for (let i = 1; i < asked.length; i++) assert.ok(asked[i]! - asked[i - 1]! >= 500, `requests ${asked[i]! - asked[i - 1]!} ms apart`);
  await decoder.settled();
  assert.equal(decoder.framesOut, 0, 'nothing before a key frame is decoded');

  // A key frame comes: the waiting ends, and so do the requests.
  clock.now += 33;
  push(61, true, frames[0]!);
  const afterKeyframe = asked.length;
  for (let k = 62; k <= 90; k++) {
    clock.now += 33;
    push(k, false, frames[k - 61]!);
    await decoder.settled(); // in real time, not faster than it decodes (a decoder behind asks too)
  }
  await decoder.settled();
  assert.equal(asked.length, afterKeyframe, `no request once the key frame came (asked at ${asked.map((t) => t - joinedAt).join(', ')} ms; framesIn ${decoder.framesIn}, out ${decoder.framesOut}, dropped ${decoder.framesDropped})`);
  assert.ok(decoder.framesOut > 0, 'pictures decoded after the key frame');
  decoder.close();
});

test('a video decoder that starts with a key frame asks for none (a player would re-encode its file to answer)', async () => {
  const frames = vp8Frames(30, '640x480');
  const packetizer = new RtpPacketizer(VP8, 96);
  const clock = { now: 10_000 };
  const { decoder, asked } = decoderAskingAt(clock);
  let firstFramePackets = 0;
  for (let k = 0; k < frames.length; k++) {
    clock.now += 33;
    const packets = packetizer.packetize({ data: frames[k]!, keyframe: k === 0, time: k * 3000, width: 640, height: 480 });
    if (k === 0) firstFramePackets = packets.length;
    for (const packet of packets) decoder.push(RtpMedia.fromPacket('VIDEO', packet, VP8), clock.now);
    await decoder.settled();
  }
  assert.ok(firstFramePackets > 1, `the key frame spans ${firstFramePackets} packets (the decoder sees it whole only at its last)`);
  assert.equal(asked.length, 0, `asked at ${asked.join(', ')}`);
  assert.equal(decoder.framesOut, frames.length, 'every picture decoded');
  decoder.close();
});
