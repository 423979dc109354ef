/**
 * The base of the hubs that make one picture out of their ports' pictures and mix their sound
 * (Composite, AlphaBlending). Their ports take decoded media (the decoded-media layer decodes
 * each participant once, whatever else uses its media); the picture is composed on a clock
 * (`media/mixing/video-compositor.ts`) and sent out of every port through one shared processing,
 * so it is encoded once per output format for all of them; each port gets the sound of everyone
 * but itself (`media/mixing/audio-mixer.ts`), encoded per port, as KMS's mixer does.
 *
 * A participant joins the picture with its first decoded picture and leaves it when its port
 * loses its source or is released; the others keep flowing meanwhile. Subclasses say where each
 * picture goes (`planPicture`).
 */
import { KurentoCode } from '../errors.js';
import { RAW_CAPS, type SinkCaps } from '../media/processing/caps.js';
import type { RawMedia } from '../media/processing/raw-media.js';
import { SharedPadOutput } from '../media/processing/shared-output.js';
import { AudioMixer, type Hearing } from '../media/mixing/audio-mixer.js';
import { VideoCompositor } from '../media/mixing/video-compositor.js';
import type { CompositionPlan, PictureSize } from '../media/mixing/video-layout.js';
import { HubImpl } from './hub.js';
import type { HubPortImpl, PortKind } from './hub-port.js';
import type { MediaElementImpl, StatsEntry } from './media-element.js';
import type { ObjectInit } from './media-object.js';

export abstract class MixingHub extends HubImpl {
  /** The composed picture, sent out of every port. */
  private readonly picture = new SharedPadOutput<MediaElementImpl>('VIDEO');
  protected readonly compositor: VideoCompositor;
  private readonly sound: AudioMixer;

  constructor(init: ObjectInit, framesPerSecond: number) {
    super(init);
    this.compositor = new VideoCompositor(framesPerSecond, {
      plan: (inputs) => this.planPicture(inputs),
      output: (media) => this.sendPicture(media),
      failed: (message) => this.emitError('STREAM_ERROR_FAILED', KurentoCode.UNEXPECTED_ERROR, `${this.className} cannot compose its picture: ${message}`),
    });
    this.sound = new AudioMixer({
      outputs: () => this.listeners(),
      output: (id, media) => this.portById(id)?.sendFrame(media),
      failed: (message) => this.emitError('STREAM_ERROR_FAILED', KurentoCode.UNEXPECTED_ERROR, `${this.className} cannot mix sound: ${message}`),
    });
  }

  /** Where each input picture goes; `inputs` are the ports with a picture now, by id. */
  protected abstract planPicture(inputs: ReadonlyMap<string, PictureSize>): CompositionPlan | undefined;

  /** The ports that have a picture now, in the order they were created. */
  protected portsWithPicture(inputs: ReadonlyMap<string, PictureSize>): Array<readonly [HubPortImpl, PictureSize]> {
    const out: Array<readonly [HubPortImpl, PictureSize]> = [];
    for (const port of this.ports) {
      const size = inputs.get(port.id);
      if (size) out.push([port, size]);
    }
    return out;
  }

  override attachPort(port: HubPortImpl): void {
    super.attachPort(port);
    port.sendShared('VIDEO', this.picture);
  }

  override detachPort(port: HubPortImpl): void {
    this.compositor.removeInput(port.id);
    this.sound.removeInput(port.id);
    port.sendShared('VIDEO', undefined);
    super.detachPort(port);
  }

  override portSinkCaps(_port: HubPortImpl, _kind: PortKind): SinkCaps {
    return RAW_CAPS;
  }

  override portFrame(port: HubPortImpl, media: RawMedia): void {
    if (media.kind === 'VIDEO') this.compositor.setPicture(port.id, media.frame);
    else this.sound.push(port.id, media.frame);
  }

  /** A participant disconnected from its port leaves the picture and the mix. */
  override portLinksChanged(port: HubPortImpl): void {
    if (!port.isReceiving('VIDEO')) this.compositor.removeInput(port.id);
    if (!port.isReceiving('AUDIO')) this.sound.removeInput(port.id);
  }

  override portStats(): StatsEntry[] {
    return [{ __type__: 'ElementStats', id: this.id, type: 'element', timestampMillis: Date.now(), compositor: this.compositor.stats, audioMixer: this.sound.stats }];
  }

  override release(): void | Promise<void> {
    this.compositor.close();
    this.sound.close();
    this.picture.close();
    return super.release();
  }

  private sendPicture(media: RawMedia): void {
    this.picture.push(media);
    for (const port of this.ports) port.sentShared('VIDEO');
  }

  private *listeners(): Iterable<readonly [string, Hearing]> {
    for (const port of this.ports) if (port.isSending('AUDIO')) yield [port.id, { everyoneBut: port.id }];
  }
}
