/**
 * The decoded-media layer as an element uses it: for each link out of the element's source pads,
 * how the link gets its media (as it is, through a shared encoder, or decoded), and the
 * processing (decoder, encoders) of each source pad that needs one. The element calls `route`
 * when a link's media or its sink's caps changed (not per packet), hands the layer decoded
 * frames it made (`pushRaw`), and tells it when a link goes (`unlinked`).
 *
 * A source pad may instead send decoded media that several pads send alike (a hub's picture, out
 * of each of its ports): `share` attaches the pad's links to that media's one processing
 * (`SharedPadSource`, owned and fed elsewhere), so every format is encoded once for all the pads.
 */
import type { Link, SinkPad, SourcePad, PadOwner } from '../pads.js';
import type { SenderTimeline } from '../rtp-clock.js';
import type { MediaUnit, RtpMedia } from '../rtp-media.js';
import type { MediaKind } from '../types.js';
import { RAW, chooseRoute, type RoutedMedia, type SinkCaps } from './caps.js';
import { PadProcessing, type PadProcessingHooks, type ProcessingStats } from './pad-processing.js';
import type { RawMedia } from './raw-media.js';
import type { EncoderBitrates } from './shared-encoder.js';

/** What the layer needs of the element owning a sink pad. */
export interface MediaSinkOwner<O extends PadOwner> extends PadOwner {
  capsOf(pad: SinkPad<O>): SinkCaps;
  acceptMedia(pad: SinkPad<O>, unit: MediaUnit): void;
  acceptFrame(pad: SinkPad<O>, media: RawMedia): void;
}

/** What the layer needs of the element owning the source pads. */
export interface RouterHooks<O extends PadOwner> {
  /** The sender's clock shared by the element's decoders. */
  timeline(): SenderTimeline;
  /** The element's encoderBitrate / minEncoderBitrate / maxEncoderBitrate. */
  bitrates(): EncoderBitrates;
  /** Ask whatever feeds a source pad for a key frame. */
  requestKeyframe(pad: SourcePad<O>): void;
  /** What a source pad's direct sinks can take changed (a link moved to or from an encoder). */
  bitrateChanged(pad: SourcePad<O>): void;
  /** Whether a pad's media is transcoded now; `first`: media just started, and passes as it is. */
  transcodingChanged(pad: SourcePad<O>, transcoding: boolean, first: boolean): void;
  failed(pad: SourcePad<O>, message: string): void;
}

export type PadStats = ProcessingStats & { mediaType: MediaKind; description: string; shared?: boolean };

/** One pad among those sending a shared media, as its owner sees it. */
export interface SharedPadMember<O extends PadOwner> {
  /** Routes the pad's links whose sink changed what it takes (before each frame). */
  route(): void;
  /** The hooks of the element owning the pad (transcoding state, bitrates, failures). */
  readonly hooks: RouterHooks<O>;
}

/** Decoded media sent out of several source pads, through one processing (see `shared-output.ts`). */
export interface SharedPadSource<O extends PadOwner> {
  readonly kind: 'AUDIO' | 'VIDEO';
  readonly processing: PadProcessing<Link<O>>;
  join(pad: SourcePad<O>, member: SharedPadMember<O>): void;
  leave(pad: SourcePad<O>): void;
}

/** How the layer hands media to a link's sink, whoever owns the processing. */
export function linkDelivery<O extends MediaSinkOwner<O>>(): Pick<PadProcessingHooks<Link<O>>, 'deliverEncoded' | 'deliverRaw' | 'wantedBitrate'> {
  return {
    deliverEncoded: (edge, unit) => edge.sink.owner.acceptMedia(edge.sink, unit),
    deliverRaw: (edge, media) => edge.sink.owner.acceptFrame(edge.sink, media),
    wantedBitrate: (edge) => edge.wantedBitrate,
  };
}

export class LinkRouter<O extends MediaSinkOwner<O>> {
  private readonly processing = new Map<SourcePad<O>, PadProcessing<Link<O>>>();
  /** Pads whose links are fed by a processing shared with other pads. */
  private readonly shared = new Map<SourcePad<O>, SharedPadSource<O>>();

  constructor(private readonly hooks: RouterHooks<O>) {}

  /** Chooses how a link gets the media its source pad now sends. */
  route(edge: Link<O>, media: RoutedMedia): void {
    edge.routedMedia = media;
    edge.routedCaps = edge.sink.capsVersion;
    const pad = edge.source;
    const route = chooseRoute(edge.sink.owner.capsOf(edge.sink), media, pad.kind);
    const wasFed = edge.feed !== undefined;
    edge.passes = route.via === 'direct';
    if (route.via === 'encoder' || route.via === 'raw') {
      edge.feed = this.processingFor(pad, media === RAW).attach(edge, route);
    } else if (edge.feed) {
      edge.feed.detach();
      edge.feed = undefined;
      this.dropIdle(pad);
    }
    if (route.via === 'direct' && pad.kind !== 'DATA') this.hooks.transcodingChanged(pad, false, true);
    if (wasFed !== (edge.feed !== undefined)) this.hooks.bitrateChanged(pad);
  }

  /** Routes again the links of a pad sending decoded media whose sink changed what it takes. */
  routeRaw(pad: SourcePad<O>): void {
    for (const edge of pad.links) {
      if (edge.routedMedia !== RAW || edge.routedCaps !== edge.sink.capsVersion) this.route(edge, RAW);
    }
  }

  /**
   * Decoded media the element made for a source pad: encoded for the sinks that want packets. A
   * pad that shares its media with others is fed by the shared processing's owner, once for all.
   */
  pushRaw(pad: SourcePad<O>, media: RawMedia): void {
    if (!this.shared.has(pad)) this.processing.get(pad)?.onRaw(media);
  }

  /**
   * From now on the pad sends `source`'s decoded media, encoded once for every pad sharing it.
   * Links the pad's own processing fed move over.
   */
  share(pad: SourcePad<O>, source: SharedPadSource<O>): void {
    if (this.shared.get(pad) === source) return;
    this.unshare(pad);
    for (const edge of pad.links) this.forget(edge);
    this.dropIdle(pad);
    this.shared.set(pad, source);
    source.join(pad, { route: () => this.routeRaw(pad), hooks: this.hooks });
  }

  /** The pad stops sending the shared media; its links are routed again by what it sends next. */
  unshare(pad: SourcePad<O>): void {
    const source = this.shared.get(pad);
    if (!source) return;
    for (const edge of pad.links) this.forget(edge);
    this.shared.delete(pad);
    source.leave(pad);
    if (source.processing.transcoding) this.hooks.transcodingChanged(pad, false, false);
  }

  /** A link out of the element goes: its encoder or decoder goes too if nothing else needs it. */
  unlinked(edge: Link<O>): void {
    if (!edge.feed) return;
    edge.feed.detach();
    edge.feed = undefined;
    this.dropIdle(edge.source);
  }

  isTranscoding(pad: SourcePad<O>): boolean {
    return (this.shared.get(pad)?.processing ?? this.processing.get(pad))?.transcoding === true;
  }

  stats(kind: MediaKind | undefined): PadStats[] {
    const out: PadStats[] = [];
    for (const [pad, processing] of this.processing) {
      if (kind === undefined || pad.kind === kind) out.push({ mediaType: pad.kind, description: pad.description, ...processing.stats() });
    }
    for (const [pad, source] of this.shared) {
      if (kind === undefined || pad.kind === kind) out.push({ mediaType: pad.kind, description: pad.description, shared: true, ...source.processing.stats() });
    }
    return out;
  }

  close(): void {
    for (const pad of [...this.shared.keys()]) this.unshare(pad);
    for (const [pad, processing] of this.processing) {
      processing.close();
      pad.tap = undefined;
    }
    this.processing.clear();
  }

  /** Detaches a link from whatever fed it; its next media routes it afresh. */
  private forget(edge: Link<O>): void {
    edge.feed?.detach();
    edge.feed = undefined;
    edge.routedMedia = undefined;
    edge.routedCaps = -1;
    edge.passes = false;
  }

  private processingFor(pad: SourcePad<O>, rawSource: boolean): PadProcessing<Link<O>> {
    const shared = this.shared.get(pad);
    if (shared) return shared.processing;
    let processing = this.processing.get(pad);
    if (processing) return processing;
    const hooks = this.hooks;
    processing = new PadProcessing<Link<O>>(pad.kind as 'AUDIO' | 'VIDEO', rawSource, {
      timeline: hooks.timeline(),
      ...linkDelivery<O>(),
      bitrates: () => hooks.bitrates(),
      requestSourceKeyframe: () => hooks.requestKeyframe(pad),
      transcodingChanged: (on) => hooks.transcodingChanged(pad, on, false),
      failed: (message) => hooks.failed(pad, message),
    });
    this.processing.set(pad, processing);
    const created = processing;
    if (!rawSource) pad.tap = (unit: RtpMedia, nowMs: number) => created.pushEncoded(unit, nowMs);
    return processing;
  }

  private dropIdle(pad: SourcePad<O>): void {
    const processing = this.processing.get(pad);
    if (!processing?.isEmpty) return;
    processing.close();
    this.processing.delete(pad);
    pad.tap = undefined;
  }
}
