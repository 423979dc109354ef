/**
 * Pads and links: the wiring of a pipeline.
 *
 * An element has one source pad (output) and one sink pad (input) per media kind and media
 * description. `link()` joins a source pad to a sink pad; a source pad feeds any number of sink
 * pads, a sink pad takes at most one source (linking another replaces the first, as in Kurento).
 * What travels along the links — packets downstream, keyframe and bitrate requests upstream —
 * is added by the media plane on top of this wiring.
 */
import type { LinkFeed } from './processing/pad-processing.js';
import type { LayerPreference, LayerSelector } from './simulcast/layer-selector.js';
import type { RtpMedia } from './rtp-media.js';
import type { MediaKind } from './types.js';

/** The element side of a pad: whoever owns it. */
export interface PadOwner {
  readonly id: string;
}

abstract class Pad<Owner extends PadOwner> {
  constructor(
    readonly owner: Owner,
    readonly kind: MediaKind,
    readonly description: string,
  ) {}

  /** KMS-style pad name, reported in flow events (`sink_video_default`, `src_audio_default`). */
  abstract get name(): string;
}

export class SourcePad<Owner extends PadOwner = PadOwner> extends Pad<Owner> {
  readonly links = new Set<Link<Owner>>();
  /** Sees every packet the pad sends while the decoded-media layer decodes it (its decoder). */
  tap: ((unit: RtpMedia, nowMs: number) => void) | undefined;
  /** Which layer of a simulcast source the tap gets (the best there is). */
  tapLayers: LayerSelector | undefined;

  get name(): string {
    return `src_${this.kind.toLowerCase()}_${this.description}`;
  }
}

export class SinkPad<Owner extends PadOwner = PadOwner> extends Pad<Owner> {
  link: Link<Owner> | undefined;
  /** Bumped whenever what the pad takes changes (a negotiation, a forced format): links re-route. */
  capsVersion = 0;
  /** What the element wants of a simulcast source feeding this pad (none: the best layer). */
  layerPreference: LayerPreference | undefined;

  get name(): string {
    return `sink_${this.kind.toLowerCase()}_${this.description}`;
  }
}

export class Link<Owner extends PadOwner = PadOwner> {
  /** Bitrate (bits/s) the sink side can take; 0 means it states no limit. */
  wantedBitrate = 0;
  /**
   * Routing, decided by the media layer when the media or the sink's caps change (both compared
   * by identity on every packet): the codec (or decoded media) last routed, the sink's caps
   * version then, whether the source's media passes as it is, and otherwise what feeds the sink.
   */
  routedMedia: object | undefined;
  routedCaps = -1;
  passes = false;
  feed: LinkFeed | undefined;
  /** Which layer of a simulcast source passes along this link, once one arrives. */
  layers: LayerSelector | undefined;

  constructor(
    readonly source: SourcePad<Owner>,
    readonly sink: SinkPad<Owner>,
  ) {}

  get kind(): MediaKind {
    return this.source.kind;
  }
}

/** Joins two pads. The caller has already unlinked whatever fed the sink pad before. */
export function link<Owner extends PadOwner>(source: SourcePad<Owner>, sink: SinkPad<Owner>): Link<Owner> {
  if (source.kind !== sink.kind) throw new Error(`Cannot link ${source.kind} to ${sink.kind}`);
  if (sink.link) throw new Error(`Sink pad ${sink.name} of ${sink.owner.id} is already linked`);
  const created = new Link(source, sink);
  source.links.add(created);
  sink.link = created;
  return created;
}

export function unlink<Owner extends PadOwner>(existing: Link<Owner>): void {
  existing.source.links.delete(existing);
  if (existing.sink.link === existing) existing.sink.link = undefined;
}

/** Pads of one direction, created on first use and keyed by kind and description. */
export class PadSet<P extends SourcePad<Owner> | SinkPad<Owner>, Owner extends PadOwner> {
  private readonly pads = new Map<string, P>();

  constructor(private readonly create: (kind: MediaKind, description: string) => P) {}

  get(kind: MediaKind, description: string): P {
    const key = `${kind}/${description}`;
    let pad = this.pads.get(key);
    if (!pad) {
      pad = this.create(kind, description);
      this.pads.set(key, pad);
    }
    return pad;
  }

  find(kind: MediaKind, description: string): P | undefined {
    return this.pads.get(`${kind}/${description}`);
  }

  all(): P[] {
    return [...this.pads.values()];
  }
}
