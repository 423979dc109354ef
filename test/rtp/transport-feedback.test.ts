import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRtcp } from '../../src/rtp/rtcp.js';
import { buildTransportFeedback, parseTransportFeedback } from '../../src/rtp/transport-feedback.js';
import { TransportFeedbackSender } from '../../src/rtp/transport-feedback-sender.js';

test('transport-wide feedback survives a build and parse: arrivals, losses, large and negative deltas, sequence wrap', () => {
  const arrivals = [1000.25, Number.NaN, 1003.5, 1003.5, 1200, 1150.75, Number.NaN, Number.NaN, 1151, 1152.25];
  const packet = buildTransportFeedback(0x11223344, 0x55667788, 65533, 7, arrivals);
  assert.equal(packet.length % 4, 0);
  const [record] = parseRtcp(packet);
  assert.ok(record && record.type === 'twcc');
  assert.equal(record.baseSequence, 65533);
  assert.equal(record.feedbackCount, 7);
  assert.equal(record.senderSsrc, 0x11223344);
  assert.deepEqual([...record.arrivalMs].map((t) => (Number.isNaN(t) ? 'lost' : t)), arrivals.map((t) => (Number.isNaN(t) ? 'lost' : t)));
});

test('transport-wide feedback with a run-length chunk and a one-bit status vector, as browsers pack them', () => {
  // 3 packets received (run of status 1), then a 1-bit vector: received, lost, received.
  const body = Buffer.alloc(16 + 4 + 5);
  body.writeUInt32BE(1, 0);
  body.writeUInt32BE(2, 4);
  body.writeUInt16BE(100, 8); // base sequence
  body.writeUInt16BE(6, 10); // status count
  body.writeIntBE(10, 12, 3); // reference time: 640 ms
  body[15] = 3;
  body.writeUInt16BE((1 << 13) | 3, 16); // run: status 1 × 3
  body.writeUInt16BE(0x8000 | (0b101 << 11), 18); // vector: 1, 0, 1 (then unused)
  Buffer.from([4, 4, 4, 8, 8]).copy(body, 20);
  const feedback = parseTransportFeedback(body, 0, body.length);
  assert.ok(feedback);
  assert.deepEqual([...feedback.arrivalMs].map((t) => (Number.isNaN(t) ? 'lost' : t)), [641, 642, 643, 645, 'lost', 647]);
});

test('malformed transport-wide feedback is refused, not half read', () => {
  const good = buildTransportFeedback(1, 2, 10, 0, [5, 6, 7, 8]);
  const body = good.subarray(4);
  assert.ok(parseTransportFeedback(body, 0, body.length));
  assert.equal(parseTransportFeedback(body, 0, 17), undefined, 'chunks cut off');
  assert.equal(parseTransportFeedback(body, 0, 19), undefined, 'deltas cut off');
  const zero = Buffer.from(body);
  zero.writeUInt16BE(0, 10);
  assert.equal(parseTransportFeedback(zero, 0, zero.length), undefined, 'no statuses');
  const huge = Buffer.from(body);
  huge.writeUInt16BE(60000, 10);
  assert.equal(parseTransportFeedback(huge, 0, huge.length), undefined, 'more statuses than a feedback can hold');
});

test('feedback on what a peer sends: every 100 ms, the packets since the last report, gaps as lost, across the 16-bit wrap', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const sent: Buffer[] = [];
  const sender = new TransportFeedbackSender(() => 0x1234, (packets) => sent.push(...packets));
  for (const seq of [65534, 65535, 1, 2]) sender.received(seq); // 0 lost
  t.mock.timers.tick(100);
  assert.equal(sent.length, 1);
  const [first] = parseRtcp(sent[0]!);
  assert.ok(first?.type === 'twcc');
  assert.equal(first.baseSequence, 65534);
  assert.deepEqual([...first.arrivalMs].map((a) => !Number.isNaN(a)), [true, true, false, true, true]);
  sender.received(3);
  sender.received(2); // late duplicate: reported already
  t.mock.timers.tick(100);
  const [second] = parseRtcp(sent[1]!);
  assert.ok(second?.type === 'twcc');
  assert.equal(second.baseSequence, 3);
  assert.equal(second.arrivalMs.length, 1);
  assert.equal(second.feedbackCount, 1);
  t.mock.timers.tick(100); // nothing new: nothing sent, and the timer stops
  assert.equal(sent.length, 2);
  sender.close();
});
