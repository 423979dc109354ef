/**
 * HubPort: one participant's place in a hub (Composite, AlphaBlending, Mixer, Dispatcher,
 * DispatcherOneToMany). What the participant sends enters the port's sink pads and goes to the
 * hub; what the hub decides the participant gets leaves the port's source pads. A port is an
 * element of the hub's pipeline, created with `new HubPort(hub)` (the control process makes the
 * hub its parent) and released with its hub.
 *
 * The port has no policy of its own: every decision — what its sink pads take, where its media
 * goes, what a key frame request from downstream means — is its hub's, through `PortHub`. The
 * hub, in turn, acts on the participant only through the port's public methods below.
 */
import { KurentoError } from '../errors.js';
import type { SinkCaps } from '../media/processing/caps.js';
import type { SharedPadSource } from '../media/processing/link-router.js';
import type { RawMedia } from '../media/processing/raw-media.js';
import type { CodecDescription, MediaUnit, RtpMedia } from '../media/rtp-media.js';
import { DEFAULT_DESCRIPTION, type MediaKind } from '../media/types.js';
import { MediaElementImpl, type ElementLink, type ElementPadSink, type ElementPadSource, type StatsEntry } from './media-element.js';
import type { MediaObjectImpl, ObjectInit } from './media-object.js';

export type PortKind = 'AUDIO' | 'VIDEO';

/** What a hub does for its ports; every hub implements it. */
export interface PortHub {
  /** A port was created in the hub (in creation order). */
  attachPort(port: HubPortImpl): void;
  /** A port is being released; the hub stops using it. */
  detachPort(port: HubPortImpl): void;
  /** What the port's sink pad of a kind takes: packets as they come, or decoded frames. */
  portSinkCaps(port: HubPortImpl, kind: PortKind): SinkCaps;
  /** Packets the participant sent reached the port. */
  portMedia(port: HubPortImpl, unit: RtpMedia): void;
  /** Decoded pictures or sound of the participant reached the port (sinks taking RAW). */
  portFrame(port: HubPortImpl, media: RawMedia): void;
  /** Something downstream of the port wants a key frame of what the port sends. */
  portKeyframeRequest(port: HubPortImpl, kind: PortKind): void;
  /** Codecs of what the port sends, best first (empty when unknown). */
  portProducedCodecs(port: HubPortImpl, kind: PortKind): CodecDescription[];
  /** The sinks of the port's source pad changed the bitrate they can take. */
  portBitrateRequest(port: HubPortImpl, kind: PortKind, bitsPerSecond: number): void;
  /** A link into or out of the port was made or removed. */
  portLinksChanged(port: HubPortImpl): void;
  /** Statistics of the hub's work for the port (its `getStats`). */
  portStats(port: HubPortImpl): StatsEntry[];
}

export function isPortHub(found: MediaObjectImpl | undefined): found is MediaObjectImpl & PortHub {
  return found !== undefined && typeof (found as Partial<PortHub>).attachPort === 'function';
}

export class HubPortImpl extends MediaElementImpl {
  readonly hub: PortHub;

  constructor(init: ObjectInit) {
    super(init);
    const hub = init.parentId === undefined ? undefined : init.host.find(init.parentId);
    if (!isPortHub(hub)) throw new KurentoError('MEDIA_OBJECT_NOT_FOUND', `Hub '${String(init.parentId)}' not found`);
    this.hub = hub;
    hub.attachPort(this);
  }

  // ---- what the hub does through the port ------------------------------------------------------

  /** Sends packets to the participant (out of the port's source pad). */
  send(unit: RtpMedia): void {
    const pad = this.sources.find(unit.kind, DEFAULT_DESCRIPTION);
    if (!pad || pad.links.size === 0) return;
    this.markFlowOut(unit.kind, DEFAULT_DESCRIPTION);
    this.pushMedia(pad, unit);
  }

  /** Sends decoded pictures or sound to the participant, encoded as its sinks need. */
  sendFrame(media: RawMedia): void {
    const pad = this.sources.find(media.kind, DEFAULT_DESCRIPTION);
    if (!pad || pad.links.size === 0) return;
    this.markFlowOut(media.kind, DEFAULT_DESCRIPTION);
    this.pushFrame(pad, media);
  }

  /** Whether anything downstream takes what the port sends of a kind. */
  isSending(kind: PortKind): boolean {
    return (this.sources.find(kind, DEFAULT_DESCRIPTION)?.links.size ?? 0) > 0;
  }

  /** Whether anything feeds the port's sink pad of a kind. */
  isReceiving(kind: PortKind): boolean {
    return this.sinks.find(kind, DEFAULT_DESCRIPTION)?.link !== undefined;
  }

  /**
   * Makes the port send media shared with other ports (the hub's one picture, encoded once per
   * format for all of them), or, with `undefined`, media of its own again.
   */
  sendShared(kind: PortKind, source: SharedPadSource<MediaElementImpl> | undefined): void {
    this.shareOutput(this.sources.get(kind, DEFAULT_DESCRIPTION), source);
  }

  /** Counts shared media the hub just pushed as the port's out-flow. */
  sentShared(kind: PortKind): void {
    if (this.isSending(kind)) this.markFlowOut(kind, DEFAULT_DESCRIPTION);
  }

  /** Asks the participant (whatever feeds the port) for a key frame. */
  requestKeyframe(): void {
    const pad = this.sinks.find('VIDEO', DEFAULT_DESCRIPTION);
    if (pad) this.askUpstreamForKeyframe(pad);
  }

  /** Tells the participant the bitrate (bits/s, 0 = no limit) the port's receivers can take. */
  limitBitrate(kind: PortKind, bitsPerSecond: number): void {
    const pad = this.sinks.find(kind, DEFAULT_DESCRIPTION);
    if (pad) this.setWantedBitrate(pad, bitsPerSecond);
  }

  /** The lowest bitrate the port's receivers of a kind can take (0: none states a limit). */
  receiversBitrate(kind: PortKind): number {
    const pad = this.sources.find(kind, DEFAULT_DESCRIPTION);
    return pad ? this.wantedBitrate(pad) : 0;
  }

  /** Codecs the participant sends the port. */
  participantCodecs(kind: PortKind): CodecDescription[] {
    const pad = this.sinks.find(kind, DEFAULT_DESCRIPTION);
    return pad ? this.upstreamCodecs(pad) : [];
  }

  /** What the port takes changed (the hub's mode for it): its sink links are routed again. */
  refreshCaps(kind?: PortKind): void {
    this.capsChanged(kind);
  }

  // ---- the media plane, delegated to the hub ---------------------------------------------------

  override acceptMedia(pad: ElementPadSink, unit: MediaUnit): void {
    if (unit.kind === 'DATA' || pad.description !== DEFAULT_DESCRIPTION) return;
    this.markFlowIn(unit.kind, pad.description);
    this.hub.portMedia(this, unit);
  }

  override acceptFrame(pad: ElementPadSink, media: RawMedia): void {
    if (pad.description !== DEFAULT_DESCRIPTION) return;
    this.markFlowIn(media.kind, pad.description);
    this.hub.portFrame(this, media);
  }

  /** Whatever the participant sends ends at the hub; an end of stream goes nowhere further. */
  override acceptEndOfStream(): void {}

  protected override sinkCaps(pad: ElementPadSink): SinkCaps {
    if (pad.kind === 'DATA' || pad.description !== DEFAULT_DESCRIPTION) return super.sinkCaps(pad);
    return this.hub.portSinkCaps(this, pad.kind);
  }

  override onKeyframeRequest(pad: ElementPadSource): void {
    if (pad.kind !== 'DATA' && pad.description === DEFAULT_DESCRIPTION) this.hub.portKeyframeRequest(this, pad.kind);
  }

  override onBitrateRequest(pad: ElementPadSource): void {
    if (pad.kind !== 'DATA' && pad.description === DEFAULT_DESCRIPTION) this.hub.portBitrateRequest(this, pad.kind, this.wantedBitrate(pad));
  }

  override producedCodecs(pad: ElementPadSource): CodecDescription[] {
    if (pad.kind === 'DATA' || pad.description !== DEFAULT_DESCRIPTION) return [];
    return this.hub.portProducedCodecs(this, pad.kind);
  }

  protected override collectStats(kind: MediaKind | undefined): StatsEntry[] {
    return [...super.collectStats(kind), ...this.hub.portStats(this)];
  }

  protected override onLinked(edge: ElementLink): void {
    super.onLinked(edge);
    this.hub.portLinksChanged(this);
  }

  protected override onUnlinked(edge: ElementLink): void {
    super.onUnlinked(edge);
    // The link is still in place while this runs: the hub looks again once it is gone.
    queueMicrotask(() => {
      if (!this.isReleased) this.hub.portLinksChanged(this);
    });
  }

  override release(): void {
    this.hub.detachPort(this);
    super.release();
  }
}
