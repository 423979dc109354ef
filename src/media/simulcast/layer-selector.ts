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
import { LayerPolicy, type LayerPreference } from './layer-policy.js';

export type { LayerPreference } from './layer-policy.js';

/** Keyframe requests for a pending switch are repeated this often until the keyframe comes. */
const KEYFRAME_RETRY_MS = 500;

export class LayerSelector {
  current: SimulcastLayer | undefined;
  /** Switches made (getStats). */
  switches = 0;
  private lastDecisionMs = 0;
  private askedAtMs = 0;
  private readonly policy: LayerPolicy<SimulcastLayer>;

  constructor(preference: () => LayerPreference | undefined) {
    this.policy = new LayerPolicy(preference);
  }

  /** The layer decided on: the one the consumer gets, or is switching to. */
  get target(): SimulcastLayer | undefined {
    return this.policy.target;
  }

  /** Whether this packet of a layered source passes to the consumer. */
  accept(media: RtpMedia, layer: SimulcastLayer, nowMs: number): boolean {
    if (nowMs - this.lastDecisionMs >= 100) this.decide(layer, nowMs);
    const target = this.policy.target;
    if (layer === this.current && layer === target) return true;
    if (layer === target && isKeyframeStart(media.codec, media.buffer.subarray(payloadOffset(media.buffer)))) {
      this.current = layer;
      this.switches++;
      return true;
    }
    if (layer === target && nowMs - this.askedAtMs >= KEYFRAME_RETRY_MS) {
      this.askedAtMs = nowMs;
      layer.group.requestKeyframe(layer);
    }
    return layer === this.current;
  }

  /** A keyframe is wanted downstream: ask for one of the layer the consumer gets (or will get). */
  requestKeyframe(): boolean {
    const layer = this.policy.target ?? this.current;
    if (!layer) return false;
    layer.group.requestKeyframe(layer);
    return true;
  }

  private decide(any: SimulcastLayer, nowMs: number): void {
    this.lastDecisionMs = nowMs;
    const group = any.group;
    group.refresh(nowMs);
    const wanted = this.policy.decide(group.layers, this.current?.isActive(nowMs) ?? false, nowMs);
    if (!wanted) return;
    this.askedAtMs = nowMs;
    wanted.group.requestKeyframe(wanted);
  }
}
