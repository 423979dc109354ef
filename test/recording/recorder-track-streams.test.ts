/**
 * A recorder track fed by a hub that switches sources: the new source is a new RTP stream whose
 * sequence numbers start anywhere — here behind the old stream's, which a depacketizer kept from
 * the old stream took for late packets and dropped (the recording then stopped at the switch).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { RtpHeader, RtpPacket } from 'werift';
import { RtpPacketizer } from '../../src/codec/packetizer.js';
import { RecorderTrack } from '../../src/elements/recorder-track.js';
import { SenderTimeline } from '../../src/media/rtp-clock.js';
import { RtpMedia, type CodecDescription } from '../../src/media/rtp-media.js';
import type { TimedFrame } from '../../src/codec/decoder.js';

const OPUS: CodecDescription = { mimeType: 'audio/opus', clockRate: 48000, channels: 2 };
const VP8: CodecDescription = { mimeType: 'video/VP8', clockRate: 90000 };

function recorderTrack(kind: 'AUDIO' | 'VIDEO'): { track: RecorderTrack; written: TimedFrame[] } {
  const written: TimedFrame[] = [];
  const track = new RecorderTrack(kind, { frames: (f) => written.push(...f), keyframeNeeded: () => {}, failed: (e) => assert.fail(e.message) }, new SenderTimeline());
  return { track, written };
}

function audioPacket(ssrc: number, sequenceNumber: number, timestamp: number): RtpMedia {
  const header = new RtpHeader({ ssrc, sequenceNumber, timestamp, payloadType: 111 });
  return RtpMedia.fromPacket('AUDIO', new RtpPacket(header, Buffer.from([0xfc, 0xff, 0xfe])), OPUS);
}

test('audio: a second stream whose sequence numbers are behind the first one is recorded', () => {
  const { track, written } = recorderTrack('AUDIO');
  for (let i = 0; i < 10; i++) track.push(audioPacket(1111, 1000 + i, 960 * i), 20 * i, false, 0);
  assert.equal(written.length, 10);
  for (let i = 0; i < 10; i++) track.push(audioPacket(2222, 500 + i, 77_000 + 960 * i), 200 + 20 * i, false, 0);
  assert.equal(written.length, 20, 'every packet of the new stream became a frame');
  for (let i = 1; i < written.length; i++) assert.ok(written[i]!.timeUs > written[i - 1]!.timeUs, 'time goes forward');
});

test('video: after a switch at a key frame the new stream is recorded from that key frame', () => {
  const ivf = execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=30', '-frames:v', '6', '-g', '3', '-c:v', 'libvpx', '-f', 'ivf', '-'], { maxBuffer: 1 << 24 });
  const frames: Buffer[] = [];
  for (let offset = ivf.readUInt16LE(6); offset + 12 <= ivf.length; offset += 12 + ivf.readUInt32LE(offset)) {
    frames.push(ivf.subarray(offset + 12, offset + 12 + ivf.readUInt32LE(offset)));
  }
  const { track, written } = recorderTrack('VIDEO');
  const send = (ssrc: number, firstSeq: number, startMs: number): void => {
    const packetizer = new RtpPacketizer(VP8, 96);
    let seq = firstSeq;
    frames.forEach((data, i) => {
      for (const packet of packetizer.packetize({ data, time: i * 3000, keyframe: i % 3 === 0 })) {
        packet.header.ssrc = ssrc;
        packet.header.sequenceNumber = seq++ & 0xffff;
        track.push(new RtpMedia('VIDEO', packet.serialize(), VP8), startMs + 33 * i, false, 0);
      }
    });
  };
  send(1111, 30_000, 0);
  assert.equal(written.length, 6);
  send(2222, 29_000, 300);
  assert.equal(written.length, 12, 'the new stream’s pictures were written');
  assert.ok(written[6]!.keyframe, 'from its key frame');
});

test('video: a track whose stream starts after its key frame asks for one every half second until it comes', () => {
  // 60 pictures of which only the first is a key frame; the track gets them from the second on.
  const ivf = execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=30', '-frames:v', '60', '-g', '1000', '-c:v', 'libvpx', '-f', 'ivf', '-'], { maxBuffer: 1 << 24 });
  const frames: Buffer[] = [];
  for (let offset = ivf.readUInt16LE(6); offset + 12 <= ivf.length; offset += 12 + ivf.readUInt32LE(offset)) {
    frames.push(ivf.subarray(offset + 12, offset + 12 + ivf.readUInt32LE(offset)));
  }
  const asked: number[] = [];
  const written: TimedFrame[] = [];
  const track = new RecorderTrack('VIDEO', { frames: (f) => written.push(...f), keyframeNeeded: () => asked.push(nowMs), failed: (e) => assert.fail(e.message) }, new SenderTimeline());
  const packetizer = new RtpPacketizer(VP8, 96);
  let nowMs = 0;
  let seq = 100;
  frames.slice(1).forEach((data, i) => {
    nowMs = 33 * i;
    for (const packet of packetizer.packetize({ data, time: (i + 1) * 3000, keyframe: false })) {
      packet.header.sequenceNumber = seq++;
      track.push(new RtpMedia('VIDEO', packet.serialize(), VP8), nowMs, false, 0);
    }
  });
  assert.equal(written.length, 0, 'nothing written before a key frame');
  // About 1.9 s of pictures: asked at once and then every 500 ms (0, 500, 1000, 1500 ms).
  assert.ok(asked.length >= 4 && asked.length <= 5, `asked ${asked.length} times: ${asked.join(', ')} ms`);
  for (let i = 1; i < asked.length; i++) assert.ok(asked[i]! - asked[i - 1]! >= 500, 'no more often than every 500 ms');
});
