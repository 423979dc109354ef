/**
 * Decoded media as the decoded-media layer passes it between its stages and to the elements that
 * work on pictures and sound (filters, hubs): one node-av frame and its kind. `frame.pts` is the
 * capture time in microseconds on this worker's clock (`Date.now()` scale): the sender's clock
 * mapped by its RTCP sender reports, so audio and video of one source stay in step through any
 * number of stages.
 *
 * The frame belongs to whoever pushed it and is freed once every consumer returned: a consumer
 * that needs it later (an encoder working asynchronously) keeps a reference with `frame.clone()`
 * (the picture's buffers are shared, not copied) and frees that.
 */
import type { Frame } from 'node-av';

export interface RawMedia {
  readonly kind: 'AUDIO' | 'VIDEO';
  readonly frame: Frame;
}

/** Receives decoded media, synchronously. */
export interface RawConsumer {
  onRaw(media: RawMedia): void;
}
