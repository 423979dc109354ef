/**
 * The send-side estimator against a simulated path with mocked time: a token-bucket shaper
 * (rate, 8 kB burst, 200 ms of queue, as `tc tbf` in the browser tests) in front of a receiver
 * that reports every packet's arrival in transport-wide feedback every 50 ms. The sender either
 * follows the estimate (a publisher told what to send) or sends a fixed rate (a viewer on one
 * simulcast layer), and sends the probes the estimator asks for.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SendSideEstimator } from '../../src/rtp/congestion/send-side-estimator.js';

const PACKET = 1200;
const FEEDBACK_MS = 50;
const PROPAGATION_MS = 10;
const BURST_BYTES = 8 * 1024;

class ShapedPath {
  private tokens = BURST_BYTES;
  private lastMs = 0;
  private readonly queue: { seq: number; bytes: number }[] = [];
  private queuedBytes = 0;
  /** Packets delivered: [seq, arrival ms]. */
  readonly arrivals: [number, number][] = [];
  readonly lost: number[] = [];
  constructor(public rateBps: number) {}

  send(seq: number, bytes: number, nowMs: number): void {
    this.drain(nowMs);
    if (this.queuedBytes + bytes > (this.rateBps / 8) * 0.2) {
      this.lost.push(seq);
      return;
    }
    this.queue.push({ seq, bytes });
    this.queuedBytes += bytes;
    this.drain(nowMs);
  }

  drain(nowMs: number): void {
    this.tokens = Math.min(BURST_BYTES, this.tokens + ((nowMs - this.lastMs) * this.rateBps) / 8000);
    this.lastMs = nowMs;
    while (this.queue.length > 0 && this.tokens >= this.queue[0]!.bytes) {
      const packet = this.queue.shift()!;
      this.tokens -= packet.bytes;
      this.queuedBytes -= packet.bytes;
      this.arrivals.push([packet.seq, nowMs + PROPAGATION_MS]);
    }
  }
}

/**
 * Runs `seconds` of the path, 1 ms a step. `sendBps(estimate)` is what the media sender puts out
 * (in 30 frames a second); `onSecond` sees the estimate at each whole second.
 */
function simulate(estimator: SendSideEstimator, path: ShapedPath, seconds: number, sendBps: (estimate: number) => number, onSecond: (second: number) => void, startMs = 0): number {
  let reportedUpTo = 0;
  const lostReported = new Set<number>();
  let probe: { bps: number; startMs: number; sentBytes: number } | undefined;
  let feedbackCount = 0;
  const send = (bytes: number, nowMs: number): void => {
    const seq = estimator.onSent(bytes, nowMs);
    path.send(seq, bytes, nowMs);
    if (probe) probe.sentBytes += bytes;
  };
  for (let now = startMs; now < startMs + seconds * 1000; now++) {
    path.drain(now);
    if (now % 33 === 0) {
      const estimate = estimator.estimateBps || 300_000;
      let frame = sendBps(estimate) / 8 / 30;
      while (frame > 0) {
        send(Math.min(PACKET, Math.max(100, frame)), now);
        frame -= PACKET;
      }
    }
    if (!probe) {
      const cluster = estimator.probeDue(now);
      if (cluster) probe = { bps: cluster.bps, startMs: now, sentBytes: 0 };
    }
    if (probe && now % 5 === 0) {
      while (!estimator.probeComplete && probe.sentBytes < ((now - probe.startMs + 5) * probe.bps) / 8000) send(275, now);
      if (estimator.probeComplete) {
        estimator.probeClosed(now);
        probe = undefined;
      }
    }
    if (now % FEEDBACK_MS === 0) {
      // Everything that arrived by now, from the first unreported sequence number; lost ones count as gaps.
      const arrived = path.arrivals.filter(([, at]) => at <= now && at > now - FEEDBACK_MS);
      if (arrived.length > 0) {
        const last = Math.max(...arrived.map(([seq]) => seq));
        const base = reportedUpTo;
        const times = new Float64Array(last - base + 1).fill(Number.NaN);
        for (const [seq, at] of arrived) if (seq >= base) times[seq - base] = at;
        for (const seq of path.lost) if (seq >= base && seq <= last) lostReported.add(seq);
        estimator.onFeedback({ senderSsrc: 1, baseSequence: base & 0xffff, feedbackCount: feedbackCount++ & 0xff, arrivalMs: times }, 20, now);
        reportedUpTo = last + 1;
      }
    }
    if ((now + 1) % 1000 === 0) onSecond((now + 1 - startMs) / 1000);
  }
  return startMs + seconds * 1000;
}

test('a sender following the estimate: it settles within 20 % of a 1 Mbit/s link in 10 s, and follows a step down to 500 kbit/s within 5 s', () => {
  const estimator = new SendSideEstimator();
  const path = new ShapedPath(1_000_000);
  const estimates: number[] = [];
  const end = simulate(estimator, path, 20, (estimate) => estimate, () => estimates.push(estimator.estimateBps));
  const settled = estimates.slice(9);
  for (const e of settled) assert.ok(Math.abs(e - 1_000_000) <= 200_000, `settled estimates ${settled.map((x) => Math.round(x / 1000)).join(' ')} kbit/s`);
  path.rateBps = 500_000;
  const after: number[] = [];
  simulate(estimator, path, 10, (estimate) => estimate, () => after.push(estimator.estimateBps), end);
  for (const e of after.slice(4)) assert.ok(Math.abs(e - 500_000) <= 100_000, `after the step: ${after.map((x) => Math.round(x / 1000)).join(' ')} kbit/s`);
});

test('a viewer sending 150 kbit/s on a 5 Mbit/s link: probes take the estimate past 2 Mbit/s within 3 s', () => {
  const estimator = new SendSideEstimator();
  const estimates: number[] = [];
  simulate(estimator, new ShapedPath(5_000_000), 3, () => 150_000, () => estimates.push(estimator.estimateBps));
  assert.ok(estimates[2]! > 2_000_000, `estimates ${estimates.map((x) => Math.round(x / 1000)).join(' ')} kbit/s`);
});

test('a viewer sending 150 kbit/s on a 300 kbit/s link with an 8 kB burst: probes do not take the estimate past the link', () => {
  const estimator = new SendSideEstimator();
  const estimates: number[] = [];
  simulate(estimator, new ShapedPath(300_000), 20, () => 150_000, () => estimates.push(estimator.estimateBps));
  for (const e of estimates.slice(2)) assert.ok(e < 360_000, `estimates ${estimates.map((x) => Math.round(x / 1000)).join(' ')} kbit/s`);
});
