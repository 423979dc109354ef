/**
 * Decoded media that several source pads send alike — a hub's picture, sent out of each of its
 * ports — with one processing for all of them: each output format is encoded once and its
 * packets go to the sinks of every pad, where a processing per pad would encode the same picture
 * once per pad (KMS encodes per port).
 *
 *                       ┌── port 1's links ─┐
 *   frames ── shared ───┼── port 2's links ─┼── one VP8 encoder, one H.264 encoder, raw links
 *                       └── port 3's links ─┘
 *
 * The owner (the hub) pushes each frame once; before it goes, every member pad's links whose sink
 * changed what it takes are routed again. The members' elements hear about transcoding and
 * failures as if the processing were their own; the encoders' bitrate bounds combine the
 * `encoderBitrate`/`minEncoderBitrate`/`maxEncoderBitrate` of the members that have links (the
 * strictest bounds, the lowest start). One encoder per format means one bitrate per format: it follows the lowest
 * bitrate its sinks can take, the price of encoding once.
 */
import type { Link, PadOwner, SourcePad } from '../pads.js';
import { SenderTimeline } from '../rtp-clock.js';
import { linkDelivery, type MediaSinkOwner, type SharedPadMember, type SharedPadSource } from './link-router.js';
import { PadProcessing } from './pad-processing.js';
import type { RawMedia } from './raw-media.js';
import type { EncoderBitrates } from './shared-encoder.js';

export class SharedPadOutput<O extends MediaSinkOwner<O> & PadOwner> implements SharedPadSource<O> {
  readonly processing: PadProcessing<Link<O>>;
  private readonly members = new Map<SourcePad<O>, SharedPadMember<O>>();

  constructor(readonly kind: 'AUDIO' | 'VIDEO') {
    this.processing = new PadProcessing<Link<O>>(kind, true, {
      // Frames made here are stamped on this worker's clock: there is no sender to map.
      timeline: new SenderTimeline(),
      ...linkDelivery<O>(),
      bitrates: () => this.bitrates(),
      requestSourceKeyframe: () => undefined, // never called: the frames are made here
      transcodingChanged: (on) => {
        for (const [pad, member] of this.members) member.hooks.transcodingChanged(pad, on, false);
      },
      failed: (message) => {
        for (const [pad, member] of this.members) member.hooks.failed(pad, message);
      },
    });
  }

  /** The pads sending this media now. */
  get pads(): IterableIterator<SourcePad<O>> {
    return this.members.keys();
  }

  join(pad: SourcePad<O>, member: SharedPadMember<O>): void {
    this.members.set(pad, member);
  }

  leave(pad: SourcePad<O>): void {
    this.members.delete(pad);
  }

  /** One frame for every member pad's links: routed where needed, encoded once per format. */
  push(media: RawMedia): void {
    for (const member of this.members.values()) member.route();
    this.processing.onRaw(media);
  }

  close(): void {
    this.processing.close();
    this.members.clear();
  }

  private bitrates(): EncoderBitrates {
    let start = 0;
    let min = 0;
    let max = 0;
    for (const [pad, member] of this.members) {
      if (pad.links.size === 0) continue; // a pad nobody takes from has no say
      const b = member.hooks.bitrates();
      if (b.start > 0 && (start === 0 || b.start < start)) start = b.start;
      if (b.min > min) min = b.min;
      if (b.max > 0 && (max === 0 || b.max < max)) max = b.max;
    }
    return { start: start || 300_000, min, max };
  }
}
