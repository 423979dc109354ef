/**
 * Dispatcher: routes any port's media to any other port, as the application picks
 * (`connect(source, sink)`: the sink port receives the source port's audio and video; a sink has
 * one source at a time, a source any number of sinks). Packets cross as they are — an SFU inside
 * the pipeline — and a switch happens at the new source's next key frame, which is asked for.
 */
import type { Params } from './media-object.js';
import { SwitchingHub } from './switching-hub.js';

export class DispatcherImpl extends SwitchingHub {
  connect(params: Params): null {
    const source = this.portNamed(params.source);
    const sink = this.portNamed(params.sink);
    this.route(source, sink);
    return null;
  }
}
