/**
 * The common part of every hub: the ports it holds (in creation order, as KMS orders them), the
 * operations of Kurento's Hub class, and the defaults of `PortHub` that the hubs specialise.
 * A hub is a MediaObject, not an element: participants connect to its ports, never to it.
 *
 * Releasing a hub releases its ports first (the registry releases children before parents), so
 * `release()` here finds none left in the usual case and frees whatever a port left behind.
 */
import { KurentoError } from '../errors.js';
import { renderDot } from '../media/dot.js';
import { ANY_CAPS, type SinkCaps } from '../media/processing/caps.js';
import type { RawMedia } from '../media/processing/raw-media.js';
import type { CodecDescription, RtpMedia } from '../media/rtp-media.js';
import { HubPortImpl, type PortHub, type PortKind } from './hub-port.js';
import type { StatsEntry } from './media-element.js';
import { MediaObjectImpl } from './media-object.js';

export abstract class HubImpl extends MediaObjectImpl implements PortHub {
  /** The hub's ports, in the order they were created. */
  protected readonly ports = new Set<HubPortImpl>();
  private readonly byId = new Map<string, HubPortImpl>();

  getGstreamerDot(): string {
    return renderDot(this.id, [...this.ports]);
  }

  dumpGstreamerDot(): null {
    return null;
  }

  /** One of the hub's ports, by id. */
  protected portById(id: string): HubPortImpl | undefined {
    return this.byId.get(id);
  }

  /** A port of this hub named in an operation (`setSource(port)`); a port of another hub is refused. */
  protected portNamed(id: unknown): HubPortImpl {
    const found = typeof id === 'string' ? this.host.find(id) : undefined;
    if (!(found instanceof HubPortImpl) || !this.ports.has(found)) {
      throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `HubPort '${String(id)}' is not a port of ${this.className} '${this.id}'`);
    }
    return found;
  }

  // ---- PortHub defaults: packets pass through the hub untouched, nothing is routed ---------------

  attachPort(port: HubPortImpl): void {
    this.ports.add(port);
    this.byId.set(port.id, port);
  }

  detachPort(port: HubPortImpl): void {
    this.ports.delete(port);
    this.byId.delete(port.id);
  }

  portSinkCaps(_port: HubPortImpl, _kind: PortKind): SinkCaps {
    return ANY_CAPS;
  }

  portMedia(_port: HubPortImpl, _unit: RtpMedia): void {}

  portFrame(_port: HubPortImpl, _media: RawMedia): void {}

  portKeyframeRequest(_port: HubPortImpl, _kind: PortKind): void {}

  portProducedCodecs(_port: HubPortImpl, _kind: PortKind): CodecDescription[] {
    return [];
  }

  portBitrateRequest(_port: HubPortImpl, _kind: PortKind, _bitsPerSecond: number): void {}

  portLinksChanged(_port: HubPortImpl): void {}

  portStats(_port: HubPortImpl): StatsEntry[] {
    return [];
  }

  override release(): void | Promise<void> {
    for (const port of [...this.ports]) this.detachPort(port);
    return super.release();
  }
}
