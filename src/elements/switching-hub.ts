/**
 * The base of the hubs that route packets between their ports without touching them (Dispatcher,
 * DispatcherOneToMany): each receiving port gets one source port's media, switched cleanly at a
 * key frame (`media/mixing/port-switch.ts`). The ports' sink pads take whatever comes, so media
 * crosses the hub in the codec it arrived in; a receiver whose sinks need another codec is
 * transcoded by the decoded-media layer like any element's output.
 *
 * Upstream signals follow the routes: a key frame request from a receiver's sinks reaches its
 * source's participant, and a source is told the lowest bitrate its receivers' sinks can take.
 */
import type { RtpMedia, CodecDescription } from '../media/rtp-media.js';
import { PortSwitch } from '../media/mixing/port-switch.js';
import { HubImpl } from './hub.js';
import type { HubPortImpl, PortKind } from './hub-port.js';
import type { StatsEntry } from './media-element.js';

export abstract class SwitchingHub extends HubImpl {
  protected readonly routes = new PortSwitch<HubPortImpl>();

  override detachPort(port: HubPortImpl): void {
    const sources = (['AUDIO', 'VIDEO'] as const).map((kind) => [kind, this.routes.sourceOf(port, kind)] as const);
    this.routes.forget(port);
    super.detachPort(port);
    // The sources it received from may now take more.
    for (const [kind, source] of sources) if (source) this.updateBitrate(source, kind);
  }

  override portMedia(port: HubPortImpl, unit: RtpMedia): void {
    this.routes.forward(port, unit);
  }

  override portKeyframeRequest(port: HubPortImpl, kind: PortKind): void {
    if (kind === 'VIDEO') this.routes.sourceOf(port, kind)?.requestKeyframe();
  }

  override portProducedCodecs(port: HubPortImpl, kind: PortKind): CodecDescription[] {
    return this.routes.sourceOf(port, kind)?.participantCodecs(kind) ?? [];
  }

  override portBitrateRequest(port: HubPortImpl, kind: PortKind): void {
    const source = this.routes.sourceOf(port, kind);
    if (source) this.updateBitrate(source, kind);
  }

  override portStats(): StatsEntry[] {
    return [{ __type__: 'ElementStats', id: this.id, type: 'element', timestampMillis: Date.now(), switches: this.routes.switches }];
  }

  /** Gives a receiver a new source (undefined: none), for both kinds; sources are told the new bitrates. */
  protected route(source: HubPortImpl | undefined, receiver: HubPortImpl): void {
    const before = (['AUDIO', 'VIDEO'] as const).map((kind) => [kind, this.routes.sourceOf(receiver, kind)] as const);
    this.routes.connect(source, receiver);
    for (const [kind, old] of before) {
      if (old && old !== source) this.updateBitrate(old, kind);
      if (source) this.updateBitrate(source, kind);
    }
  }

  /** A source's participant may send what the most constrained of its receivers can take. */
  private updateBitrate(source: HubPortImpl, kind: PortKind): void {
    let lowest = 0;
    for (const receiver of this.routes.receiversOf(source, kind)) {
      const bps = receiver.receiversBitrate(kind);
      if (bps > 0 && (lowest === 0 || bps < lowest)) lowest = bps;
    }
    source.limitBitrate(kind, lowest);
  }
}
