/**
 * MediaElement: an element with sink and source pads, connected to others in its pipeline.
 *
 * `connect(sink)` without a media type links AUDIO, VIDEO and DATA, like KMS; a sink pad fed by
 * another source is first disconnected from it. Every link change raises ElementConnected or
 * ElementDisconnected on the source element. Releasing an element undoes all its links.
 */
import { KurentoError } from '../errors.js';
import { renderDot } from '../media/dot.js';
import { PadSet, SinkPad, SourcePad, link, unlink, type Link } from '../media/pads.js';
import { ALL_MEDIA_KINDS, DEFAULT_DESCRIPTION, type MediaFlowState, type MediaKind } from '../media/types.js';
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
  private readonly flowIn = new Map<string, MediaFlowState>();
  private readonly flowOut = new Map<string, MediaFlowState>();
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
    return this.flowIn.get(this.flowKey(params.mediaType as MediaKind, params.sinkMediaDescription as string)) === 'FLOWING';
  }

  isMediaFlowingOut(params: Params): boolean {
    return this.flowOut.get(this.flowKey(params.mediaType as MediaKind, params.sourceMediaDescription as string)) === 'FLOWING';
  }

  isMediaTranscoding(params: Params): boolean {
    return this.transcoding.get(this.flowKey(params.mediaType as MediaKind, params.binName as string)) === true;
  }

  // ---- media plane hooks ----------------------------------------------------------------------

  /** Called on both ends when a link is made; elements start feeding or consuming media here. */
  protected onLinked(_edge: ElementLink): void {}

  /** Called on both ends before a link is removed; elements stop media and free what it used. */
  protected onUnlinked(_edge: ElementLink): void {}

  /** Statistics of this element; endpoints add their RTP statistics. */
  protected collectStats(_kind: MediaKind | undefined): StatsEntry[] {
    return [{ __type__: 'ElementStats', id: this.id, type: 'element', timestampMillis: Date.now(), inputLatency: [] }];
  }

  /** Records a change of incoming media flow and raises MediaFlowInStateChanged. */
  protected setFlowIn(pad: ElementPadSink, state: MediaFlowState): void {
    this.updateFlow(this.flowIn, 'MediaFlowInStateChanged', pad.kind, pad.description, pad.name, state);
  }

  /** Records a change of outgoing media flow and raises MediaFlowOutStateChanged. */
  protected setFlowOut(pad: ElementPadSource, state: MediaFlowState): void {
    this.updateFlow(this.flowOut, 'MediaFlowOutStateChanged', pad.kind, pad.description, pad.name, state);
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

  private updateFlow(
    table: Map<string, MediaFlowState>,
    event: string,
    kind: MediaKind,
    description: string,
    padName: string,
    state: MediaFlowState,
  ): void {
    const key = `${kind}/${description}`;
    if ((table.get(key) ?? 'NOT_FLOWING') === state && table.has(key)) return;
    table.set(key, state);
    this.emit(event, { state, padName, mediaType: kind });
  }
}
