/**
 * Mixer: media routed between chosen ports, per media type. `connect(VIDEO, source, sink)` gives
 * the sink port the source port's pictures (one source at a time; packets cross as they are and
 * switch at a key frame, as in a Dispatcher); `connect(AUDIO, source, sink)` adds the source to
 * what the sink port hears, the sound of every source connected to it mixed together.
 * `disconnect(media, source, sink)` undoes one connection.
 */
import { KurentoCode } from '../errors.js';
import { ANY_CAPS, RAW_CAPS, type SinkCaps } from '../media/processing/caps.js';
import type { RawMedia } from '../media/processing/raw-media.js';
import { AudioMixer, type Hearing } from '../media/mixing/audio-mixer.js';
import type { HubPortImpl, PortKind } from './hub-port.js';
import type { StatsEntry } from './media-element.js';
import type { ObjectInit, Params } from './media-object.js';
import { SwitchingHub } from './switching-hub.js';

export class MixerImpl extends SwitchingHub {
  /** What each port hears (by id): the ports whose sound reaches it. */
  private readonly hearing = new Map<string, Set<string>>();
  private readonly sound: AudioMixer;

  constructor(init: ObjectInit) {
    super(init);
    this.sound = new AudioMixer({
      outputs: () => this.listeners(),
      output: (id, media) => this.portById(id)?.sendFrame(media),
      failed: (message) => this.emitError('STREAM_ERROR_FAILED', KurentoCode.UNEXPECTED_ERROR, `Mixer cannot mix sound: ${message}`),
    });
  }

  connect(params: Params): null {
    const source = this.portNamed(params.source);
    const sink = this.portNamed(params.sink);
    if (params.media === 'VIDEO') this.routes.connect(source, sink, ['VIDEO']);
    else if (params.media === 'AUDIO') {
      let heard = this.hearing.get(sink.id);
      if (!heard) {
        heard = new Set();
        this.hearing.set(sink.id, heard);
      }
      heard.add(source.id);
    }
    return null;
  }

  disconnect(params: Params): null {
    const source = this.portNamed(params.source);
    const sink = this.portNamed(params.sink);
    if (params.media === 'VIDEO') {
      if (this.routes.sourceOf(sink, 'VIDEO') === source) this.routes.connect(undefined, sink, ['VIDEO']);
    } else if (params.media === 'AUDIO') {
      const heard = this.hearing.get(sink.id);
      heard?.delete(source.id);
      if (heard?.size === 0) this.hearing.delete(sink.id);
    }
    return null;
  }

  /** Pictures cross as packets; sound is decoded to be mixed. */
  override portSinkCaps(_port: HubPortImpl, kind: PortKind): SinkCaps {
    return kind === 'AUDIO' ? RAW_CAPS : ANY_CAPS;
  }

  override portFrame(port: HubPortImpl, media: RawMedia): void {
    if (media.kind === 'AUDIO') this.sound.push(port.id, media.frame);
  }

  override portLinksChanged(port: HubPortImpl): void {
    if (!port.isReceiving('AUDIO')) this.sound.removeInput(port.id);
  }

  override detachPort(port: HubPortImpl): void {
    this.sound.removeInput(port.id);
    this.hearing.delete(port.id);
    for (const heard of this.hearing.values()) heard.delete(port.id);
    super.detachPort(port);
  }

  override portStats(): StatsEntry[] {
    return [{ __type__: 'ElementStats', id: this.id, type: 'element', timestampMillis: Date.now(), audioMixer: this.sound.stats, switches: this.routes.switches }];
  }

  override release(): void | Promise<void> {
    this.sound.close();
    return super.release();
  }

  private *listeners(): Iterable<readonly [string, Hearing]> {
    for (const [id, heard] of this.hearing) {
      if (heard.size > 0 && this.portById(id)?.isSending('AUDIO')) yield [id, { only: heard }];
    }
  }
}
