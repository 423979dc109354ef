/**
 * Dropping VP9 spatial layers per viewer: payload descriptors built by hand (RFC 9628), two
 * spatial layers per picture, a fake clock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SendStream } from '../../src/rtp/send-stream.js';
import type { LayerPreference } from '../../src/media/simulcast/layer-policy.js';
import { Vp9SvcFilter, type SvcVerdict } from '../../src/rtp/vp9-svc-filter.js';

/**
 * A VP9 payload descriptor in flexible mode with a 15-bit picture id and layer indices, then a
 * byte of payload. A key picture's first packet carries a scalability structure announcing
 * `layers` spatial layers (with no sizes or picture group: only its first byte).
 */
function vp9(sid: number, { begin = true, end = true, key = false, layers = 2, size = 1 } = {}): Buffer {
  const ss = key && sid === 0 && begin;
  const b0 = 0x80 | (key ? 0 : 0x40) | 0x20 | 0x10 | (begin ? 0x08 : 0) | (end ? 0x04 : 0) | (ss ? 0x02 : 0);
  return Buffer.concat([Buffer.from([b0, 0x80, 0x01, (sid << 1) | (key && sid > 0 ? 1 : 0), ...(ss ? [(layers - 1) << 5] : [])]), Buffer.alloc(size, 0xaa)]);
}

/** One picture of two spatial layers, each in one packet: the verdicts, lowest layer first. */
function picture(filter: Vp9SvcFilter, nowMs: number, key = false): SvcVerdict[] {
  return [filter.filter(vp9(0, { key }), nowMs), filter.filter(vp9(1, { key }), nowMs)];
}

test('every layer passes until a limit; down at the next picture, marked as its end; up at a key picture, asked for', () => {
  let asked = 0;
  const preference: LayerPreference = { estimateBps: 0, maxLayer: -1 };
  const filter = new Vp9SvcFilter(() => preference, () => asked++);
  let now = 1_000_000;
  assert.deepEqual(picture(filter, now, true), ['pass', 'pass'], 'the first picture passes whole');
  assert.deepEqual(picture(filter, (now += 33)), ['pass', 'end-of-picture'], 'no limit: both layers, the top one ends the picture');
  assert.equal(filter.layered, true);

  preference.maxLayer = 0;
  assert.deepEqual(picture(filter, (now += 33)), ['pass', 'end-of-picture'], 'a lower wish holds a moment (as for simulcast)');
  for (let i = 0; i < 15; i++) picture(filter, (now += 33));
  assert.deepEqual(picture(filter, (now += 33)), ['end-of-picture', 'drop'], 'then down: the low layer ends each picture');
  assert.equal(filter.current, 0);

  preference.maxLayer = -1;
  assert.deepEqual(picture(filter, (now += 133)), ['end-of-picture', 'drop'], 'up waits for a key picture');
  assert.equal(asked, 1, 'and asks for one');
  assert.deepEqual(picture(filter, (now += 33)), ['end-of-picture', 'drop']);
  assert.equal(asked, 1, 'not again within 500 ms');
  now += 500;
  picture(filter, now);
  assert.equal(asked, 2, 'again after 500 ms');
  assert.deepEqual(picture(filter, (now += 33), true), ['pass', 'end-of-picture'], 'the key picture: both layers again');
  assert.equal(filter.switches, 2);
});

test('a layer the publisher stopped sending is not waited for, and taken again at its key picture; streams without layer indices pass', () => {
  let asked = 0;
  const filter = new Vp9SvcFilter(() => undefined, () => asked++);
  let now = 1_000_000;
  picture(filter, now, true);
  picture(filter, (now += 33));
  // Only the low layer for more than a second (the publisher's uplink shrank): it is the top.
  for (let i = 0; i < 40; i++) filter.filter(vp9(0), (now += 33));
  assert.equal(filter.current, 0);
  assert.equal(asked, 0, 'no key picture asked for a layer that is not there');
  // The upper layer is back, with the key picture that restarts it.
  assert.deepEqual(picture(filter, (now += 33), true), ['pass', 'end-of-picture']);
  assert.equal(filter.current, 1);
  const plain = new Vp9SvcFilter(() => undefined, () => undefined);
  assert.equal(plain.filter(Buffer.from([0x88, 0xaa]), now), 'pass');
  assert.equal(plain.layered, false);
  assert.equal(plain.filter(Buffer.alloc(0), now), 'pass', 'an empty payload passes (the session drops nothing it cannot read)');
});

test('the estimate picks the layers: a viewer whose estimate falls short of both layers together gets the low one', () => {
  const preference: LayerPreference = { estimateBps: 0, maxLayer: -1 };
  const filter = new Vp9SvcFilter(() => preference, () => undefined);
  let now = 1_000_000;
  // 30 pictures a second: 625 bytes of the low layer (150 kbit/s) and 1,250 of the upper (300 kbit/s).
  const run = (ms: number, key = false): SvcVerdict[] => {
    let last: SvcVerdict[] = [];
    for (let end = now + ms; now < end; now += 33) last = [filter.filter(vp9(0, { key, size: 625 }), now), filter.filter(vp9(1, { key, size: 1250 }), now)];
    return last;
  };
  run(2000);
  assert.equal(filter.current, 1, 'no estimate: every layer');
  preference.estimateBps = 250_000; // carries the low layer (150) but not both (450)
  assert.deepEqual(run(1000), ['end-of-picture', 'drop']);
  assert.equal(filter.current, 0);
});

test('skipped source packets leave no gap in the numbers sent, and a NACK still finds its packet', () => {
  const stream = new SendStream(1234, 90000, undefined);
  stream.map(42, 100, 0, 0);
  const first = stream.mappedSeq;
  stream.skip(); // source 101 left out
  stream.map(42, 102, 0, 0);
  assert.equal(stream.mappedSeq, (first + 1) & 0xffff);
  stream.skip(); // 103
  stream.skip(); // 104
  stream.map(42, 105, 0, 0);
  assert.equal(stream.mappedSeq, (first + 2) & 0xffff);
  assert.equal(stream.sourceSeq((first + 1) & 0xffff), 102);
  assert.equal(stream.sourceSeq((first + 2) & 0xffff), 105);
  assert.equal(stream.sourceSeq((first + 3) & 0xffff), undefined, 'a number not sent yet');
});
