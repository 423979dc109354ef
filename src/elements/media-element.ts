/**
 * MediaElement: an element with sink and source pads, connected to others in its pipeline.
 *
 * `connect(sink)` without a media type links AUDIO, VIDEO and DATA, like KMS; a sink pad fed by
 * another source is first disconnected from it. Every link change raises ElementConnected or
 * ElementDisconnected on the source element. Releasing an element undoes all its links.
 */
import { KurentoError } from '../errors.js';
import { renderDot } from '../media/dot.js';
import { FlowDetector } from '../media/flow-detector.js';
import { PadSet, SinkPad, SourcePad, link, unlink, type Link } from '../media/pads.js';
import type { CodecDescription, MediaUnit } from '../media/rtp-media.js';
import { ALL_MEDIA_KINDS, DEFAULT_DESCRIPTION, type MediaKind } from '../media/types.js';
import { MediaObjectImpl, type ObjectInit, type Params } from './media-object.js';
import type { MediaPipelineImpl } from './media-pipeline.js';

/** One connection as `getSourceConnections`/`getSinkConnections` report it. */
export interface ConnectionData {
  source: string;
  sink: string;
  type: MediaKind;
  sourceDescription: string;
  sinkDescription: string;
}

export interface StatsEntry {
  __type__: string;
  id: string;
  type: string;
  timestampMillis: number;
  [field: string]: unknown;
}

export type ElementPadSource = SourcePad<MediaElementImpl>;
export type ElementPadSink = SinkPad<MediaElementImpl>;
export type ElementLink = Link<MediaElementImpl>;

function describeLink(edge: ElementLink): ConnectionData {
  return {
    source: edge.source.owner.id,
    sink: edge.sink.owner.id,
    type: edge.kind,
    sourceDescription: edge.source.description,
    sinkDescription: edge.sink.description,
  };
}

export class MediaElementImpl extends MediaObjectImpl {
  readonly pipeline: MediaPipelineImpl;
  protected readonly sources = new PadSet<ElementPadSource, MediaElementImpl>((k, d) => new SourcePad(this, k, d));
  protected readonly sinks = new PadSet<ElementPadSink, MediaElementImpl>((k, d) => new SinkPad(this, k, d));
  private readonly flowIn = new Map<string, FlowDetector>();
  private readonly flowOut = new Map<string, FlowDetector>();
  private readonly defaultFlowIn: Partial<Record<'AUDIO' | 'VIDEO', FlowDetector>> = {};
  private readonly defaultFlowOut: Partial<Record<'AUDIO' | 'VIDEO', FlowDetector>> = {};
  protected readonly transcoding = new Map<string, boolean>();
  protected audioFormat: Params | undefined;
  protected videoFormat: Params | undefined;

  constructor(init: ObjectInit) {
    super(init);
    this.pipeline = init.host.pipeline(init.pipelineId);
    this.pipeline.elements.add(this);
  }

  sourcePads(): ElementPadSource[] {
    return this.sources.all();
  }

  sinkPads(): ElementPadSink[] {
    return this.sinks.all();
  }

  // ---- API operations -------------------------------------------------------------------------

  connect(params: Params): null {
    const sink = this.host.element(params.sink as string);
    if (sink.pipeline !== this.pipeline) throw new KurentoError('CONNECT_ERROR', 'Media elements do not share pipeline');
    const kinds = params.mediaType ? [params.mediaType as MediaKind] : ALL_MEDIA_KINDS;
    const sourceDescription = (params.sourceMediaDescription as string | undefined) ?? DEFAULT_DESCRIPTION;
    const sinkDescription = (params.sinkMediaDescription as string | undefined) ?? DEFAULT_DESCRIPTION;
    for (const kind of kinds) {
      const sinkPad = sink.sinks.get(kind, sinkDescription);
      if (sinkPad.link) sinkPad.link.source.owner.removeLink(sinkPad.link);
      const created = link(this.sources.get(kind, sourceDescription), sinkPad);
      this.onLinked(created);
      sink.onLinked(created);
      this.emit('ElementConnected', {
        sink: sink.id,
        mediaType: kind,
        sourceMediaDescription: sourceDescription,
        sinkMediaDescription: sinkDescription,
      });
    }
    return null;
  }

  disconnect(params: Params): null {
    const sink = this.host.element(params.sink as string);
    const kinds = params.mediaType ? [params.mediaType as MediaKind] : ALL_MEDIA_KINDS;
    const sourceDescription = (params.sourceMediaDescription as string | undefined) ?? DEFAULT_DESCRIPTION;
    const sinkDescription = (params.sinkMediaDescription as string | undefined) ?? DEFAULT_DESCRIPTION;
    for (const kind of kinds) {
      const existing = sink.sinks.find(kind, sinkDescription)?.link;
      if (existing && existing.source === this.sources.find(kind, sourceDescription)) this.removeLink(existing);
    }
    return null;
  }

  getSourceConnections(params: Params): ConnectionData[] {
    return this.sinks
      .all()
      .filter((pad) => this.padMatches(pad, params))
      .flatMap((pad) => (pad.link ? [describeLink(pad.link)] : []));
  }

  getSinkConnections(params: Params): ConnectionData[] {
    return this.sources
      .all()
      .filter((pad) => this.padMatches(pad, params))
      .flatMap((pad) => [...pad.links].map(describeLink));
  }

  setAudioFormat(params: Params): null {
    this.audioFormat = params.caps as Params;
    return null;
  }

  setVideoFormat(params: Params): null {
    this.videoFormat = params.caps as Params;
    return null;
  }

  getGstreamerDot(): string {
    return renderDot(this.id, [this]);
  }

  dumpGstreamerDot(): null {
    return null;
  }

  getStats(params: Params): Record<string, StatsEntry> {
    const entries = this.collectStats(params.mediaType as MediaKind | undefined);
    return Object.fromEntries(entries.map((entry) => [entry.id, entry]));
  }

  isMediaFlowingIn(params: Params): boolean {
    return this.flowIn.get(this.flowKey(params.mediaType as MediaKind, params.sinkMediaDescription as string))?.flowing === true;
  }

  isMediaFlowingOut(params: Params): boolean {
    return this.flowOut.get(this.flowKey(params.mediaType as MediaKind, params.sourceMediaDescription as string))?.flowing === true;
  }

  isMediaTranscoding(params: Params): boolean {
    return this.transcoding.get(this.flowKey(params.mediaType as MediaKind, params.binName as string)) === true;
  }

  // ---- media plane ----------------------------------------------------------------------------
  //
  // Downstream: an element pushes media out of a source pad with `pushMedia`; every linked sink
  // pad receives it through `acceptMedia`. Upstream: a sink asks for a keyframe with
  // `askUpstreamForKeyframe` or states the bitrate it can take with `setWantedBitrate`; the request
  // reaches the element owning the linked source pad (`onKeyframeRequest`, `onBitrateRequest`).
  // The defaults below make an element a pass-through; endpoints and filters override them.

  /** Sends media out of a source pad to every linked sink. */
  protected pushMedia(pad: ElementPadSource, unit: MediaUnit): void {
    for (const edge of pad.links) edge.sink.owner.acceptMedia(edge.sink, unit);
  }

  /** Media arriving at one of this element's sink pads. */
  acceptMedia(pad: ElementPadSink, unit: MediaUnit): void {
    this.markFlowIn(pad.kind, pad.description);
    const out = this.sources.find(pad.kind, pad.description);
    if (!out || out.links.size === 0) return;
    this.markFlowOut(out.kind, out.description);
    this.pushMedia(out, unit);
  }

  /** Tells every sink linked to a source pad that its media ended (a played file reached its end). */
  protected pushEndOfStream(pad: ElementPadSource): void {
    for (const edge of pad.links) edge.sink.owner.acceptEndOfStream(edge.sink);
  }

  /** The media feeding a sink pad ended; a pass-through passes the news on. */
  acceptEndOfStream(pad: ElementPadSink): void {
    const out = this.sources.find(pad.kind, pad.description);
    if (out) this.pushEndOfStream(out);
  }

  /** Asks whoever feeds this sink pad for a keyframe. */
  protected askUpstreamForKeyframe(pad: ElementPadSink): void {
    const edge = pad.link;
    if (edge) edge.source.owner.onKeyframeRequest(edge.source);
  }

  /** A sink downstream wants a keyframe from this source pad. */
  onKeyframeRequest(pad: ElementPadSource): void {
    const input = this.sinks.find(pad.kind, pad.description);
    if (input) this.askUpstreamForKeyframe(input);
  }

  /** States the bitrate (bits/s, 0 = no limit) this sink pad can take from its source. */
  protected setWantedBitrate(pad: ElementPadSink, bitsPerSecond: number): void {
    const edge = pad.link;
    if (!edge || edge.wantedBitrate === bitsPerSecond) return;
    edge.wantedBitrate = bitsPerSecond;
    edge.source.owner.onBitrateRequest(edge.source);
  }

  /** The lowest bitrate the sinks of a source pad can take (0 when none states a limit). */
  protected wantedBitrate(pad: ElementPadSource): number {
    let lowest = 0;
    for (const edge of pad.links) {
      if (edge.wantedBitrate > 0 && (lowest === 0 || edge.wantedBitrate < lowest)) lowest = edge.wantedBitrate;
    }
    return lowest;
  }

  /** The sinks of a source pad changed what they can take; a pass-through passes it upstream. */
  onBitrateRequest(pad: ElementPadSource): void {
    const input = this.sinks.find(pad.kind, pad.description);
    if (input) this.setWantedBitrate(input, this.wantedBitrate(pad));
  }

  /** Called on both ends when a link is made. A new video sink gets a keyframe at once. */
  protected onLinked(edge: ElementLink): void {
    if (edge.source.owner === this && edge.kind === 'VIDEO') this.onKeyframeRequest(edge.source);
  }

  /** Called on both ends before a link is removed; elements stop media and free what it used. */
  protected onUnlinked(edge: ElementLink): void {
    if (edge.source.owner === this && edge.wantedBitrate > 0) {
      edge.wantedBitrate = 0;
      queueMicrotask(() => {
        if (!this.isReleased) this.onBitrateRequest(edge.source);
      });
    }
  }

  /**
   * Codecs of the media this element sends out of a source pad, best first; empty when unknown.
   * A pass-through sends what it receives.
   */
  producedCodecs(pad: ElementPadSource): CodecDescription[] {
    const input = this.sinks.find(pad.kind, pad.description);
    return input ? this.upstreamCodecs(input) : [];
  }

  /** Codecs the element feeding a sink pad sends; empty when nothing feeds it. */
  protected upstreamCodecs(pad: ElementPadSink): CodecDescription[] {
    const edge = pad.link;
    return edge && edge.source.owner !== this ? edge.source.owner.producedCodecs(edge.source) : [];
  }

  /** Statistics of this element; endpoints add their RTP statistics. */
  protected collectStats(_kind: MediaKind | undefined): StatsEntry[] {
    return [{ __type__: 'ElementStats', id: this.id, type: 'element', timestampMillis: Date.now(), inputLatency: [] }];
  }

  /**
   * Counts media entering the element from the pipeline, at a sink pad (MediaFlowInStateChanged).
   * KMS's semantics: for an endpoint, "in" is what the pipeline gives it to send to its peer.
   */
  protected markFlowIn(kind: MediaKind, description: string): void {
    if (kind !== 'DATA') this.detector(this.flowIn, 'MediaFlowInStateChanged', kind, description).mark();
  }

  /**
   * Counts media leaving the element into the pipeline, at a source pad (MediaFlowOutStateChanged).
   * For an endpoint, "out" is what its peer sends it.
   */
  protected markFlowOut(kind: MediaKind, description: string): void {
    if (kind !== 'DATA') this.detector(this.flowOut, 'MediaFlowOutStateChanged', kind, description).mark();
  }

  /** Reports the end of a flow at once (the peer left), rather than after the silence timeout. */
  protected endFlows(): void {
    for (const d of [...this.flowIn.values(), ...this.flowOut.values()]) d.stop();
  }

  /** Reports the end of the flows of one direction at once, optionally of one kind and description. */
  protected endFlow(direction: 'in' | 'out', kind?: MediaKind, description?: string): void {
    for (const [key, detector] of direction === 'in' ? this.flowIn : this.flowOut) {
      if (kind === undefined || key === `${kind}/${description ?? DEFAULT_DESCRIPTION}`) detector.stop();
    }
  }

  /** Removes one link, telling both ends, and raises ElementDisconnected on the source. */
  removeLink(edge: ElementLink): void {
    this.onUnlinked(edge);
    edge.sink.owner.onUnlinked(edge);
    unlink(edge);
    this.emit('ElementDisconnected', {
      sink: edge.sink.owner.id,
      mediaType: edge.kind,
      sourceMediaDescription: edge.source.description,
      sinkMediaDescription: edge.sink.description,
    });
  }

  override release(): void {
    for (const pad of this.sinks.all()) if (pad.link) pad.link.source.owner.removeLink(pad.link);
    for (const pad of this.sources.all()) for (const edge of [...pad.links]) this.removeLink(edge);
    for (const d of [...this.flowIn.values(), ...this.flowOut.values()]) d.dispose();
    this.pipeline.elements.delete(this);
    super.release();
  }

  private padMatches(pad: ElementPadSink | ElementPadSource, params: Params): boolean {
    if (params.mediaType !== undefined && pad.kind !== params.mediaType) return false;
    if (params.description !== undefined && pad.description !== params.description) return false;
    return true;
  }

  private flowKey(kind: MediaKind, description: string | undefined): string {
    if (kind === 'DATA') {
      throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', 'Media type DATA is not supported for media flow queries');
    }
    return `${kind}/${description ?? DEFAULT_DESCRIPTION}`;
  }

  private detector(table: Map<string, FlowDetector>, event: string, kind: MediaKind, description: string): FlowDetector {
    // This runs per packet: the default pads (nearly all traffic) skip building a key.
    const cache = table === this.flowIn ? this.defaultFlowIn : this.defaultFlowOut;
    if (description === DEFAULT_DESCRIPTION && kind !== 'DATA') {
      const cached = cache[kind];
      if (cached) return cached;
    }
    const key = `${kind}/${description}`;
    let found = table.get(key);
    if (!found) {
      // KMS names the pad by its media description ('default'), the key of isMediaFlowingIn/Out.
      found = new FlowDetector((state) => this.emit(event, { state, padName: description, mediaType: kind }));
      table.set(key, found);
    }
    if (description === DEFAULT_DESCRIPTION && kind !== 'DATA') cache[kind] = found;
    return found;
  }

}
