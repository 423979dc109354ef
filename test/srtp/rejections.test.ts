/**
 * What unprotect refuses, for every profile: replays, packets behind the replay window, tampered
 * packets (header, payload, tag, SRTCP trailer), malformed ones; each counted under its own
 * reason, with the buffer and the context's state left as they were.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rejectReason, SrtpContext, SrtpProfile, SrtpReject, SrtpSession } from '../../src/transport/srtp/index.js';
import { ALL_PROFILES, masterKeys, pair, profileName, rtcp, rtp, withRoom } from './fixtures.js';

const SSRC = 0x11223344;

function protectRtp(ctx: SrtpContext, seq: number, ssrc = SSRC): Buffer {
  return ctx.protectRtpPacket(rtp({ seq, ssrc }));
}

/** Unprotects a copy; returns the result code and checks the input was not touched on rejection. */
function unprotect(ctx: SrtpContext, packet: Buffer, kind: 'rtp' | 'rtcp' = 'rtp'): number {
  const buf = Buffer.from(packet);
  const n = kind === 'rtp' ? ctx.unprotectRtp(buf, buf.length) : ctx.unprotectRtcp(buf, buf.length);
  if (n < 0) assert.deepEqual(buf, packet, 'a rejected packet leaves the buffer unchanged');
  return n;
}

for (const profile of ALL_PROFILES) {
  const name = profileName(profile);

  test(`${name}: a replayed SRTP packet is rejected and counted; reordering inside the window is not`, () => {
    const { tx, rx } = pair(profile);
    const packets = [1, 2, 3, 4, 5].map((seq) => protectRtp(tx, seq));
    for (const seq of [1, 3, 2, 5, 4]) assert.ok(unprotect(rx, packets[seq - 1]!) > 0, `seq ${seq}`);
    assert.equal(unprotect(rx, packets[2]!), SrtpReject.replay);
    assert.equal(unprotect(rx, packets[4]!), SrtpReject.replay);
    const stats = rx.stats.rtp;
    assert.equal(stats.unprotected, 5);
    assert.equal(stats.replay, 2);
    assert.equal(tx.stats.rtp.protected, 5);
  });

  test(`${name}: a packet behind the replay window is rejected as too old`, () => {
    const { tx, rx } = pair(profile, { replayWindow: 64 });
    const packets = new Map<number, Buffer>();
    for (let seq = 1; seq <= 200; seq++) packets.set(seq, protectRtp(tx, seq));
    assert.ok(unprotect(rx, packets.get(1)!) > 0);
    assert.ok(unprotect(rx, packets.get(200)!) > 0);
    assert.equal(unprotect(rx, packets.get(136)!), SrtpReject.tooOld); // 64 behind
    assert.ok(unprotect(rx, packets.get(137)!) > 0); // 63 behind: still in the window
    assert.equal(unprotect(rx, packets.get(137)!), SrtpReject.replay);
    assert.equal(rx.stats.rtp.tooOld, 1);
    assert.equal(rx.stats.rtp.replay, 1);
  });

  test(`${name}: tampering with the header, payload or tag fails authentication`, () => {
    const { tx, rx } = pair(profile);
    const good = protectRtp(tx, 7);
    const flips = [
      5, // timestamp (header)
      11, // SSRC's last byte (header): still fails, now as a stranger SSRC
      40, // payload
      good.length - 1, // tag
    ];
    for (const at of flips) {
      const bad = Buffer.from(good);
      bad[at]! ^= 0x01;
      assert.equal(unprotect(rx, bad), SrtpReject.authentication, `bit flipped at ${at}`);
    }
    // The marker bit and payload type are authenticated too.
    const marker = Buffer.from(good);
    marker[1]! ^= 0x80;
    assert.equal(unprotect(rx, marker), SrtpReject.authentication);
    assert.equal(rx.stats.rtp.authentication, flips.length + 1);
    // Forgeries moved no state: the genuine packet still goes through, once.
    assert.equal(rx.streamState('receive', SSRC ^ 0x01), undefined, 'no state for a forged SSRC');
    assert.ok(unprotect(rx, good) > 0);
    assert.equal(unprotect(rx, good), SrtpReject.replay);
  });

  test(`${name}: malformed SRTP and SRTCP are rejected as malformed`, () => {
    const { tx, rx } = pair(profile);
    const good = protectRtp(tx, 9);
    const cases: Buffer[] = [
      Buffer.alloc(0),
      good.subarray(0, 12 + tx.rtpOverhead - 1), // shorter than header + tag
      Buffer.concat([Buffer.from([0x40]), good.subarray(1)]), // version 1
      Buffer.concat([Buffer.from([0x8f]), good.subarray(1, 40)]), // 15 CSRCs that are not there
    ];
    // A header extension whose length runs past the packet.
    const ext = rtp({ seq: 10, ssrc: SSRC, extension: Buffer.alloc(4), payload: Buffer.alloc(0) });
    ext.writeUInt16BE(200, 14);
    cases.push(Buffer.concat([ext, Buffer.alloc(tx.rtpOverhead)]));
    for (const bad of cases) assert.equal(unprotect(rx, bad), SrtpReject.malformed, bad.toString('hex'));
    assert.equal(rx.stats.rtp.malformed, cases.length);

    for (const bad of [Buffer.alloc(7), Buffer.alloc(8 + tx.rtcpOverhead - 1, 0x80), Buffer.alloc(40, 0x40)]) {
      assert.equal(unprotect(rx, bad, 'rtcp'), SrtpReject.malformed);
    }
    assert.equal(rx.stats.rtcp.malformed, 3);
    // Protecting something that is not RTP is refused too, and counted on the sender.
    assert.equal(tx.protectRtp(withRoom(Buffer.alloc(20, 0x40)), 20), SrtpReject.malformed);
    assert.equal(tx.stats.rtp.malformed, 1);
  });

  test(`${name}: SRTP and SRTCP with CSRCs and a header extension round-trip; the header stays clear`, () => {
    const { tx, rx } = pair(profile);
    const plain = rtp({ seq: 300, ssrc: SSRC, csrcs: [1, 2, 3], extension: Buffer.from([0x10, 0xaa, 0, 0]), payload: Buffer.alloc(50, 7) });
    const sealed = tx.protectRtpPacket(plain);
    const headerLength = 12 + 12 + 8;
    assert.deepEqual(sealed.subarray(0, headerLength), plain.subarray(0, headerLength));
    assert.notDeepEqual(sealed.subarray(headerLength, plain.length), plain.subarray(headerLength));
    const opened = rx.unprotectRtpPacket(sealed);
    assert.ok(opened.ok);
    assert.deepEqual(opened.packet, plain);
  });

  test(`${name}: SRTCP replays, tampering and a flipped E bit or index are rejected and counted`, () => {
    const { tx, rx } = pair(profile);
    const sealed = [1, 2, 3].map(() => tx.protectRtcpPacket(rtcp(SSRC)));
    assert.ok(unprotect(rx, sealed[1]!, 'rtcp') > 0);
    assert.ok(unprotect(rx, sealed[0]!, 'rtcp') > 0, 'an older SRTCP index inside the window is fine');
    assert.equal(unprotect(rx, sealed[1]!, 'rtcp'), SrtpReject.replay);
    const trailer = sealed[2]!.length - (tx.rtcpOverhead === 20 ? 4 : tx.rtcpOverhead);
    // [byte, bit mask]: packet type, payload, E bit, SRTCP index (3 -> 7, not yet seen), tag.
    const lastTagByte = tx.rtcpOverhead === 20 ? sealed[2]!.length - 5 : sealed[2]!.length - 1;
    const flips: [number, number][] = [[1, 0x01], [12, 0x01], [trailer, 0x80], [trailer + 3, 0x04], [lastTagByte, 0x01]];
    for (const [at, mask] of flips) {
      const bad = Buffer.from(sealed[2]!);
      bad[at]! ^= mask;
      assert.equal(unprotect(rx, bad, 'rtcp'), SrtpReject.authentication, `bit flipped at ${at}`);
    }
    assert.ok(unprotect(rx, sealed[2]!, 'rtcp') > 0);
    const stats = rx.stats.rtcp;
    assert.deepEqual([stats.unprotected, stats.replay, stats.authentication], [3, 1, 5]);
  });

  test(`${name}: SRTCP without encryption (E bit clear) is readable on the wire and still authenticated`, () => {
    const { tx, rx } = pair(profile, { encryptRtcp: false });
    const plain = rtcp(SSRC);
    const sealed = tx.protectRtcpPacket(plain);
    assert.deepEqual(sealed.subarray(0, plain.length), plain);
    const trailerAt = profile === SrtpProfile.AEAD_AES_128_GCM || profile === SrtpProfile.AEAD_AES_256_GCM ? sealed.length - 4 : plain.length;
    assert.equal(sealed.readUInt32BE(trailerAt), 1, 'E bit clear, index 1');
    const bad = Buffer.from(sealed);
    bad[10]! ^= 1;
    assert.deepEqual(rx.unprotectRtcpPacket(bad), { ok: false, reason: 'authentication' });
    const opened = rx.unprotectRtcpPacket(sealed);
    assert.ok(opened.ok);
    assert.deepEqual(opened.packet, plain);
  });

  test(`${name}: protect needs room for the tag and says so`, () => {
    const { tx } = pair(profile);
    const plain = rtp({ seq: 1, ssrc: SSRC });
    const tight = Buffer.from(plain);
    assert.equal(tx.protectRtp(tight, tight.length), SrtpReject.noSpace);
    assert.deepEqual(tight, plain);
    assert.equal(tx.protectRtcp(Buffer.from(rtcp(SSRC)), 32), SrtpReject.noSpace);
    assert.equal(tx.stats.rtp.noSpace, 1);
    assert.equal(tx.stats.rtcp.noSpace, 1);
    assert.throws(() => tx.protectRtp(tight, tight.length + 1), RangeError);
  });
}

test('contexts on different keys reject each other', () => {
  const a = new SrtpContext({ profile: SrtpProfile.AES128_CM_HMAC_SHA1_80, ...masterKeys(SrtpProfile.AES128_CM_HMAC_SHA1_80, 1) });
  const b = new SrtpContext({ profile: SrtpProfile.AES128_CM_HMAC_SHA1_80, ...masterKeys(SrtpProfile.AES128_CM_HMAC_SHA1_80, 2) });
  assert.deepEqual(b.unprotectRtpPacket(protectRtp(a, 1)), { ok: false, reason: 'authentication' });
});

test('a closed context rejects everything as noKeys', () => {
  const { tx } = pair(SrtpProfile.AEAD_AES_128_GCM);
  tx.close();
  assert.equal(tx.protectRtp(withRoom(rtp({ seq: 1, ssrc: 1 })), 172), SrtpReject.noKeys);
  assert.throws(() => protectRtp(tx, 2), /noKeys/);
});

test('SSRC state is bounded: past 4096 streams a new SSRC is refused as streamLimit', () => {
  const { tx } = pair(SrtpProfile.AES128_CM_HMAC_SHA1_80);
  const buf = Buffer.alloc(64);
  for (let ssrc = 1; ssrc <= 4096; ssrc++) {
    rtp({ seq: 1, ssrc, payload: Buffer.alloc(8) }).copy(buf);
    assert.ok(tx.protectRtp(buf, 20) > 0);
  }
  rtp({ seq: 1, ssrc: 5000, payload: Buffer.alloc(8) }).copy(buf);
  assert.equal(tx.protectRtp(buf, 20), SrtpReject.streamLimit);
  rtp({ seq: 2, ssrc: 7, payload: Buffer.alloc(8) }).copy(buf);
  assert.ok(tx.protectRtp(buf, 20) > 0, 'known SSRCs keep working');
});

test('rejection codes map to reasons, and SrtpSession sums them in three classes', () => {
  assert.equal(rejectReason(-1), 'malformed');
  assert.equal(rejectReason(-2), 'authentication');
  assert.equal(rejectReason(-3), 'replay');
  assert.equal(rejectReason(-4), 'tooOld');
  assert.throws(() => rejectReason(5), RangeError);

  const profile = SrtpProfile.AES128_CM_HMAC_SHA1_80;
  const k1 = masterKeys(profile, 1);
  const k2 = masterKeys(profile, 2);
  const alice = new SrtpSession({ profile, localKey: k1.masterKey, localSalt: k1.masterSalt, remoteKey: k2.masterKey, remoteSalt: k2.masterSalt });
  const bob = new SrtpSession({ profile, localKey: k2.masterKey, localSalt: k2.masterSalt, remoteKey: k1.masterKey, remoteSalt: k1.masterSalt });
  const sealed = [1, 2].map((seq) => {
    const buf = withRoom(rtp({ seq, ssrc: SSRC }));
    return buf.subarray(0, alice.protectRtp(buf, buf.length - 32));
  });
  const [first, second] = sealed as [Buffer, Buffer];
  assert.ok(bob.unprotectRtp(Buffer.from(first), first.length) > 0);
  assert.equal(bob.unprotectRtp(Buffer.from(first), first.length), SrtpReject.replay);
  second[20]! ^= 1;
  assert.equal(bob.unprotectRtp(second, second.length), SrtpReject.authentication);
  assert.equal(bob.unprotectRtcp(Buffer.alloc(4), 4), SrtpReject.malformed);
  assert.deepEqual(bob.rejected, { authentication: 1, replay: 1, malformed: 1 });
  assert.equal(bob.stats.inbound.rtp.unprotected, 1);
});
