/**
 * Interoperation with werift's JavaScript SRTP (an independent implementation, and the one
 * Kuroshio's WebRTC path uses today), both directions, for the two profiles werift supports:
 * AES128_CM_HMAC_SHA1_80 and AEAD_AES_128_GCM. SRTP across a sequence number wrap, SRTCP, and
 * DTLS-style keying material split by role.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RtpPacket, SrtcpSession, SrtpSession as WeriftSrtpSession } from 'werift';
import { SrtpProfile, SrtpSession, keyingMaterialLength } from '../../src/transport/srtp/index.js';
import { masterKeys, profileName, rtcp, rtp, withRoom } from './fixtures.js';

const PROFILES = [SrtpProfile.AES128_CM_HMAC_SHA1_80, SrtpProfile.AEAD_AES_128_GCM] as const;
const SSRC = 0x5eed0001;
/** Across the wrap, so both implementations' rollover handling is exercised. */
const SEQS = Array.from({ length: 80 }, (_, i) => (65500 + i) & 0xffff);

interface Peers {
  ours: SrtpSession;
  theirs: { srtp: WeriftSrtpSession; srtcp: SrtcpSession };
}

function peers(profile: number): Peers {
  const a = masterKeys(profile, 11);
  const b = masterKeys(profile, 22);
  const ours = new SrtpSession({ profile, localKey: a.masterKey, localSalt: a.masterSalt, remoteKey: b.masterKey, remoteSalt: b.masterSalt });
  const config = {
    keys: { localMasterKey: b.masterKey, localMasterSalt: b.masterSalt, remoteMasterKey: a.masterKey, remoteMasterSalt: a.masterSalt },
    profile,
  };
  return { ours, theirs: { srtp: new WeriftSrtpSession(config), srtcp: new SrtcpSession(config) } };
}

/** Varied packets: sizes, a marker, CSRCs and a header extension now and then. */
function packet(seq: number, i: number): Buffer {
  return rtp({
    seq,
    ssrc: SSRC,
    payloadType: 96 + (i % 3),
    payload: Buffer.alloc(20 + ((i * 37) % 1100), i & 0xff),
    ...(i % 10 === 3 ? { csrcs: [0x1111, 0x2222] } : {}),
    // A one-byte-header extension element: id 2 with 3 bytes, like abs-send-time.
    ...(i % 10 === 7 ? { extension: Buffer.from([0x22, 0x01, 0x02, 0x03]) } : {}),
  });
}

for (const profile of PROFILES) {
  const name = profileName(profile);

  test(`${name}: werift decrypts what we protect (SRTP across a wrap)`, () => {
    const { ours, theirs } = peers(profile);
    SEQS.forEach((seq, i) => {
      const plain = packet(seq, i);
      const buf = withRoom(plain);
      const length = ours.protectRtp(buf, plain.length);
      assert.equal(length, plain.length + ours.rtpOverhead);
      const decrypted = theirs.srtp.decrypt(Buffer.from(buf.subarray(0, length)));
      assert.deepEqual(decrypted, plain, `seq ${seq}`);
    });
  });

  test(`${name}: we unprotect what werift encrypts (SRTP across a wrap)`, () => {
    const { ours, theirs } = peers(profile);
    SEQS.forEach((seq, i) => {
      const parsed = RtpPacket.deSerialize(packet(seq, i));
      // Compare with werift's own serialization of the header it encrypted.
      const plain = Buffer.concat([parsed.header.serialize(parsed.header.serializeSize), parsed.payload]);
      const sealed = theirs.srtp.encrypt(parsed.payload, parsed.header);
      const buf = Buffer.from(sealed);
      assert.equal(ours.unprotectRtp(buf, buf.length), plain.length, `seq ${seq}`);
      assert.deepEqual(buf.subarray(0, plain.length), plain);
    });
    assert.equal(ours.inbound.streamState('receive', SSRC)?.roc, 1);
    assert.equal(ours.stats.inbound.rtp.unprotected, SEQS.length);
  });

  test(`${name}: SRTCP both ways`, () => {
    const { ours, theirs } = peers(profile);
    for (let i = 0; i < 20; i++) {
      const plain = rtcp(SSRC, 24 + 4 * i);
      const buf = withRoom(plain);
      const length = ours.protectRtcp(buf, plain.length);
      assert.deepEqual(theirs.srtcp.decrypt(Buffer.from(buf.subarray(0, length))), plain);

      const fromThem = Buffer.from(theirs.srtcp.encrypt(plain));
      assert.equal(ours.unprotectRtcp(fromThem, fromThem.length), plain.length);
      assert.deepEqual(fromThem.subarray(0, plain.length), plain);
    }
    assert.equal(ours.stats.inbound.rtcp.unprotected, 20);
  });

  test(`${name}: a werift packet altered in transit is rejected`, () => {
    const { ours, theirs } = peers(profile);
    const parsed = RtpPacket.deSerialize(packet(1, 0));
    const sealed = Buffer.from(theirs.srtp.encrypt(parsed.payload, parsed.header));
    sealed[sealed.length - 30]! ^= 0x10;
    assert.ok(ours.unprotectRtp(sealed, sealed.length) < 0);
    assert.deepEqual(ours.rejected, { authentication: 1, replay: 0, malformed: 0 });
  });

  test(`${name}: keying material split by DTLS role pairs a client session with a server session`, () => {
    const material = Buffer.alloc(keyingMaterialLength(profile));
    for (let i = 0; i < material.length; i++) material[i] = (i * 29 + 3) & 0xff;
    const client = SrtpSession.fromKeyingMaterial(profile, material, 'client');
    const server = SrtpSession.fromKeyingMaterial(profile, material, 'server');
    for (const [from, to] of [
      [client, server],
      [server, client],
    ] as const) {
      const plain = packet(5, 5);
      const buf = withRoom(plain);
      const length = from.protectRtp(buf, plain.length);
      assert.equal(to.unprotectRtp(buf, length), plain.length);
      assert.deepEqual(buf.subarray(0, plain.length), plain);
      // A session does not accept its own packets: the directions use different keys.
      const own = withRoom(plain);
      const ownLength = from.protectRtp(own, plain.length);
      assert.ok(from.unprotectRtp(own, ownLength) < 0);
    }
  });
}
