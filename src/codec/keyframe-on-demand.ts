/**
 * Key frames on demand for a video stream that is otherwise sent as it is (a player passing a
 * file's VP8 or H.264 through). A viewer that joins late, or lost packets, needs a key frame; a
 * file has one only every so often (seconds, sometimes tens of seconds).
 *
 * The stage keeps the frames of the current group of pictures (since the last key frame). When a
 * key frame is asked for, it decodes them at once — off the event loop, about 1 ms per frame at
 * 640x480 — so its decoder holds the pictures the next frame refers to, then re-encodes the
 * stream from that frame on, starting with a key frame, until the source's own next key frame,
 * where it goes back to passing frames through. The receivers see one consistent stream: the
 * re-encoded frames refer only to re-encoded ones, and the source's key frame refers to nothing.
 *
 * The other option, seeking back to the group's key frame and sending the group again quickly,
 * would show every viewer already watching a jump back and a fast-forward, and needs a seekable
 * source; this one works for live sources too, and costs an encoder only until the next key
 * frame. A group too long to keep (see the limits) is waited out, as before.
 */
import { MediaDecoder, type TimedFrame } from './decoder.js';
import { MediaEncoder } from './encoder.js';
import { MediaIoError } from './media-io-error.js';

/** A decoder and an encoder of the same codec: the stream, re-encoded from where it is. */
class Reencoder {
  private constructor(
    private readonly decoder: MediaDecoder,
    private readonly encoder: MediaEncoder,
  ) {}

  static async create(codec: OnDemandCodec): Promise<Reencoder> {
    const decoder = await MediaDecoder.create('VIDEO', { codec });
    return new Reencoder(decoder, new MediaEncoder('VIDEO', codec, { inBandParameterSets: true }));
  }

  /** Decodes a frame only: brings the decoder's reference pictures up to date. */
  async decodeOnly(frame: TimedFrame): Promise<void> {
    for (const f of await this.decoder.decode(frame)) f.free();
  }

  /** Decodes a frame and encodes it again (`keyframe`: as a key frame). */
  async push(frame: TimedFrame, keyframe: boolean): Promise<TimedFrame[]> {
    const out: TimedFrame[] = [];
    for (const f of await this.decoder.decode(frame)) {
      out.push(...(await this.encoder.encode(f, keyframe && out.length === 0)));
      f.free();
    }
    return out;
  }

  close(): void {
    this.decoder.close();
    this.encoder.close();
  }
}

/** Groups of pictures longer than this are not kept: the next key frame is waited for. */
const MAX_GOP_FRAMES = 900;
const MAX_GOP_BYTES = 32 * 1024 * 1024;

export type OnDemandCodec = 'VP8' | 'H264';

export class KeyframeOnDemand {
  /** Frames since the last key frame (the key frame first); undefined when not usable. */
  private gop: TimedFrame[] | undefined;
  private gopBytes = 0;
  private wanted = false;
  /** Re-encoding until the source's next key frame. */
  private encoder: Reencoder | undefined;
  private closed = false;

  /** `codec`: the stream's, as it goes out (H.264 in Annex B with parameter sets before key frames). */
  constructor(private readonly codec: OnDemandCodec) {}

  static supports(codec: string): codec is OnDemandCodec {
    return codec === 'VP8' || codec === 'H264';
  }

  /** Whether frames are being re-encoded now. */
  get active(): boolean {
    return this.encoder !== undefined;
  }

  /** Asks for a key frame: the next frame that is not one becomes one. */
  request(): void {
    this.wanted = true;
  }

  /** The frames to send for one frame of the source (bitstream as it goes out). */
  async process(frame: TimedFrame): Promise<TimedFrame[]> {
    if (this.closed) return [];
    if (frame.keyframe) {
      // The source's own key frame: back to passing through.
      this.stopEncoding();
      this.wanted = false;
      this.gop = [frame];
      this.gopBytes = frame.data.length;
      return [frame];
    }
    this.remember(frame);
    if (this.wanted && !this.encoder && this.gop) await this.startEncoding();
    if (!this.encoder) return [frame];
    const force = this.wanted;
    this.wanted = false;
    return this.encoder.push(frame, force);
  }

  close(): void {
    this.closed = true;
    this.stopEncoding();
    this.gop = undefined;
  }

  private remember(frame: TimedFrame): void {
    if (!this.gop) return; // joined mid-group: nothing to decode from until a key frame
    if (this.gop.length >= MAX_GOP_FRAMES || this.gopBytes + frame.data.length > MAX_GOP_BYTES) {
      this.gop = undefined;
      return;
    }
    this.gop.push(frame);
    this.gopBytes += frame.data.length;
  }

  /** Opens an encoder and decodes the group up to (not including) the latest frame. */
  private async startEncoding(): Promise<void> {
    const gop = this.gop!;
    let encoder: Reencoder;
    try {
      encoder = await Reencoder.create(this.codec);
    } catch (err) {
      // No encoder: the stream still goes out as it is, and the next key frame serves.
      if (err instanceof MediaIoError) {
        this.gop = undefined;
        return;
      }
      throw err;
    }
    for (const f of gop.slice(0, -1)) await encoder.decodeOnly(f);
    if (this.closed) {
      encoder.close();
      return;
    }
    this.encoder = encoder;
  }

  private stopEncoding(): void {
    this.encoder?.close();
    this.encoder = undefined;
  }
}
