/**
 * RFC 6464 levels read from packets in both header extension forms (RFC 8285), extension blocks
 * that lie, and the speaking state made of the levels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readAudioLevel, SpeakingDetector } from '../../src/rtp/audio-level.js';

/** An RTP packet (no CSRCs) with the given extension block and a 3-byte payload. */
function withExtension(profile: number, elements: number[]): Buffer {
  const padded = [...elements];
  while (padded.length % 4 !== 0) padded.push(0);
  const header = Buffer.from([0x90, 111, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, profile >> 8, profile & 0xff, 0, padded.length / 4]);
  return Buffer.concat([header, Buffer.from(padded), Buffer.from([1, 2, 3])]);
}

test('the level is read under its id, in the one-byte and the two-byte forms, past padding and other elements', () => {
  // One-byte: id 1 (mid, 2 bytes "ab"), padding, id 5 (level: voice bit + 42).
  const oneByte = withExtension(0xbede, [0x11, 0x61, 0x62, 0x00, 0x50, 0x80 | 42]);
  assert.equal(readAudioLevel(oneByte, oneByte.length, 5), 42);
  assert.equal(readAudioLevel(oneByte, oneByte.length, 7), undefined);
  // Two-byte: id 3 (1 byte), id 5 (1 byte: 127, silence).
  const twoByte = withExtension(0x1000, [3, 1, 9, 5, 1, 127]);
  assert.equal(readAudioLevel(twoByte, twoByte.length, 5), 127);
  const plain = Buffer.from([0x80, 111, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2]);
  assert.equal(readAudioLevel(plain, plain.length, 5), undefined, 'no extension block');
});

test('extension blocks that lie yield no level and never throw', () => {
  const overlong = withExtension(0xbede, [0x5f, 42]); // an element of 16 bytes in a 4-byte block
  assert.equal(readAudioLevel(overlong, overlong.length, 5), undefined);
  const truncated = withExtension(0xbede, [0x50, 42]).subarray(0, 17);
  assert.equal(readAudioLevel(truncated, truncated.length, 5), undefined);
  const reserved = withExtension(0xbede, [0xf0, 0x50, 42]); // id 15 stops the reading
  assert.equal(readAudioLevel(reserved, reserved.length, 5), undefined);
  const unknownProfile = withExtension(0x1234, [0x50, 42]);
  assert.equal(readAudioLevel(unknownProfile, unknownProfile.length, 5), undefined);
  for (let n = 0; n < 2000; n++) {
    const junk = Buffer.from(Array.from({ length: 12 + (n % 40) }, (_, i) => (n * 131 + i * 71) & 0xff));
    junk[0] = 0x90 | (junk[0]! & 0x0f);
    assert.doesNotThrow(() => readAudioLevel(junk, junk.length, n % 16));
  }
});

test('speech starts at the threshold, goes on 6 dB under it, and ends half a second after the last loud packet', () => {
  const detector = new SpeakingDetector(-50);
  assert.equal(detector.push(55, 0), false, '-55 dBov is under the threshold');
  assert.equal(detector.push(45, 20), true, 'speech starts at -45 dBov');
  assert.equal(detector.push(54, 40), false, '-54 dBov: still speech (hysteresis)');
  assert.equal(detector.push(127, 300), false, 'a short pause');
  assert.equal(detector.push(127, 541), true, 'half a second of silence ends it');
  assert.equal(detector.speaking, false);
  assert.equal(detector.push(30, 600), true);
  assert.equal(detector.fadedBy(1000), false);
  assert.equal(detector.fadedBy(1101), true, 'a sender that stopped sending stops speaking too');
});
