/**
 * Which spatial layers of a VP9 SVC stream (RFC 9628; Chromium's L2T*_KEY and L3T*_KEY modes)
 * one viewer gets: those up to the layer the layer policy picks for it from its bandwidth
 * estimate, the loss it reports and its preferred maximum (the endpoint's maxSimulcastLayer), as
 * for simulcast (`media/simulcast/layer-policy.ts`; a layer costs what it and the layers below
 * it carry). Layers above it are dropped from its stream, and the last packet of its top layer in
 * each picture gets the RTP marker bit (which a picture's last packet carries).
 *
 * In the _KEY modes a spatial layer refers to the layers below it only in a key picture, and
 * otherwise to its own earlier pictures: going down is possible at any picture, going up only at
 * a key picture (asked for, and waited for). Streams without layer indices pass untouched.
 */
import { LayerPolicy, type LayerPreference, type RankedLayer } from '../media/simulcast/layer-policy.js';

/** Drop the packet, pass it, or pass it as the last packet of the picture this viewer gets. */
export type SvcVerdict = 'drop' | 'pass' | 'end-of-picture';

/** Key picture requests for a pending move up are repeated this often. */
const KEYFRAME_RETRY_MS = 500;
/** A layer not seen for this long no longer counts. */
const STALE_MS = 1000;
/** How often the layers' bitrates are measured, and the policy asked. */
const MEASURE_MS = 500;
const DECIDE_MS = 100;
const MAX_LAYERS = 8;

class SpatialLayer implements RankedLayer {
  /** Bits/s of this layer and the ones below it (what a viewer getting it receives). */
  bitrate = 0;
  /** Bits/s of this layer alone (smoothed). */
  own = 0;
  bytes = 0;
  private measuredBytes = 0;
  seenAtMs = Number.NEGATIVE_INFINITY;

  constructor(readonly index: number) {}

  isActive(nowMs: number): boolean {
    return nowMs - this.seenAtMs < STALE_MS;
  }

  measure(elapsedMs: number): void {
    const bps = ((this.bytes - this.measuredBytes) * 8000) / elapsedMs;
    this.measuredBytes = this.bytes;
    this.own = this.own === 0 ? bps : 0.6 * this.own + 0.4 * bps;
  }
}

export class Vp9SvcFilter {
  /** The highest layer passed now; -1 until the second picture (everything passes). */
  current = -1;
  /** Layer moves made (counters). */
  switches = 0;
  /** Whether the stream carried layer indices (it is layered: SVC). */
  layered = false;
  private readonly layers = Array.from({ length: MAX_LAYERS }, (_, i) => new SpatialLayer(i));
  private readonly policy: LayerPolicy<SpatialLayer>;
  private askedAtMs = 0;
  private measuredAtMs = 0;
  private decidedAtMs = 0;
  private pictures = 0;

  constructor(
    preference: () => LayerPreference | undefined,
    private readonly requestKeyframe: () => void,
  ) {
    this.policy = new LayerPolicy(preference);
  }

  /** What to do with a packet whose VP9 payload (descriptor first) is `payload`. */
  filter(payload: Buffer, nowMs: number): SvcVerdict {
    if (payload.length < 1) return 'pass';
    const b0 = payload[0]!;
    if ((b0 & 0x20) === 0) return 'pass'; // no layer indices
    this.layered = true;
    let offset = 1;
    if (b0 & 0x80) offset += payload.length > 1 && payload[1]! & 0x80 ? 2 : 1; // picture id
    if (payload.length <= offset) return 'pass';
    const sid = (payload[offset]! >> 1) & 0x07;
    const startOfLayerFrame = (b0 & 0x08) !== 0;
    const endOfLayerFrame = (b0 & 0x04) !== 0;
    const layer = this.layers[sid]!;
    layer.seenAtMs = nowMs;
    layer.bytes += payload.length;
    if (sid === 0 && startOfLayerFrame) {
      const keyPicture = (b0 & 0x40) === 0;
      if (keyPicture && b0 & 0x02) {
        // A key picture's scalability structure (V) says how many spatial layers it has: a layer
        // the publisher turns back on counts before its first packet of that picture arrives.
        const ssAt = offset + 1 + ((b0 & 0x10) === 0 ? 1 : 0); // after TL0PICIDX in non-flexible mode
        const announced = payload.length > ssAt ? (payload[ssAt]! >> 5) + 1 : 0;
        for (let i = 1; i < announced; i++) this.layers[i]!.seenAtMs = nowMs;
      }
      this.atPictureStart(keyPicture, nowMs);
    }
    if (this.current < 0) return 'pass';
    if (sid > this.current) return 'drop';
    return sid === this.current && endOfLayerFrame ? 'end-of-picture' : 'pass';
  }

  private atPictureStart(keyPicture: boolean, nowMs: number): void {
    if (nowMs - this.measuredAtMs >= MEASURE_MS) this.measure(nowMs);
    // The first picture passes whole: its layers show which ones the stream has.
    if (this.pictures++ === 0) return;
    const flowing = this.flowing(nowMs);
    if (this.current < 0 || keyPicture || nowMs - this.decidedAtMs >= DECIDE_MS) {
      this.decidedAtMs = nowMs;
      this.policy.decide(flowing, this.current >= 0 && this.layers[this.current]!.isActive(nowMs), nowMs);
    }
    const top = flowing.length - 1;
    const target = Math.min(this.policy.target?.index ?? top, top);
    if (this.current < 0) {
      // From the second picture: a key picture starts at the target, anything else at what it has.
      this.current = keyPicture ? target : top;
    } else if (target < this.current || (target > this.current && keyPicture)) {
      this.current = target;
      this.switches++;
    } else if (target > this.current && nowMs - this.askedAtMs >= KEYFRAME_RETRY_MS) {
      this.askedAtMs = nowMs;
      this.requestKeyframe();
    }
  }

  /** The layers from the lowest up to the highest flowing (all of them, for the policy's indices). */
  private flowing(nowMs: number): SpatialLayer[] {
    let top = 0;
    for (let sid = MAX_LAYERS - 1; sid > 0; sid--) {
      if (this.layers[sid]!.isActive(nowMs)) {
        top = sid;
        break;
      }
    }
    return this.layers.slice(0, top + 1);
  }

  private measure(nowMs: number): void {
    const elapsedMs = nowMs - this.measuredAtMs;
    this.measuredAtMs = nowMs;
    // The first measurement (or one after a long pause) only sets the starting point.
    const span = elapsedMs > 10 * MEASURE_MS ? Number.POSITIVE_INFINITY : elapsedMs;
    let below = 0;
    for (const layer of this.layers) {
      layer.measure(span);
      below += layer.own;
      layer.bitrate = below;
    }
  }
}
