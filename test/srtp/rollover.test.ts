/**
 * Packet indexes: the SRTP rollover counter across 65535 -> 0 on both sides (RFC 3711 §3.3.1
 * index estimation, with reordering and retransmission around the wrap), and the SRTCP index
 * (31 bits, per SSRC, in the trailer with the E bit).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SrtpReject, type SrtpContext } from '../../src/transport/srtp/index.js';
import { ALL_PROFILES, pair, profileName, rtcp, rtp } from './fixtures.js';

const SSRC = 0xcafe0001;

function seal(ctx: SrtpContext, seq: number, ssrc = SSRC): Buffer {
  return ctx.protectRtpPacket(rtp({ seq, ssrc, payload: Buffer.from(`packet ${seq}`) }));
}

function open(ctx: SrtpContext, packet: Buffer): number {
  const buf = Buffer.from(packet);
  return ctx.unprotectRtp(buf, buf.length);
}

for (const profile of ALL_PROFILES) {
  const name = profileName(profile);

  test(`${name}: the ROC rolls over at 65535 -> 0 on sender and receiver`, () => {
    const { tx, rx } = pair(profile);
    const seqs = [65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2, 3];
    for (const seq of seqs) {
      const sealed = seal(tx, seq);
      const result = rx.unprotectRtpPacket(sealed);
      assert.ok(result.ok, `seq ${seq}`);
      assert.deepEqual(result.packet, rtp({ seq, ssrc: SSRC, payload: Buffer.from(`packet ${seq}`) }));
    }
    assert.deepEqual(tx.streamState('send', SSRC), { roc: 1, highestSeq: 3 });
    assert.deepEqual(rx.streamState('receive', SSRC), { roc: 1, highestSeq: 3 });
  });

  test(`${name}: reordering across the wrap is resolved by index estimation`, () => {
    const { tx, rx } = pair(profile);
    const sealed = new Map([65533, 65534, 65535, 0, 1, 2].map((seq) => [seq, seal(tx, seq)]));
    for (const seq of [65533, 0, 65535, 1, 65534]) assert.ok(open(rx, sealed.get(seq)!) > 0, `seq ${seq}`);
    assert.deepEqual(rx.streamState('receive', SSRC), { roc: 1, highestSeq: 1 });
    assert.equal(open(rx, sealed.get(65535)!), SrtpReject.replay, 'a replay from before the wrap');
    assert.equal(open(rx, sealed.get(0)!), SrtpReject.replay, 'a replay from after the wrap');
    assert.ok(open(rx, sealed.get(2)!) > 0);
  });

  test(`${name}: a retransmission from before the wrap is protected with the old ROC`, () => {
    const { tx, rx } = pair(profile);
    const before = seal(tx, 65534);
    const first = seal(tx, 65535);
    seal(tx, 0);
    seal(tx, 1);
    // Same index, same keys: the retransmission is byte for byte the original.
    assert.deepEqual(seal(tx, 65535), first);
    assert.deepEqual(tx.streamState('send', SSRC), { roc: 1, highestSeq: 1 });
    // A receiver that missed the original takes it (ROC 0) after a packet of ROC 1.
    assert.ok(open(rx, before) > 0);
    assert.ok(open(rx, seal(tx, 2)) > 0);
    assert.ok(open(rx, first) > 0);
    assert.deepEqual(rx.streamState('receive', SSRC), { roc: 1, highestSeq: 2 });
  });

  test(`${name}: the ROC is authenticated: a receiver with the wrong ROC rejects the packet`, () => {
    const { tx, rx } = pair(profile);
    tx.setRolloverCounter('send', SSRC, 7);
    const sealed = seal(tx, 100);
    assert.equal(open(rx, sealed), SrtpReject.authentication, 'receiver assumes ROC 0');
    rx.setRolloverCounter('receive', SSRC, 7);
    assert.ok(open(rx, sealed) > 0);
    assert.deepEqual(rx.streamState('receive', SSRC), { roc: 7, highestSeq: 100 });
  });

  test(`${name}: a long stream wraps twice and every packet round-trips`, () => {
    const { tx, rx } = pair(profile);
    const buf = Buffer.alloc(64);
    const plain = rtp({ seq: 0, ssrc: SSRC, payload: Buffer.alloc(16, 0x42) });
    let seq = 40000;
    for (let i = 0; i < 100_000; i++, seq = (seq + 1) & 0xffff) {
      plain.copy(buf);
      buf.writeUInt16BE(seq, 2);
      const sealedLength = tx.protectRtp(buf, plain.length);
      assert.equal(rx.unprotectRtp(buf, sealedLength), plain.length);
    }
    assert.equal(buf.subarray(12, 28).toString('hex'), '42'.repeat(16));
    assert.equal(rx.streamState('receive', SSRC)?.roc, 2);
    assert.equal(rx.stats.rtp.unprotected, 100_000);
  });

  test(`${name}: SRTCP indexes count from 1 per SSRC, carry the E bit, and stop at 2^31 - 1`, () => {
    const { tx, rx } = pair(profile);
    const trailer = (sealed: Buffer): number =>
      sealed.readUInt32BE(tx.rtcpOverhead === 20 ? sealed.length - 4 : sealed.length - tx.rtcpOverhead);
    assert.equal(trailer(tx.protectRtcpPacket(rtcp(1))), 0x80000001);
    assert.equal(trailer(tx.protectRtcpPacket(rtcp(1))), 0x80000002);
    assert.equal(trailer(tx.protectRtcpPacket(rtcp(2))), 0x80000001, 'each SSRC has its own index');
    assert.deepEqual(tx.streamState('send', 1), { rtcpIndex: 2 });

    tx.setRtcpIndex(3, 0x7ffffffd);
    const last = [tx.protectRtcpPacket(rtcp(3)), tx.protectRtcpPacket(rtcp(3))];
    assert.deepEqual(last.map(trailer), [0xfffffffe, 0xffffffff]);
    assert.throws(() => tx.protectRtcpPacket(rtcp(3)), /keyLimit/);
    assert.equal(tx.stats.rtcp.keyLimit, 1);
    // The receiver reads the index from the trailer; high indexes are fine, replays are not.
    for (const sealed of last) assert.ok(rx.unprotectRtcpPacket(sealed).ok);
    assert.deepEqual(rx.unprotectRtcpPacket(last[0]!), { ok: false, reason: 'replay' });
    assert.deepEqual(rx.streamState('receive', 3), { rtcpIndex: 0x7fffffff });
  });

  test(`${name}: SRTCP reordering inside the window is accepted, older than the window is not`, () => {
    const { tx, rx } = pair(profile, { replayWindow: 64 });
    const sealed = Array.from({ length: 100 }, () => tx.protectRtcpPacket(rtcp(SSRC)));
    assert.ok(rx.unprotectRtcpPacket(sealed[99]!).ok); // index 100
    assert.ok(rx.unprotectRtcpPacket(sealed[50]!).ok); // index 51, 49 behind
    assert.deepEqual(rx.unprotectRtcpPacket(sealed[30]!), { ok: false, reason: 'tooOld' }); // 69 behind
    assert.deepEqual(rx.unprotectRtcpPacket(sealed[50]!), { ok: false, reason: 'replay' });
    assert.deepEqual([rx.stats.rtcp.tooOld, rx.stats.rtcp.replay], [1, 1]);
  });
}
