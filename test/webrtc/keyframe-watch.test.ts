/**
 * A newly connected peer's key frame: asked for once at once, again every half second while only
 * other pictures go out, no more once a key frame's first packet went out, and never for codecs
 * whose key frames the packets do not show.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyframeWatch } from '../../src/elements/keyframe-watch.js';
import { RtpMedia } from '../../src/media/rtp-media.js';

const VP8 = { mimeType: 'video/VP8', clockRate: 90000 };

/** A VP8 packet: payload descriptor with S=1 (start of partition 0), then the picture's first byte. */
function vp8(keyframe: boolean): RtpMedia {
  const packet = Buffer.from([0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x10, keyframe ? 0x00 : 0x01, 0, 0]);
  return new RtpMedia('VIDEO', packet, VP8);
}

test('asks at once, again every half second while no key frame goes out, and stops at the first one', (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  let asked = 0;
  const watch = new KeyframeWatch(() => asked++);
  watch.start(Date.now());
  assert.equal(asked, 1);
  watch.onSent(vp8(false));
  t.mock.timers.tick(499);
  watch.onSent(vp8(false));
  assert.equal(asked, 1, 'not within half a second');
  t.mock.timers.tick(1);
  watch.onSent(vp8(false));
  assert.equal(asked, 2);
  watch.onSent(vp8(true));
  t.mock.timers.tick(5000);
  watch.onSent(vp8(false));
  assert.equal(asked, 2, 'the key frame went out: no more requests');
});

test('gives up after ten seconds, and does not watch codecs whose key frames it cannot see', (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  let asked = 0;
  const watch = new KeyframeWatch(() => asked++);
  watch.start(Date.now());
  for (let ms = 0; ms < 12_000; ms += 100) {
    t.mock.timers.tick(100);
    watch.onSent(vp8(false));
  }
  assert.equal(asked, 21, 'once at start and every half second for ten seconds');
  const other = new KeyframeWatch(() => asked++);
  other.start(Date.now());
  t.mock.timers.tick(1000);
  other.onSent(new RtpMedia('VIDEO', Buffer.alloc(20, 0x80), { mimeType: 'video/AV1', clockRate: 90000 }));
  t.mock.timers.tick(1000);
  other.onSent(new RtpMedia('VIDEO', Buffer.alloc(20, 0x80), { mimeType: 'video/AV1', clockRate: 90000 }));
  assert.equal(asked, 22);
});
