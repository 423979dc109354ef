/**
 * DispatcherOneToMany: one port's media to every other port (a webinar with a switched speaker).
 * `setSource(port)` picks the port everyone else receives; ports created later receive it too;
 * `removeSource()` stops it. Packets cross as they are, and a switch reaches each viewer at the
 * new source's next key frame, asked for at once, so viewers keep decoding through it.
 */
import type { HubPortImpl } from './hub-port.js';
import type { Params } from './media-object.js';
import { SwitchingHub } from './switching-hub.js';

export class DispatcherOneToManyImpl extends SwitchingHub {
  private source: HubPortImpl | undefined;

  setSource(params: Params): null {
    this.source = this.portNamed(params.source);
    this.routeAll();
    return null;
  }

  removeSource(): null {
    this.source = undefined;
    this.routeAll();
    return null;
  }

  override attachPort(port: HubPortImpl): void {
    super.attachPort(port);
    if (this.source) this.route(this.source, port);
  }

  override detachPort(port: HubPortImpl): void {
    super.detachPort(port);
    if (port === this.source) this.source = undefined;
  }

  /** Every port but the source receives the source; the source itself receives nothing. */
  private routeAll(): void {
    for (const port of this.ports) this.route(port === this.source ? undefined : this.source, port);
  }
}
