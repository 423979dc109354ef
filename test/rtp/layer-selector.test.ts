/**
 * The choice of simulcast layer for one viewer, driven by a fake clock: three layers flowing at
 * fixed rates, the viewer's bandwidth estimate set by the test, every packet a key frame (so a
 * switch completes as soon as it is decided).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VP8 } from '../../src/media/codecs.js';
import { RtpMedia } from '../../src/media/rtp-media.js';
import { LayerSelector, type LayerPreference } from '../../src/media/simulcast/layer-selector.js';
import { SimulcastGroup, type LayerStream } from '../../src/rtp/simulcast-group.js';

const STEP_MS = 50;

/** A VP8 key frame's first packet: RTP header, payload descriptor with S set, P bit clear. */
const KEYFRAME = new RtpMedia('VIDEO', Buffer.concat([Buffer.from([0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]), Buffer.from([0x10, 0x00, 0x9d, 0x01, 0x2a])]), VP8);

class Rig {
  readonly group = new SimulcastGroup(['q', 'h', 'f'], 10, undefined);
  readonly preference: LayerPreference = { estimateBps: 0, maxLayer: -1 };
  readonly selector = new LayerSelector(() => this.preference);
  private readonly streams: LayerStream[];
  nowMs = 1_000_000;

  constructor(private readonly ratesBps: number[]) {
    this.streams = this.group.layers.map((layer, i) => {
      const stream: LayerStream = { ssrc: 1000 + i, bytes: 0, layer };
      layer.stream = stream;
      return stream;
    });
  }

  /** Runs the clock for `ms`, every layer sending; returns the layer indexes the viewer got. */
  run(ms: number): number[] {
    const got: number[] = [];
    for (let end = this.nowMs + ms; this.nowMs < end; this.nowMs += STEP_MS) {
      this.group.layers.forEach((layer, i) => {
        (this.streams[i] as { bytes: number }).bytes += (this.ratesBps[i]! * STEP_MS) / 8000;
        layer.lastPacketMs = this.nowMs;
        if (this.selector.accept(KEYFRAME, layer, this.nowMs)) got.push(i);
      });
    }
    return got;
  }
}

/** A viewer with a generous estimate, settled on the top layer. */
function onTopLayer(ratesBps: number[]): Rig {
  const rig = new Rig(ratesBps);
  rig.preference.estimateBps = 800_000;
  rig.run(5000);
  assert.equal(rig.selector.current?.index, 2, 'each layer in turn up to the top');
  return rig;
}

test('a viewer whose link congested tries no layer beyond its estimate, until the congestion is old news', () => {
  // The layers of a 640x480 Chromium publisher; the viewer's link carries about 280 kbit/s.
  const rig = new Rig([130_000, 360_000, 600_000]);
  rig.run(2000);
  assert.equal(rig.selector.current?.index, 2, 'no estimate yet: the top layer');

  rig.preference.estimateBps = 236_000;
  rig.run(1000);
  assert.equal(rig.selector.current?.index, 0, 'congested: the layer that fits');

  // The middle layer is within reach of a try (1.6 times the estimate), but beyond the estimate.
  const meanwhile = rig.run(25_000);
  assert.deepEqual(new Set(meanwhile), new Set([0]), 'no try of a higher layer for 25 s');

  rig.run(6000);
  assert.equal(rig.selector.current?.index, 1, 'a try of the next layer once the congestion is 30 s old');
});

test('an estimate that only dips a little below the layer is tried again soon', () => {
  const rig = onTopLayer([130_000, 400_000, 526_000]);
  rig.preference.estimateBps = 430_000;
  rig.run(1000);
  assert.equal(rig.selector.current?.index, 1, 'the dip: the layer that fits');
  rig.run(3000);
  assert.equal(rig.selector.current?.index, 2, 'back on the top layer on a try');
});

test('after a clear fall, the viewer climbs as its estimate carries each layer again', () => {
  const rig = onTopLayer([130_000, 400_000, 526_000]);
  rig.preference.estimateBps = 300_000;
  rig.run(1000);
  assert.equal(rig.selector.current?.index, 0, 'the layer that fits');
  rig.preference.estimateBps = 500_000;
  rig.run(3000);
  assert.equal(rig.selector.current?.index, 1, 'the middle layer once the estimate carries it');
  assert.deepEqual(new Set(rig.run(5000)), new Set([1]), 'no try of the top layer, which the estimate does not carry');
  rig.preference.estimateBps = 600_000;
  rig.run(2000);
  assert.equal(rig.selector.current?.index, 2, 'the top layer once the estimate carries it');
});

test('a raised maximum layer is taken at once; after a clear fall, only as far as the estimate carries', () => {
  const rig = new Rig([130_000, 360_000, 600_000]);
  rig.preference.maxLayer = 0;
  rig.preference.estimateBps = 300_000;
  rig.run(2000);
  assert.equal(rig.selector.current?.index, 0);
  rig.preference.maxLayer = -1;
  rig.run(200);
  assert.equal(rig.selector.current?.index, 2, 'straight to the top layer, beyond the estimate');

  rig.preference.estimateBps = 200_000;
  rig.run(1000);
  assert.equal(rig.selector.current?.index, 0, 'a clear fall');
  rig.preference.maxLayer = 0;
  rig.run(200);
  rig.preference.estimateBps = 450_000;
  rig.preference.maxLayer = -1;
  rig.run(200);
  assert.equal(rig.selector.current?.index, 1, 'the layer the estimate carries, after the clear fall');
});

test('loss moves the viewer one layer down; it tries again after a quiet period', () => {
  const rig = onTopLayer([130_000, 360_000, 600_000]);
  rig.preference.loss = 0.1;
  rig.preference.lossAtMs = rig.nowMs;
  rig.run(1000);
  assert.equal(rig.selector.current?.index, 1, 'loss: one layer down');
  rig.run(2500);
  assert.equal(rig.selector.current?.index, 2, 'the top layer again');
});

test('a measured estimate (our own, with probes): no try beyond it, even long after a dip; the next layer once it carries it', () => {
  const rig = onTopLayer([130_000, 400_000, 526_000]);
  rig.preference.measured = true;
  rig.preference.estimateBps = 430_000;
  rig.run(1000);
  assert.equal(rig.selector.current?.index, 1, 'the dip: the layer that fits');
  assert.deepEqual(new Set(rig.run(40_000)), new Set([1]), 'no try of the top layer, which the estimate does not carry');
  rig.preference.estimateBps = 600_000;
  rig.run(2000);
  assert.equal(rig.selector.current?.index, 2, 'the top layer once the estimate carries it');
});
