/**
 * The addon itself: it loads from the built tree, runs on the OpenSSL inside Node, and agrees
 * with the TypeScript profile table; bad arguments are refused before any packet work.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { addonCandidates } from '../../src/transport/srtp/native-addon.js';
import {
  keyingMaterialLength,
  loadSrtpAddon,
  profileParameters,
  splitKeyingMaterial,
  SrtpContext,
  SrtpProfile,
  srtpAddonAvailable,
} from '../../src/transport/srtp/index.js';
import { ALL_PROFILES, masterKeys } from './fixtures.js';

test('the addon is found from the compiled tree and loads', () => {
  assert.ok(addonCandidates().some((p) => existsSync(p)));
  assert.equal(srtpAddonAvailable(), true);
});

test('it runs on the OpenSSL Node itself uses', () => {
  const version = loadSrtpAddon().opensslVersion();
  assert.match(version, /^OpenSSL 3\./);
  assert.ok(version.includes(process.versions.openssl!), `${version} vs Node's ${process.versions.openssl}`);
});

test('native overheads agree with the profile table', () => {
  const addon = loadSrtpAddon();
  for (const profile of ALL_PROFILES) {
    const p = profileParameters(profile);
    assert.deepEqual(addon.overhead(profile), [p.rtpOverhead, p.rtcpOverhead], p.name);
  }
  assert.deepEqual(addon.overhead(0x0003), [0, 0]);
});

test('bad keys and profiles are refused when the context is made', () => {
  const cm = SrtpProfile.AES128_CM_HMAC_SHA1_80;
  const { masterKey, masterSalt } = masterKeys(cm);
  assert.throws(() => new SrtpContext({ profile: 0x0003, masterKey, masterSalt }), /unknown SRTP protection profile/);
  assert.throws(() => new SrtpContext({ profile: cm, masterKey: masterKey.subarray(1), masterSalt }), /16-byte master key/);
  assert.throws(() => new SrtpContext({ profile: SrtpProfile.AEAD_AES_128_GCM, masterKey, masterSalt }), /12-byte master salt/);
  assert.throws(() => new SrtpContext({ profile: cm, masterKey, masterSalt, replayWindow: 40000 }), RangeError);
  assert.throws(
    () => new SrtpContext({ profile: cm, sessionKeys: { rtpKey: masterKey, rtpSalt: masterSalt, rtcpKey: masterKey, rtcpSalt: masterSalt } }),
    /20-byte auth keys/,
  );
  const ctx = new SrtpContext({ profile: cm, masterKey, masterSalt });
  assert.throws(() => ctx.protectRtp('not a buffer' as unknown as Buffer, 3), TypeError);
  assert.throws(() => ctx.protectRtp(Buffer.alloc(10), -1), RangeError);
});

test('keying material splits as RFC 5764 §4.2 lays it out', () => {
  const profile = SrtpProfile.AEAD_AES_256_GCM;
  assert.equal(keyingMaterialLength(profile), 2 * (32 + 12));
  const material = Buffer.from(Array.from({ length: 88 }, (_, i) => i));
  const client = splitKeyingMaterial(profile, material, 'client');
  assert.deepEqual([...client.localKey], Array.from({ length: 32 }, (_, i) => i));
  assert.deepEqual([...client.remoteKey], Array.from({ length: 32 }, (_, i) => 32 + i));
  assert.deepEqual([...client.localSalt], Array.from({ length: 12 }, (_, i) => 64 + i));
  assert.deepEqual([...client.remoteSalt], Array.from({ length: 12 }, (_, i) => 76 + i));
  const server = splitKeyingMaterial(profile, material, 'server');
  assert.deepEqual(server.localKey, client.remoteKey);
  assert.deepEqual(server.remoteSalt, client.localSalt);
  assert.throws(() => splitKeyingMaterial(profile, material.subarray(1), 'client'), /88 bytes/);
});
