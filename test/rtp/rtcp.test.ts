import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildFir,
  buildNack,
  buildPli,
  buildReceiverReport,
  buildRemb,
  buildSdesCname,
  buildSenderReport,
  isRtcpPacket,
  parseRtcp,
} from '../../src/rtp/rtcp.js';

const report = { ssrc: 0x11223344, fractionLost: 25, packetsLost: -3, highestSequence: 0x1fffe, jitter: 42, lastSr: 0xabcd1234, delaySinceLastSr: 65536 };

test('a compound of SR, RR and SDES parses back field by field', () => {
  const compound = Buffer.concat([
    buildSenderReport(1, { ntpSeconds: 3_900_000_000, ntpFraction: 0x80000000, rtpTimestamp: 90000, packetCount: 10, octetCount: 12000 }, [report]),
    buildReceiverReport(2, [report, { ...report, ssrc: 5, packetsLost: 70000 }]),
    buildSdesCname(1, 'kuroshio'),
  ]);
  assert.equal(compound.length % 4, 0);
  assert.ok(isRtcpPacket(compound));
  const records = parseRtcp(compound);
  assert.deepEqual(records[0], {
    type: 'sr', ssrc: 1, ntpSeconds: 3_900_000_000, ntpFraction: 0x80000000, rtpTimestamp: 90000, packetCount: 10, octetCount: 12000, reports: [report],
  });
  assert.deepEqual(records[1], { type: 'rr', ssrc: 2, reports: [report, { ...report, ssrc: 5, packetsLost: 70000 }] });
  assert.deepEqual(records[2], { type: 'other', packetType: 202, format: 1 });
});

test('NACK packs losses into PID+bitmask pairs and unpacks to the same set', () => {
  const lost = [100, 101, 105, 116, 117, 200, 65535, 0];
  const packet = buildNack(7, 8, lost);
  const [record] = parseRtcp(packet);
  assert.equal(record?.type, 'nack');
  if (record?.type !== 'nack') return;
  assert.equal(record.senderSsrc, 7);
  assert.equal(record.mediaSsrc, 8);
  assert.deepEqual(new Set(record.lost), new Set(lost));
  // 100..116 fit one pair (PID 100 + 16 bits), 117 starts the next.
  assert.equal(packet.length, 12 + 4 * 4);
});

test('PLI, FIR and REMB round-trip', () => {
  assert.deepEqual(parseRtcp(buildPli(1, 2)), [{ type: 'pli', senderSsrc: 1, mediaSsrc: 2 }]);
  assert.deepEqual(parseRtcp(buildFir(1, 2, 9)), [{ type: 'fir', senderSsrc: 1, entries: [{ ssrc: 2, sequence: 9 }] }]);
  const [remb] = parseRtcp(buildRemb(3, 1_500_000, [10, 11]));
  assert.equal(remb?.type, 'remb');
  if (remb?.type !== 'remb') return;
  assert.deepEqual(remb.ssrcs, [10, 11]);
  // 18-bit mantissa: exact to within one part in 2^17.
  assert.ok(Math.abs(remb.bitrate - 1_500_000) / 1_500_000 < 1e-5, `bitrate ${remb.bitrate}`);
});

test('truncated and garbage RTCP yields what parsed, never throws', () => {
  const good = buildPli(1, 2);
  assert.deepEqual(parseRtcp(Buffer.concat([good, Buffer.from([0x81, 206, 0, 10, 1, 2])])), [{ type: 'pli', senderSsrc: 1, mediaSsrc: 2 }]);
  assert.deepEqual(parseRtcp(Buffer.from([0x00, 1, 2, 3, 4, 5, 6, 7])), []);
  for (let i = 0; i < 200; i++) {
    const junk = Buffer.from(Array.from({ length: 4 + (i % 60) }, (_, j) => (i * 31 + j * 17) & 0xff));
    junk[0] = 0x80 | (junk[0]! & 0x1f);
    assert.doesNotThrow(() => parseRtcp(junk));
  }
});
