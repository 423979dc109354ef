import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReceiveStream } from '../../src/rtp/receive-stream.js';
import { SendStream } from '../../src/rtp/send-stream.js';
import { copyWithoutExtensions, findExtension, payloadOffset, rewriteHeader, sequenceNumber, ssrc, timestamp } from '../../src/rtp/rtp-header.js';

test('receive statistics follow RFC 3550 across a sequence wrap', () => {
  const s = new ReceiveStream(1, 90000);
  let t = 0;
  for (let seq = 65530; seq < 65536 + 10; seq++) {
    if (seq % 7 === 0) continue; // lose some
    s.update(seq & 0xffff, seq * 3000, t += 33);
  }
  assert.equal(s.extendedHighest, 65536 + 9);
  const lost = [...Array(16).keys()].map((i) => 65530 + i).filter((x) => x % 7 === 0).length;
  assert.equal(s.cumulativeLost, lost);
  const block = s.report(t);
  assert.equal(block.packetsLost, lost);
  assert.equal(block.highestSequence, 65536 + 9);
  assert.ok(block.fractionLost > 0);
});

test('losses are NACKed after a reorder grace, retried, and forgotten when they arrive', () => {
  const s = new ReceiveStream(1, 90000);
  s.update(10, 0, 1000);
  s.update(14, 0, 1001); // 11, 12, 13 missing
  assert.deepEqual(s.lostToRequest(1005, 50), [], 'reordered packets get a grace period');
  assert.deepEqual(s.lostToRequest(1020, 50).sort(), [11, 12, 13]);
  assert.deepEqual(s.lostToRequest(1030, 50), [], 'not asked again before an RTT passed');
  s.update(12, 0, 1040);
  assert.deepEqual(s.lostToRequest(1080, 50).sort(), [11, 13]);
});

test('history keeps packets by sequence number until overwritten', () => {
  const s = new ReceiveStream(1, 90000);
  const packet = Buffer.alloc(20, 7);
  s.remember(300, packet, 20);
  assert.equal(s.recall(300)?.packet, packet);
  assert.equal(s.recall(301), undefined);
  s.remember(300 + 512, Buffer.alloc(20), 20);
  assert.equal(s.recall(300), undefined, 'the slot now holds a newer packet');
});

test('a send stream stays continuous when its source changes', () => {
  const out = new SendStream(99, 90000, undefined);
  const map = (src: number, seq: number, ts: number, now: number): { seq: number; ts: number } => {
    out.map(src, seq, ts, now);
    return { seq: out.mappedSeq, ts: out.mappedTs };
  };
  const a = map(1, 1000, 50_000, 0);
  const b = map(1, 1001, 53_000, 33);
  assert.equal(b.seq, (a.seq + 1) & 0xffff);
  assert.equal(b.ts, (a.ts + 3000) >>> 0);
  const c = map(2, 40_000, 9_000_000, 66); // new publisher, unrelated numbering
  assert.equal(c.seq, (b.seq + 1) & 0xffff);
  assert.ok(((c.ts - b.ts) >>> 0) >= 2970 && ((c.ts - b.ts) >>> 0) < 4000, 'timestamps move on by the elapsed time');
  assert.equal(out.sourceSeq(c.seq), 40_000);
  assert.equal(out.outTimestamp(9_000_000), c.ts);
});

test('header rewriting and extension stripping keep the payload intact', () => {
  // V=2, X=1, CC=1, M=1, PT=96; one CSRC; a one-byte extension block with id 3 (2 bytes) then padding.
  const packet = Buffer.from([
    0x91, 0xe0, 0x12, 0x34, 0, 0, 0x10, 0, 0xaa, 0xbb, 0xcc, 0xdd,
    1, 2, 3, 4,
    0xbe, 0xde, 0, 1, 0x31, 0x55, 0x66, 0,
    9, 8, 7,
  ]);
  assert.equal(payloadOffset(packet), 24);
  assert.deepEqual(findExtension(packet, packet.length, 3), [21, 2]);
  const out = Buffer.alloc(64);
  const length = copyWithoutExtensions(packet, packet.length, out);
  assert.equal(length, 15);
  rewriteHeader(out, { ssrc: 5, sequenceNumber: 65536 + 7, timestamp: 2 ** 32 + 1, payloadType: 100 });
  assert.equal(out[0], 0x80);
  assert.equal(out[1], 0x80 | 100, 'marker kept');
  assert.equal(sequenceNumber(out), 7);
  assert.equal(timestamp(out), 1);
  assert.equal(ssrc(out), 5);
  assert.deepEqual([...out.subarray(12, 15)], [9, 8, 7]);
});
