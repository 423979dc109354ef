/**
 * The simulcast layers one peer sends of one media kind (RFC 8853: `a=rid` / `a=simulcast`):
 * which incoming stream carries which RID, the order of the layers (lowest first), and what each
 * one carries now (bits per second, and whether it still flows — a sender drops its upper layers
 * when its own uplink shrinks).
 *
 * The session that receives the layers builds the group and binds each SSRC to its RID when the
 * rtp-stream-id header extension first names it; every packet of a layer then carries the layer
 * through its `ReceiveStream`, so the media plane can choose per consumer which one to pass
 * (`media/simulcast/layer-selector.ts`) without knowing anything of RTP sessions.
 */
/** What a layer needs of the incoming stream carrying it (a `ReceiveStream`). */
export interface LayerStream {
  readonly ssrc: number;
  /** Payload bytes received so far. */
  readonly bytes: number;
  layer: SimulcastLayer | undefined;
}

import { findExtension } from './rtp-header.js';

/** A layer that sent nothing for this long no longer counts as available. */
const STALE_MS = 1000;
/** How often the layers' bitrates are measured. */
const MEASURE_INTERVAL_MS = 500;

export class SimulcastLayer {
  /** The incoming stream carrying it, once its first packet named it. */
  stream: LayerStream | undefined;
  /** Measured bits per second (smoothed), 0 until measured. */
  bitrate = 0;
  lastPacketMs = 0;
  private lastBytes = 0;

  constructor(
    readonly group: SimulcastGroup,
    readonly rid: string,
    /** 0 is the lowest layer. */
    readonly index: number,
  ) {}

  isActive(nowMs: number): boolean {
    return this.stream !== undefined && nowMs - this.lastPacketMs < STALE_MS;
  }

  /** Folds the bytes received since the last measurement into the smoothed bitrate. */
  measure(elapsedMs: number): void {
    const bytes = this.stream?.bytes ?? 0;
    const bps = ((bytes - this.lastBytes) * 8 * 1000) / elapsedMs;
    this.lastBytes = bytes;
    this.bitrate = this.bitrate === 0 ? bps : 0.6 * this.bitrate + 0.4 * bps;
  }
}

export class SimulcastGroup {
  readonly layers: SimulcastLayer[];
  private lastMeasureMs = 0;
  /** RTX SSRCs learnt from repaired-rtp-stream-id, with the SSRC each repairs. */
  private readonly rtxRepairs = new Map<number, number>();
  /** Asks the sender for a keyframe on one layer (PLI to its SSRC); set by the receiving session. */
  requestKeyframe: (layer: SimulcastLayer) => void = () => undefined;

  /**
   * `rids`: the layers in the order the sender listed them in `a=simulcast`, lowest first;
   * the ids of the rtp-stream-id and repaired-rtp-stream-id header extensions (none in the
   * legacy form, whose streams are bound by SSRC from the start).
   */
  constructor(
    rids: readonly string[],
    private readonly ridExtension: number | undefined,
    private readonly repairedRidExtension: number | undefined,
  ) {
    this.layers = rids.map((rid, index) => new SimulcastLayer(this, rid, index));
  }

  /**
   * A packet of an SSRC not seen before: binds it to the layer its RID names (`stream` makes its
   * incoming stream), or for an RTX stream learns which SSRC it repairs. False when the packet
   * names nothing we know (it is dropped; its sender names it again in later packets).
   */
  claim(packet: Buffer, ssrc: number, isRtx: boolean, stream: () => LayerStream): boolean {
    if (isRtx) {
      if (this.rtxRepairs.has(ssrc)) return true;
      const rid = this.repairedRidExtension === undefined ? undefined : readRid(packet, this.repairedRidExtension);
      const repaired = rid === undefined ? undefined : this.byRid(rid)?.stream;
      if (!repaired) return false;
      this.rtxRepairs.set(ssrc, repaired.ssrc);
      return true;
    }
    const rid = this.ridExtension === undefined ? undefined : readRid(packet, this.ridExtension);
    return rid !== undefined && this.byRid(rid) !== undefined && this.bind(rid, stream());
  }

  /** The SSRC an RTX stream repairs, once learnt. */
  repairedBy(rtxSsrc: number): number | undefined {
    return this.rtxRepairs.get(rtxSsrc);
  }

  byRid(rid: string): SimulcastLayer | undefined {
    return this.layers.find((l) => l.rid === rid);
  }

  /** Ties an incoming stream to its layer (the stream then reports its packets to it). */
  bind(rid: string, stream: LayerStream): boolean {
    const layer = this.byRid(rid);
    if (!layer) return false;
    layer.stream = stream;
    stream.layer = layer;
    return true;
  }

  /** The highest layer that flows now, or undefined when none does. */
  topActive(nowMs: number): SimulcastLayer | undefined {
    for (let i = this.layers.length - 1; i >= 0; i--) if (this.layers[i]!.isActive(nowMs)) return this.layers[i];
    return undefined;
  }

  /** Refreshes the layers' bitrates, at most every MEASURE_INTERVAL_MS (called by consumers). */
  refresh(nowMs: number): void {
    const elapsed = nowMs - this.lastMeasureMs;
    if (elapsed < MEASURE_INTERVAL_MS) return;
    this.lastMeasureMs = nowMs;
    if (elapsed > 10 * MEASURE_INTERVAL_MS) {
      // The first measurement (or one after a long pause) only sets the starting point.
      for (const layer of this.layers) layer.measure(Number.POSITIVE_INFINITY);
      return;
    }
    for (const layer of this.layers) layer.measure(elapsed);
  }
}

/** The RID an RTP packet's rtp-stream-id (or repaired-rtp-stream-id) extension carries. */
function readRid(packet: Buffer, extensionId: number): string | undefined {
  const found = findExtension(packet, packet.length, extensionId);
  return found ? packet.toString('ascii', found[0], found[0] + found[1]) : undefined;
}
