/**
 * One consumer's view of a simulcast source: of the layers a publisher sends, which one passes to
 * this consumer (a link to a viewer's endpoint, or the decoder of the decoded-media layer).
 *
 * The target is the highest layer that flows, is no higher than the consumer's preferred maximum,
 * and fits in the consumer's bandwidth estimate (its peer's REMB); with no estimate, the highest.
 * The consumer keeps receiving its current layer until the target's next keyframe (asked for at
 * once, and again every 500 ms): a switch then never hands the viewer a picture that refers to
 * pictures it did not get. The sending endpoint keeps SSRC, sequence numbers, timestamps and VP8
 * picture ids continuous across it (`rtp/send-stream.ts`, `rtp/vp8-picture-ids.ts`).
 */
import { isKeyframeStart, type RtpMedia } from '../rtp-media.js';
import { payloadOffset } from '../../rtp/rtp-header.js';
import type { SimulcastLayer } from '../../rtp/simulcast-group.js';

/** What a consumer wants of a simulcast source (set by the element owning the sink pad). */
export interface LayerPreference {
  /** What the consumer's link can carry, bits/s; 0 when unknown (the top layer is taken). */
  estimateBps: number;
  /** The highest layer it wants (0 is the lowest); -1 for no limit. */
  maxLayer: number;
}

/** A new target must hold for this long before the switch is asked for (estimates wobble). */
const DOWN_HOLD_MS = 300;
/** Keyframe requests for a pending switch are repeated this often until the keyframe comes. */
const KEYFRAME_RETRY_MS = 500;
/** An upper layer is taken only when the estimate exceeds its bitrate by this factor. */
const UP_HEADROOM = 1.15;

export class LayerSelector {
  current: SimulcastLayer | undefined;
  target: SimulcastLayer | undefined;
  /** Switches made (getStats). */
  switches = 0;
  private lastDecisionMs = 0;
  private lowerSinceMs = 0;
  private askedAtMs = 0;

  constructor(private readonly preference: () => LayerPreference | undefined) {}

  /** Whether this packet of a layered source passes to the consumer. */
  accept(media: RtpMedia, layer: SimulcastLayer, nowMs: number): boolean {
    if (nowMs - this.lastDecisionMs >= 100) this.decide(layer, nowMs);
    if (layer === this.current && layer === this.target) return true;
    if (layer === this.target && isKeyframeStart(media.codec, media.buffer.subarray(payloadOffset(media.buffer)))) {
      this.current = layer;
      this.switches++;
      return true;
    }
    if (layer === this.target && nowMs - this.askedAtMs >= KEYFRAME_RETRY_MS) {
      this.askedAtMs = nowMs;
      layer.group.requestKeyframe(layer);
    }
    return layer === this.current;
  }

  /** A keyframe is wanted downstream: ask for one of the layer the consumer gets (or will get). */
  requestKeyframe(): boolean {
    const layer = this.target ?? this.current;
    if (!layer) return false;
    layer.group.requestKeyframe(layer);
    return true;
  }

  private decide(any: SimulcastLayer, nowMs: number): void {
    this.lastDecisionMs = nowMs;
    const group = any.group;
    group.refresh(nowMs);
    const wanted = this.choose(group.layers, nowMs);
    if (!wanted || wanted === this.target) {
      this.lowerSinceMs = 0;
      return;
    }
    // Going down waits a little (a REMB dip), unless the current layer stopped flowing.
    const currentGone = !this.current?.isActive(nowMs);
    if (this.target && wanted.index < this.target.index && !currentGone) {
      if (this.lowerSinceMs === 0) this.lowerSinceMs = nowMs;
      if (nowMs - this.lowerSinceMs < DOWN_HOLD_MS) return;
    }
    this.lowerSinceMs = 0;
    this.target = wanted;
    this.askedAtMs = nowMs;
    wanted.group.requestKeyframe(wanted);
  }

  /** The layer this consumer should receive now. */
  private choose(layers: readonly SimulcastLayer[], nowMs: number): SimulcastLayer | undefined {
    const preference = this.preference();
    const maxLayer = preference && preference.maxLayer >= 0 ? preference.maxLayer : layers.length - 1;
    const estimate = preference?.estimateBps ?? 0;
    let best: SimulcastLayer | undefined;
    let lowest: SimulcastLayer | undefined;
    for (const layer of layers) {
      if (!layer.isActive(nowMs)) continue;
      lowest ??= layer;
      if (layer.index > maxLayer) continue;
      const fits =
        estimate <= 0 ||
        layer.bitrate === 0 ||
        (layer === this.current || layer === this.target ? layer.bitrate <= estimate : layer.bitrate * UP_HEADROOM <= estimate);
      if (fits || !best) best = layer;
    }
    return best ?? lowest;
  }
}
