/**
 * Which spatial layers of a VP9 SVC stream (RFC 9628; Chromium's L2T*_KEY and L3T*_KEY modes)
 * one viewer gets: those up to its preferred maximum (the endpoint's maxSimulcastLayer; choosing
 * by the viewer's bandwidth estimate is not done yet). Layers above it are dropped from its
 * stream, and the last packet of its top layer in each picture gets the RTP marker bit (which a
 * picture's last packet carries).
 *
 * In the _KEY modes a spatial layer refers to the layers below it only in a key picture, and
 * otherwise to its own earlier pictures: going down is possible at any picture, going up only at
 * a key picture (asked for, and waited for). Streams without layer indices pass untouched.
 */

/** Drop the packet, pass it, or pass it as the last packet of the picture this viewer gets. */
export type SvcVerdict = 'drop' | 'pass' | 'end-of-picture';

/** Key picture requests for a pending move up are repeated this often. */
const KEYFRAME_RETRY_MS = 500;
/** A layer not seen for this long no longer counts. */
const STALE_MS = 1000;
const MAX_LAYERS = 8;

export class Vp9SvcFilter {
  /** The highest spatial layer wanted (0 the lowest); -1 for no limit. */
  maxLayer = -1;
  /** The highest layer passed now; -1 until the second picture (everything passes). */
  current = -1;
  /** Layer moves made (counters). */
  switches = 0;
  /** Whether the stream carried layer indices (it is layered: SVC). */
  layered = false;
  private readonly seenAtMs = new Float64Array(MAX_LAYERS);
  private askedAtMs = 0;
  private pictures = 0;

  constructor(private readonly requestKeyframe: () => void) {}

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
    this.seenAtMs[sid] = nowMs;
    if (sid === 0 && startOfLayerFrame) {
      // A key picture's scalability structure (V) says how many spatial layers it has: a layer
      // the publisher turns back on is known before its first packet of that picture.
      const keyPicture = (b0 & 0x40) === 0;
      const ssAt = offset + 1 + ((b0 & 0x10) === 0 ? 1 : 0); // after TL0PICIDX in non-flexible mode
      const announced = keyPicture && b0 & 0x02 && payload.length > ssAt ? (payload[ssAt]! >> 5) + 1 : 0;
      this.atPictureStart(keyPicture, announced, nowMs);
    }
    if (this.current < 0) return 'pass';
    if (sid > this.current) return 'drop';
    return sid === this.current && endOfLayerFrame ? 'end-of-picture' : 'pass';
  }

  private atPictureStart(keyPicture: boolean, announcedLayers: number, nowMs: number): void {
    // The first picture passes whole: its layers show which ones the stream has.
    if (this.pictures++ === 0) return;
    const top = announcedLayers > 0 ? announcedLayers - 1 : this.topSeen(nowMs);
    const target = this.maxLayer >= 0 ? Math.min(this.maxLayer, top) : top;
    if (this.current < 0) {
      // From the second picture: a key picture starts at the target, anything else at what it has.
      this.current = keyPicture ? target : top;
    } else if (target < this.current || (target > this.current && keyPicture)) {
      this.move(target);
    } else if (target > this.current && nowMs - this.askedAtMs >= KEYFRAME_RETRY_MS) {
      this.askedAtMs = nowMs;
      this.requestKeyframe();
    }
  }

  private move(layer: number): void {
    this.current = layer;
    this.switches++;
  }

  private topSeen(nowMs: number): number {
    for (let sid = MAX_LAYERS - 1; sid > 0; sid--) if (nowMs - this.seenAtMs[sid]! < STALE_MS) return sid;
    return 0;
  }
}
