/**
 * A peer that connects to a running stream must get a key frame: its endpoint asks upstream for
 * one, then watches what it sends the peer and asks again every half second until the first
 * packet of a key frame went out (for at most ten seconds). One request is not enough: Chromium
 * ignores a request that comes within 300 ms of the last it honoured, so a viewer connecting just
 * after another could miss the key frame that answered the other and never see its own.
 */
import { payloadOffset } from '../rtp/rtp-header.js';
import { codecName, isKeyframeStart, type RtpMedia } from '../media/rtp-media.js';

const RETRY_MS = 500;
const GIVE_UP_MS = 10_000;
/** Codecs whose key frames are recognised in the packets; for others one request is all. */
const WATCHED = new Set(['VP8', 'VP9', 'H264']);

export class KeyframeWatch {
  private askedAtMs: number | undefined;
  private startedAtMs = 0;

  constructor(private readonly ask: () => void) {}

  /** Asks for a key frame and starts watching for it. */
  start(nowMs: number): void {
    this.startedAtMs = nowMs;
    this.askedAtMs = nowMs;
    this.ask();
  }

  /** A video packet sent to the peer. */
  onSent(media: RtpMedia): void {
    if (this.askedAtMs === undefined) return;
    const buffer = media.buffer;
    const offset = payloadOffset(buffer);
    if (!WATCHED.has(codecName(media.codec)) || (offset < buffer.length && isKeyframeStart(media.codec, buffer.subarray(offset)))) {
      this.askedAtMs = undefined;
      return;
    }
    const now = Date.now();
    if (now - this.startedAtMs > GIVE_UP_MS) {
      this.askedAtMs = undefined;
    } else if (now - this.askedAtMs >= RETRY_MS) {
      this.askedAtMs = now;
      this.ask();
    }
  }
}
