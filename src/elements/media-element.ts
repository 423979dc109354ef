/**
 * MediaElement: an element with sink and source pads, connected to others in its pipeline.
 *
 * `connect(sink)` without a media type links AUDIO, VIDEO and DATA, like KMS; a sink pad fed by
 * another source is first disconnected from it. Every link change raises ElementConnected or
 * ElementDisconnected on the source element. Releasing an element undoes all its links.
 */
import { KurentoCode, KurentoError } from '../errors.js';
import { renderDot } from '../media/dot.js';
import { PadFlows } from '../media/pad-flows.js';
import { PadSet, SinkPad, SourcePad, link, unlink, type Link } from '../media/pads.js';
import { ANY_CAPS, RAW, forceCodec, type SinkCaps } from '../media/processing/caps.js';
import { LinkRouter, type SharedPadSource } from '../media/processing/link-router.js';
import type { RawMedia } from '../media/processing/raw-media.js';
import { SenderTimeline } from '../media/rtp-clock.js';
import type { CodecDescription, MediaUnit } from '../media/rtp-media.js';
import { ALL_MEDIA_KINDS, DEFAULT_DESCRIPTION, type MediaKind } from '../media/types.js';
import { capsCodec } from './format-caps.js';
import { MediaObjectImpl, type MediaCounters, type ObjectInit, type Params } from './media-object.js';
import { WalkGuard } from './walk-guard.js';

/** The pipeline an element lives in, as its elements see it (MediaPipelineImpl implements it). */
export interface ElementContainer {
  readonly id: string;
  readonly elements: Set<MediaElementImpl>;
}

function isContainer(found: MediaObjectImpl | undefined): found is MediaObjectImpl & ElementContainer {
  return found !== undefined && (found as Partial<ElementContainer>).elements instanceof Set;
}

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

/** A link with the media it carries, for the `links` extension of ElementStats (the console's edges). */
function describeRoute(edge: ElementLink): ConnectionData & { codec: string | undefined; route: 'direct' | 'transcoded' | 'decoded' | 'none' } {
  const media = edge.routedMedia;
  const codec = media === RAW ? 'RAW' : media && 'mimeType' in media ? `${(media as CodecDescription).mimeType.split('/')[1]}/${(media as CodecDescription).clockRate}` : undefined;
  const route = media === undefined ? 'none' : edge.passes ? 'direct' : media === RAW ? 'decoded' : 'transcoded';
  return { ...describeLink(edge), codec, route };
}

export class MediaElementImpl extends MediaObjectImpl {
  readonly pipeline: ElementContainer;
  protected readonly sources = new PadSet<ElementPadSource, MediaElementImpl>((k, d) => new SourcePad(this, k, d));
  protected readonly sinks = new PadSet<ElementPadSink, MediaElementImpl>((k, d) => new SinkPad(this, k, d));
  // KMS names the pad by its media description ('default'), the key of isMediaFlowingIn/Out.
  private readonly flowIn = new PadFlows((state, kind, padName) => this.emit('MediaFlowInStateChanged', { state, padName, mediaType: kind }));
  private readonly flowOut = new PadFlows((state, kind, padName) => this.emit('MediaFlowOutStateChanged', { state, padName, mediaType: kind }));
  protected readonly transcoding = new Map<string, boolean>();
  /** Codecs forced on the sink pads by setAudioFormat/setVideoFormat. */
  /** Stops walks along links that come back to this element (links may form cycles). */
  private readonly walks = new WalkGuard();
  private readonly forcedFormat: Partial<Record<'AUDIO' | 'VIDEO', CodecDescription | 'RAW'>> = {};
  private timeline: SenderTimeline | undefined;
  /** The decoded-media layer of the links out of this element. */
  private readonly router = new LinkRouter<MediaElementImpl>({
    timeline: () => this.senderTimeline,
    bitrates: () => ({
      start: this.storedProperty<number>('encoderBitrate') ?? 300_000,
      min: this.storedProperty<number>('minEncoderBitrate') ?? 0,
      max: this.storedProperty<number>('maxEncoderBitrate') ?? 0,
    }),
    requestKeyframe: (pad) => this.onKeyframeRequest(pad),
    bitrateChanged: (pad) => this.onBitrateRequest(pad),
    transcodingChanged: (pad, on, first) => this.reportTranscoding(pad, on, first),
    failed: (pad, message) => this.emitError('STREAM_ERROR_DECODE', KurentoCode.UNEXPECTED_ERROR, `Media of ${pad.name} cannot be transcoded: ${message}`),
  });

  constructor(init: ObjectInit) {
    super(init);
    const pipeline = init.host.find(init.pipelineId);
    if (!isContainer(pipeline)) throw new KurentoError('MEDIA_OBJECT_NOT_FOUND', `Object '${init.pipelineId}' not found`);
    this.pipeline = pipeline;
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
    const sink = this.peer(params.sink as string);
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
    const sink = this.peer(params.sink as string);
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
    this.forceFormat('AUDIO', params.caps as Params);
    return null;
  }

  setVideoFormat(params: Params): null {
    this.forceFormat('VIDEO', params.caps as Params);
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
    return this.flowIn.isFlowing(this.queriedKind(params), (params.sinkMediaDescription as string | undefined) ?? DEFAULT_DESCRIPTION);
  }

  isMediaFlowingOut(params: Params): boolean {
    return this.flowOut.isFlowing(this.queriedKind(params), (params.sourceMediaDescription as string | undefined) ?? DEFAULT_DESCRIPTION);
  }

  isMediaTranscoding(params: Params): boolean {
    return this.transcoding.get(`${this.queriedKind(params)}/${(params.binName as string | undefined) ?? DEFAULT_DESCRIPTION}`) === true;
  }

  // ---- media plane ----------------------------------------------------------------------------
  //
  // Downstream: an element pushes media out of a source pad with `pushMedia`; every linked sink
  // pad receives it through `acceptMedia`. Upstream: a sink asks for a keyframe with
  // `askUpstreamForKeyframe` or states the bitrate it can take with `setWantedBitrate`; the request
  // reaches the element owning the linked source pad (`onKeyframeRequest`, `onBitrateRequest`).
  // The defaults below make an element a pass-through; endpoints and filters override them.

  /**
   * Sends media out of a source pad to every linked sink. Packets a sink takes pass as they are
   * (the SFU path: two identity checks per link); for the others the decoded-media layer
   * transcodes, once per output format (see `route`).
   */
  protected pushMedia(pad: ElementPadSource, unit: MediaUnit): void {
    if (unit.kind === 'DATA') {
      for (const edge of pad.links) edge.sink.owner.acceptMedia(edge.sink, unit);
      return;
    }
    for (const edge of pad.links) {
      if (edge.routedMedia !== unit.codec || edge.routedCaps !== edge.sink.capsVersion) this.router.route(edge, unit.codec);
      if (edge.passes) edge.sink.owner.acceptMedia(edge.sink, unit);
    }
    pad.tap?.(unit, Date.now());
  }

  /** Sends decoded media out of a source pad (filters, mixers): encoded for sinks that want packets. */
  protected pushFrame(pad: ElementPadSource, media: RawMedia): void {
    this.router.routeRaw(pad);
    this.router.pushRaw(pad, media);
  }

  /**
   * Makes a source pad send decoded media that other pads send too (a hub's picture, out of
   * every port): its owner pushes each frame once, encoded once per format for all the pads.
   * `undefined` gives the pad its own processing back.
   */
  protected shareOutput(pad: ElementPadSource, source: SharedPadSource<MediaElementImpl> | undefined): void {
    if (source) this.router.share(pad, source);
    else this.router.unshare(pad);
  }

  /** Decoded media arriving at a sink pad whose caps asked for it; a pass-through passes it on. */
  acceptFrame(pad: ElementPadSink, media: RawMedia): void {
    this.markFlowIn(pad.kind, pad.description);
    const out = this.sources.find(pad.kind, pad.description);
    if (!out || out.links.size === 0) return;
    this.markFlowOut(out.kind, out.description);
    this.pushFrame(out, media);
  }

  /** What a sink pad takes; elements that only take some codecs, or decoded media, say so. */
  protected sinkCaps(_pad: ElementPadSink): SinkCaps {
    return ANY_CAPS;
  }

  /** A sink pad's caps with the format forced by setAudioFormat/setVideoFormat. */
  capsOf(pad: ElementPadSink): SinkCaps {
    return pad.kind === 'DATA' ? ANY_CAPS : forceCodec(this.sinkCaps(pad), this.forcedFormat[pad.kind]);
  }

  /** What the sink pads of a kind take changed: their links choose their route again. */
  protected capsChanged(kind?: MediaKind): void {
    for (const pad of this.sinks.all()) if (kind === undefined || pad.kind === kind) pad.capsVersion++;
  }

  /** The sender's clock shared by the decoders of this element's pads (A/V sync downstream). */
  protected get senderTimeline(): SenderTimeline {
    this.timeline ??= new SenderTimeline();
    return this.timeline;
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
    if (out) this.walks.run(`eos/${pad.kind}/${pad.description}`, undefined, () => this.pushEndOfStream(out));
  }

  /** Asks whoever feeds this sink pad for a keyframe: the source, or the encoder transcoding for it. */
  protected askUpstreamForKeyframe(pad: ElementPadSink): void {
    const edge = pad.link;
    if (!edge) return;
    if (edge.feed) edge.feed.requestKeyframe();
    else edge.source.owner.onKeyframeRequest(edge.source);
  }

  /** A sink downstream wants a keyframe from this source pad. */
  onKeyframeRequest(pad: ElementPadSource): void {
    const input = this.sinks.find(pad.kind, pad.description);
    if (input) this.walks.run(`keyframe/${pad.kind}/${pad.description}`, undefined, () => this.askUpstreamForKeyframe(input));
  }

  /** States the bitrate (bits/s, 0 = no limit) this sink pad can take from its source. */
  protected setWantedBitrate(pad: ElementPadSink, bitsPerSecond: number): void {
    const edge = pad.link;
    if (!edge || edge.wantedBitrate === bitsPerSecond) return;
    edge.wantedBitrate = bitsPerSecond;
    if (edge.feed) edge.feed.bitrateChanged();
    else edge.source.owner.onBitrateRequest(edge.source);
  }

  /**
   * The lowest bitrate the sinks of a source pad can take (0 when none states a limit). Sinks fed
   * by an encoder of the layer do not count: the encoder follows them, the source need not.
   */
  protected wantedBitrate(pad: ElementPadSource): number {
    let lowest = 0;
    for (const edge of pad.links) {
      if (edge.feed) continue;
      if (edge.wantedBitrate > 0 && (lowest === 0 || edge.wantedBitrate < lowest)) lowest = edge.wantedBitrate;
    }
    return lowest;
  }

  /** The sinks of a source pad changed what they can take; a pass-through passes it upstream. */
  onBitrateRequest(pad: ElementPadSource): void {
    const input = this.sinks.find(pad.kind, pad.description);
    if (input) this.walks.run(`bitrate/${pad.kind}/${pad.description}`, undefined, () => this.setWantedBitrate(input, this.wantedBitrate(pad)));
  }

  /** Called on both ends when a link is made. A new video sink gets a keyframe at once. */
  protected onLinked(edge: ElementLink): void {
    if (edge.source.owner === this && edge.kind === 'VIDEO') this.onKeyframeRequest(edge.source);
  }

  /** Called on both ends before a link is removed; elements stop media and free what it used. */
  protected onUnlinked(edge: ElementLink): void {
    if (edge.source.owner === this) this.router.unlinked(edge);
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
    return input ? this.walks.run(`codecs/${pad.kind}/${pad.description}`, [], () => this.upstreamCodecs(input)) : [];
  }

  /** Codecs the element feeding a sink pad sends; empty when nothing feeds it. */
  protected upstreamCodecs(pad: ElementPadSink): CodecDescription[] {
    const edge = pad.link;
    return edge && edge.source.owner !== this ? edge.source.owner.producedCodecs(edge.source) : [];
  }

  /**
   * Statistics of this element; endpoints add their RTP statistics. `mediaProcessing` (our
   * extension, ignored by the official clients) lists the decoder and encoders of each source
   * pad the layer transcodes: frames in and out, bitrate, cost. `links` (ours too) lists the links
   * out of the element with the codec each one carries and whether it passes as it is.
   */
  protected collectStats(kind: MediaKind | undefined): StatsEntry[] {
    const mediaProcessing = this.router.stats(kind);
    const links = this.sources
      .all()
      .filter((pad) => kind === undefined || pad.kind === kind)
      .flatMap((pad) => [...pad.links].map(describeRoute));
    return [{ __type__: 'ElementStats', id: this.id, type: 'element', timestampMillis: Date.now(), inputLatency: [], mediaProcessing, links }];
  }

  /** The decoders and encoders the decoded-media layer runs for this element's source pads. */
  override mediaCounters(): MediaCounters {
    let decoders = 0;
    let encoders = 0;
    for (const pad of this.router.stats(undefined)) {
      if (pad.decoder) decoders++;
      encoders += pad.encoders.length;
    }
    return { streams: [], decoders, encoders };
  }

  /**
   * Counts media entering the element from the pipeline, at a sink pad (MediaFlowInStateChanged).
   * KMS's semantics: for an endpoint, "in" is what the pipeline gives it to send to its peer.
   */
  protected markFlowIn(kind: MediaKind, description: string): void {
    this.flowIn.mark(kind, description);
  }

  /**
   * Counts media leaving the element into the pipeline, at a source pad (MediaFlowOutStateChanged).
   * For an endpoint, "out" is what its peer sends it.
   */
  protected markFlowOut(kind: MediaKind, description: string): void {
    this.flowOut.mark(kind, description);
  }

  /** Reports the end of every flow at once (the peer left), rather than after the silence timeout. */
  protected endFlows(): void {
    this.flowIn.end();
    this.flowOut.end();
  }

  /** Reports the end of the flows of one direction at once, optionally of one kind and description. */
  protected endFlow(direction: 'in' | 'out', kind?: MediaKind, description?: string): void {
    (direction === 'in' ? this.flowIn : this.flowOut).end(kind, description);
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
    this.router.close();
    this.flowIn.dispose();
    this.flowOut.dispose();
    this.pipeline.elements.delete(this);
    super.release();
  }

  // ---- the decoded-media layer ---------------------------------------------------------------

  /**
   * MediaTranscodingStateChanged, raised by the element whose output is transcoded, as KMS's
   * agnosticbin does: once media first flows (TRANSCODING or not), then at every change.
   */
  private reportTranscoding(pad: ElementPadSource, transcoding: boolean, first: boolean): void {
    const key = `${pad.kind}/${pad.description}`;
    const known = this.transcoding.get(key);
    if (known === transcoding || (first && known !== undefined)) return;
    if (!transcoding && this.router.isTranscoding(pad)) return;
    this.transcoding.set(key, transcoding);
    this.emit('MediaTranscodingStateChanged', { state: transcoding ? 'TRANSCODING' : 'NOT_TRANSCODING', binName: pad.description, mediaType: pad.kind });
  }

  private forceFormat(kind: 'AUDIO' | 'VIDEO', caps: Params | undefined): void {
    const codec = caps ? capsCodec(kind, caps) : undefined;
    if (codec === undefined) delete this.forcedFormat[kind];
    else this.forcedFormat[kind] = codec;
    this.capsChanged(kind);
  }

  /** Another element of this pipeline; one elsewhere (another worker, even) cannot be linked. */
  private peer(id: string): MediaElementImpl {
    const found = this.host.find(id);
    if (!(found instanceof MediaElementImpl) || found.pipeline !== this.pipeline) {
      throw new KurentoError('CONNECT_ERROR', 'Media elements do not share pipeline');
    }
    return found;
  }

  private padMatches(pad: ElementPadSink | ElementPadSource, params: Params): boolean {
    if (params.mediaType !== undefined && pad.kind !== params.mediaType) return false;
    if (params.description !== undefined && pad.description !== params.description) return false;
    return true;
  }

  /** The media type of a flow or transcoding query: AUDIO or VIDEO. */
  private queriedKind(params: Params): MediaKind {
    if (params.mediaType === 'DATA') {
      throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', 'Media type DATA is not supported for media flow queries');
    }
    return params.mediaType as MediaKind;
  }
}
