/**
 * One decoded picture sent out of several source pads through a shared processing (a hub's grid,
 * out of each of its ports): each output format is encoded once, whatever the number of pads and
 * links, every link gets the same packets, and the members hear about transcoding. Pads leaving
 * or joining move their links; the encoder goes with its last sink.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AV_LOG_ERROR, AV_PIX_FMT_YUV420P, Frame, Log, Rational } from 'node-av';
import { H264, VP8 } from '../../src/media/codecs.js';
import { RAW_CAPS, type SinkCaps } from '../../src/media/processing/caps.js';
import { LinkRouter, type MediaSinkOwner, type RouterHooks } from '../../src/media/processing/link-router.js';
import type { RawMedia } from '../../src/media/processing/raw-media.js';
import { SharedPadOutput } from '../../src/media/processing/shared-output.js';
import { link, SinkPad, SourcePad, unlink } from '../../src/media/pads.js';
import { SenderTimeline } from '../../src/media/rtp-clock.js';
import type { MediaUnit, RtpMedia } from '../../src/media/rtp-media.js';
import { pollUntil } from '../helpers/poll.js';

// The codecs' banners and summaries are noise here.
Log.setLevel(AV_LOG_ERROR);

/** An element as the layer sees it: a router for its source pads, sinks that record what they get. */
class FakeElement implements MediaSinkOwner<FakeElement> {
  readonly packets = new Map<SinkPad<FakeElement>, RtpMedia[]>();
  readonly frames = new Map<SinkPad<FakeElement>, number>();
  readonly caps = new Map<SinkPad<FakeElement>, SinkCaps>();
  readonly transcoding: boolean[] = [];
  readonly router: LinkRouter<FakeElement>;

  constructor(readonly id: string) {
    const hooks: RouterHooks<FakeElement> = {
      timeline: () => new SenderTimeline(),
      bitrates: () => ({ start: 200_000, min: 0, max: 0 }),
      requestKeyframe: () => undefined,
      bitrateChanged: () => undefined,
      transcodingChanged: (_pad, on) => this.transcoding.push(on),
      failed: (_pad, message) => assert.fail(`${id}: ${message}`),
    };
    this.router = new LinkRouter(hooks);
  }

  sink(caps: SinkCaps): SinkPad<FakeElement> {
    const pad = new SinkPad(this, 'VIDEO', 'default');
    this.caps.set(pad, caps);
    return pad;
  }

  capsOf(pad: SinkPad<FakeElement>): SinkCaps {
    return this.caps.get(pad)!;
  }

  acceptMedia(pad: SinkPad<FakeElement>, unit: MediaUnit): void {
    if (unit.kind === 'DATA') return;
    const list = this.packets.get(pad) ?? [];
    list.push(unit);
    this.packets.set(pad, list);
  }

  acceptFrame(pad: SinkPad<FakeElement>): void {
    this.frames.set(pad, (this.frames.get(pad) ?? 0) + 1);
  }
}

/** A 320x240 grey picture stamped `timeUs`. */
function picture(timeUs: number): RawMedia {
  const frame = Frame.fromVideoBuffer(Buffer.alloc((320 * 240 * 3) / 2, 0x80), { width: 320, height: 240, format: AV_PIX_FMT_YUV420P, timeBase: new Rational(1, 1_000_000) });
  frame.pts = BigInt(timeUs);
  return { kind: 'VIDEO', frame };
}

const encoded = (codec: typeof VP8): SinkCaps => ({ accepts: 'encoded', codecs: [codec] });

test('two ports share one encoder per format; raw sinks get the frames; a leaving port takes its links along', async () => {
  const output = new SharedPadOutput<FakeElement>('VIDEO');
  const portA = new FakeElement('portA');
  const portB = new FakeElement('portB');
  const viewers = new FakeElement('viewers');
  const padA = new SourcePad(portA, 'VIDEO', 'default');
  const padB = new SourcePad(portB, 'VIDEO', 'default');
  portA.router.share(padA, output);
  portB.router.share(padB, output);
  const vp8A = viewers.sink(encoded(VP8));
  const vp8B = viewers.sink(encoded(VP8));
  const h264B = viewers.sink(encoded(H264));
  const rawA = viewers.sink(RAW_CAPS);
  link(padA, vp8A);
  link(padA, rawA);
  link(padB, vp8B);
  link(padB, h264B);

  let time = 1_000_000;
  const pushUntil = async (done: () => boolean, what: string): Promise<void> => {
    await pollUntil(
      async () => {
        const media = picture((time += 33_333));
        output.push(media);
        media.frame.free();
        return done();
      },
      (ok) => ok,
      10_000,
      what,
      30,
    );
  };
  await pushUntil(() => (viewers.packets.get(vp8A)?.length ?? 0) > 20 && (viewers.packets.get(h264B)?.length ?? 0) > 20, 'packets at the VP8 and H.264 sinks');

  const stats = output.processing.stats();
  assert.deepEqual(stats.encoders.map((e) => e.codec).sort(), ['video/H264', 'video/VP8'], 'one encoder per format for both ports');
  assert.equal(stats.rawConsumers, 1);
  assert.ok((viewers.frames.get(rawA) ?? 0) > 0, 'the raw sink got frames');
  // Both VP8 sinks got the very same packets: one encoding, two deliveries.
  const a = viewers.packets.get(vp8A)!;
  const b = viewers.packets.get(vp8B)!;
  const common = Math.min(a.length, b.length);
  assert.ok(a.slice(0, common).every((unit, i) => unit === b[i]), 'the same packet objects went to both VP8 sinks');
  assert.deepEqual([portA.transcoding[0], portB.transcoding[0]], [true, true], 'each member hears that its output is encoded');
  assert.equal(portA.router.stats('VIDEO')[0]?.shared, true);

  // Port B leaves the shared output: its links leave the shared encoders; H.264 had only B's sink.
  portB.router.unshare(padB);
  await pushUntil(() => output.processing.stats().encoders.length === 1, 'the H.264 encoder to go with its last sink');
  assert.equal(output.processing.stats().encoders[0]?.codec, 'video/VP8');
  const before = viewers.packets.get(vp8A)!.length;
  await pushUntil(() => viewers.packets.get(vp8A)!.length > before + 5, 'port A still served');

  // Port A's last links go: nothing is encoded any more.
  for (const edge of [...padA.links]) {
    portA.router.unlinked(edge);
    unlink(edge);
  }
  assert.equal(output.processing.stats().encoders.length, 0);
  assert.equal(output.processing.isEmpty, true);
  output.close();
  portA.router.close();
  portB.router.close();
});

test('a pad joining a shared output leaves its own processing: its links move over', async () => {
  const output = new SharedPadOutput<FakeElement>('VIDEO');
  const port = new FakeElement('port');
  const viewers = new FakeElement('viewers');
  const pad = new SourcePad(port, 'VIDEO', 'default');
  const sink = viewers.sink(encoded(VP8));
  link(pad, sink);
  // First its own frames: the pad's own processing encodes them.
  port.router.routeRaw(pad);
  const own = picture(1_000_000);
  port.router.pushRaw(pad, own);
  own.frame.free();
  assert.equal(port.router.stats('VIDEO').filter((s) => !s.shared).length, 1, 'its own processing');

  port.router.share(pad, output);
  assert.equal(port.router.stats('VIDEO').filter((s) => !s.shared).length, 0, 'its own processing is gone');
  let time = 2_000_000;
  await pollUntil(
    async () => {
      const media = picture((time += 33_333));
      output.push(media);
      media.frame.free();
      return output.processing.stats().encoders[0]?.framesOut ?? 0;
    },
    (n) => n > 3,
    10_000,
    'the shared encoder to take over',
    30,
  );
  output.close();
  port.router.close();
});
