/**
 * The recorder's clock with synthetic streams: a sender captures audio (48 kHz) and video
 * (90 kHz) with unrelated RTP bases (video about to wrap around 2^32), and the network delivers
 * them with different delays, jitter and losses. Before any RTCP sender report the streams are
 * placed by their first packet's arrival (and sit as far apart as their delays differ); once each
 * stream's sender report is applied, what was captured at the same instant lands at the same
 * local time, the stream that synced first does not move, and a different sender starts the
 * timeline again instead of being placed hours away.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RtpClock, SenderTimeline, type SenderClock } from '../../src/media/rtp-clock.js';

/** The sender's NTP wall clock (ms) at capture time 0; the local clock is unrelated. */
const NTP_ZERO = 3_900_000_000_000;
const LOCAL_ZERO = 1_000_000;

interface Stream {
  readonly rate: number;
  readonly base: number;
  /** Network delay to the recorder, ms. */
  readonly delayMs: number;
}

const AUDIO: Stream = { rate: 48000, base: 123_456_789, delayMs: 30 };
const VIDEO: Stream = { rate: 90000, base: 0xffff_0000, delayMs: 140 };

const rtpAt = (s: Stream, captureMs: number): number => (s.base + Math.round((captureMs * s.rate) / 1000)) >>> 0;
/** Arrival on the local clock, with a deterministic jitter of up to 9 ms. */
const arrivalOf = (s: Stream, captureMs: number): number => LOCAL_ZERO + captureMs + s.delayMs + ((captureMs * 7) % 10);
const reportOf = (s: Stream, captureMs: number): SenderClock => ({ ntpMs: NTP_ZERO + captureMs, rtpTimestamp: rtpAt(s, captureMs) });

/** Feeds a stream's packets captured in [fromMs, toMs) every `stepMs`, skipping every 7th (loss). */
function feed(clock: RtpClock, s: Stream, fromMs: number, toMs: number, stepMs: number): void {
  for (let t = fromMs, k = 0; t < toMs; t += stepMs, k++) if (k % 7 !== 3) clock.onPacket(rtpAt(s, t), arrivalOf(s, t));
}

const placed = (clock: RtpClock, s: Stream, captureMs: number): number => clock.localTimeOf(rtpAt(s, captureMs))!;

test('before sender reports, streams are placed by arrival: apart by the difference of their delays', () => {
  const audio = new RtpClock(AUDIO.rate);
  const video = new RtpClock(VIDEO.rate);
  feed(audio, AUDIO, 0, 1000, 20);
  feed(video, VIDEO, 0, 1000, 1000 / 30);
  const skew = placed(video, VIDEO, 900) - placed(audio, AUDIO, 900);
  assert.ok(Math.abs(skew - (VIDEO.delayMs - AUDIO.delayMs)) < 1, `skew ${skew} ms`);
  assert.equal(audio.senderSynced, false);
});

test('after sender reports, audio and video captured together land together, across wrap-around and loss', () => {
  const timeline = new SenderTimeline();
  const audio = new RtpClock(AUDIO.rate);
  const video = new RtpClock(VIDEO.rate);
  feed(audio, AUDIO, 0, 1000, 20);
  feed(video, VIDEO, 0, 1000, 1000 / 30);
  assert.equal(timeline.apply(new RtpClock(90000), reportOf(VIDEO, 0)), false, 'a clock without packets cannot take a report yet');

  // Video reports first: the timeline is taken from it, so video does not move.
  const videoBefore = placed(video, VIDEO, 990);
  assert.ok(timeline.apply(video, reportOf(VIDEO, 995)));
  assert.ok(Math.abs(placed(video, VIDEO, 990) - videoBefore) < 0.01, 'the first stream to sync keeps its place');

  // Audio reports later and moves onto the sender's clock, next to the video.
  feed(audio, AUDIO, 1000, 1200, 20);
  feed(video, VIDEO, 1000, 1200, 1000 / 30);
  assert.ok(timeline.apply(audio, reportOf(AUDIO, 1190)));
  assert.ok(audio.senderSynced && video.senderSynced);
  for (const t of [1000, 1100, 1150]) {
    const skew = placed(video, VIDEO, t) - placed(audio, AUDIO, t);
    assert.ok(Math.abs(skew) < 0.05, `captured at ${t} ms: video - audio = ${skew} ms`);
  }

  // Well past the video's wrap-around (its timestamps restart near 0) and more reports: still together.
  feed(audio, AUDIO, 1200, 5000, 20);
  feed(video, VIDEO, 1200, 5000, 1000 / 30);
  assert.ok(rtpAt(VIDEO, 4000) < VIDEO.base, 'the video timestamps wrapped');
  timeline.apply(video, reportOf(VIDEO, 4990));
  timeline.apply(audio, reportOf(AUDIO, 4995));
  const skew = placed(video, VIDEO, 4900) - placed(audio, AUDIO, 4900);
  assert.ok(Math.abs(skew) < 0.05, `after the wrap: ${skew} ms`);
  // Frames keep their capture spacing: 1 s of capture is 1 s on the local clock.
  assert.ok(Math.abs(placed(audio, AUDIO, 4900) - placed(audio, AUDIO, 3900) - 1000) < 0.05);
});

test('the onPacket times follow the sender clock once synced (what the recorder writes)', () => {
  const timeline = new SenderTimeline();
  const audio = new RtpClock(AUDIO.rate);
  const video = new RtpClock(VIDEO.rate);
  feed(audio, AUDIO, 0, 500, 20);
  feed(video, VIDEO, 0, 500, 1000 / 30);
  timeline.apply(audio, reportOf(AUDIO, 480));
  timeline.apply(video, reportOf(VIDEO, 466));
  const a = audio.onPacket(rtpAt(AUDIO, 600), arrivalOf(AUDIO, 600))!;
  const v = video.onPacket(rtpAt(VIDEO, 600), arrivalOf(VIDEO, 600))!;
  assert.ok(Math.abs(a - v) < 0.05, `audio ${a}, video ${v}`);
});

test('a report from another sender clock starts the timeline again instead of misplacing the stream', () => {
  const timeline = new SenderTimeline();
  const audio = new RtpClock(AUDIO.rate);
  feed(audio, AUDIO, 0, 1000, 20);
  timeline.apply(audio, reportOf(AUDIO, 990));
  // A new publisher behind the same pad: a new stream whose sender's NTP clock is hours off.
  const other = new RtpClock(VIDEO.rate);
  feed(other, VIDEO, 0, 1000, 1000 / 30);
  const before = placed(other, VIDEO, 990);
  timeline.apply(other, { ntpMs: NTP_ZERO + 7_200_000 + 990, rtpTimestamp: rtpAt(VIDEO, 990) });
  assert.ok(Math.abs(placed(other, VIDEO, 990) - before) < 0.01, 'placed where it arrived, not two hours away');
});

test('a packet whose timestamp jumps hours ahead is dropped, one far behind is placed in the past; the stream goes on where it was', () => {
  const audio = new RtpClock(AUDIO.rate);
  feed(audio, AUDIO, 0, 1000, 20);
  const before = audio.onPacket(rtpAt(AUDIO, 1000), arrivalOf(AUDIO, 1000))!;
  // Forged or corrupted packets in between, one or two in a row.
  for (const [stray, ahead] of [[rtpAt(AUDIO, 3_600_000), true], [rtpAt(AUDIO, 20_000), true], [rtpAt(AUDIO, -60_000), false], [rtpAt(AUDIO, -7_000), false]] as const) {
    for (const step of [0, 960]) {
      const placed = audio.onPacket((stray + step) >>> 0, arrivalOf(AUDIO, 1010));
      if (ahead) assert.equal(placed, undefined, 'ahead of the timeline: dropped');
      else assert.ok(placed !== undefined && placed < before - 5000, 'behind it: placed in the past');
    }
    const next = audio.onPacket(rtpAt(AUDIO, 1020), arrivalOf(AUDIO, 1020))!;
    assert.ok(Math.abs(next - (before + 20)) < 0.01, `placed at ${next - before} ms after the last good packet`);
  }
  assert.equal(audio.strayPackets, 8);
});

test('a sender that restarts its timestamps ahead is followed after three packets, placed by their arrival', () => {
  const audio = new RtpClock(AUDIO.rate);
  feed(audio, AUDIO, 0, 1000, 20);
  const restarted: Stream = { ...AUDIO, base: AUDIO.base + 48_000 * 3600 };
  const times = [1000, 1020, 1040, 1060].map((t) => audio.onPacket(rtpAt(restarted, t), arrivalOf(AUDIO, t)));
  assert.deepEqual(times.slice(0, 2), [undefined, undefined]);
  assert.ok(Math.abs(times[2]! - arrivalOf(AUDIO, 1040)) < 0.01, 'the third packet starts the new timeline at its arrival');
  assert.ok(Math.abs(times[3]! - times[2]! - 20) < 0.01, 'and the stream goes on from it');
});

test('a sender whose timestamps stood still through a 10 s pause goes on right after its last frame, as before', () => {
  const audio = new RtpClock(AUDIO.rate);
  feed(audio, AUDIO, 0, 1000, 20);
  const last = audio.onPacket(rtpAt(AUDIO, 1000), arrivalOf(AUDIO, 1000))!;
  const resumed = [1020, 1040, 1060, 1080].map((t) => audio.onPacket(rtpAt(AUDIO, t), arrivalOf(AUDIO, t + 10_000))!);
  assert.deepEqual(resumed.map((t) => Math.round(t - last)), [20, 40, 60, 80]);
  // Its timeline is the new one now: jitter is measured from there, not from before the pause.
  assert.ok(audio.onPacket(rtpAt(AUDIO, 1100), arrivalOf(AUDIO, 11_100)) !== undefined);
  assert.equal(audio.strayPackets, 2);
});

test('a timestamp gap that matches the arrival gap (a sender that paused) is no jump', () => {
  const audio = new RtpClock(AUDIO.rate);
  feed(audio, AUDIO, 0, 1000, 20);
  const resumed = audio.onPacket(rtpAt(AUDIO, 61_000), arrivalOf(AUDIO, 61_000));
  assert.ok(resumed !== undefined && Math.abs(resumed - arrivalOf(AUDIO, 61_000)) < 10, `placed at ${resumed}`);
});
