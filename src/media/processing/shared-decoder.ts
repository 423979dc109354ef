/**
 * The decoder of one source pad's packets, shared by everything downstream that needs pictures
 * or sound from it: transcoding branches, filters, hubs. Ten consumers of one source, one
 * decoder. The pad's processing creates it for the first consumer and closes it after the last.
 *
 *   packets → depacketize → place on the capture clock → decode (thread pool) → frames to consumers
 *
 * Frames keep their capture time: the sender's clock through its RTCP sender reports (shared by
 * the element's pads through one `SenderTimeline`), so audio and video stay in step downstream.
 *
 * The decoder asks its source for a key frame when it starts in the middle of a stream (its first
 * frame is not a key frame), after a loss, after a frame that does not decode, and when it falls
 * behind (frames waiting past a bound are dropped until the next key frame rather than queued
 * without end); and again every half second while it waits for
 * one, since a request can go unanswered (Chromium ignores one that comes within 300 ms of the
 * last, and a loaded machine loses datagrams) and a WebRTC sender that is not asked may send no
 * key frame for minutes. A codec change starts a new decoder; a picture size change needs nothing
 * (FFmpeg's decoders follow it).
 */
import { createDepacketizer, type Depacketizer } from '../../codec/depacketizer.js';
import { MediaDecoder, type DecoderInput, type TimedFrame } from '../../codec/decoder.js';
import { RtpClock, type SenderClock, type SenderTimeline } from '../rtp-clock.js';
import { codecName, fmtpValue, sameCodec, type CodecDescription, type RtpMedia } from '../rtp-media.js';
import type { RawConsumer } from './raw-media.js';

/** Frames waiting for the decoder beyond this are dropped (video: until the next key frame). */
const MAX_PENDING = { VIDEO: 8, AUDIO: 25 } as const;
/** A key frame the decoder waits for is asked for again after this long. */
const KEYFRAME_RETRY_MS = 500;

export interface DecoderHooks {
  /** Ask the source for a key frame. */
  requestKeyframe(): void;
  /** The decoder could not be opened or keeps failing: the branch cannot go on. */
  failed(message: string): void;
}

export class SharedDecoder {
  readonly consumers = new Set<RawConsumer>();
  private depacketizer: Depacketizer | undefined;
  private codec: CodecDescription | undefined;
  private decoder: Promise<MediaDecoder | undefined> | undefined;
  private clock: RtpClock | undefined;
  private ssrc: number | undefined;
  private report: SenderClock | undefined;
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  private needKeyframe: boolean;
  private closed = false;
  private lastTimeUs = -Infinity;
  /**
   * The time of the packet being pushed (ms), and when a key frame was last asked for (or, before
   * the first request, when the decoder started waiting).
   */
  private nowMs = 0;
  private keyframeAskedMs = -Infinity;
  /** A key frame was asked for since the decoder last started waiting for one. */
  private askedWhileWaiting = false;
  /** Statistics. */
  framesIn = 0;
  framesOut = 0;
  framesDropped = 0;
  decodeErrors = 0;

  constructor(
    readonly kind: 'AUDIO' | 'VIDEO',
    private readonly timeline: SenderTimeline,
    private readonly hooks: DecoderHooks,
  ) {
    this.needKeyframe = kind === 'VIDEO';
  }

  get codecName(): string | undefined {
    return this.codec ? codecName(this.codec) : undefined;
  }

  /** Resolves once every frame handed to the decoder so far was decoded and passed on. */
  settled(): Promise<void> {
    return this.chain;
  }

  /** One packet of the source pad. */
  push(unit: RtpMedia, nowMs: number): void {
    if (this.closed) return;
    this.nowMs = nowMs;
    if (unit.codec !== this.codec) {
      // Descriptions are shared objects per stream; a new one for the same codec needs no new decoder.
      if (this.codec && sameCodec(this.codec, unit.codec) && fmtpValue(this.codec, 'config') === fmtpValue(unit.codec, 'config')) this.codec = unit.codec;
      else this.start(unit.codec);
    }
    if (!this.depacketizer) return;
    const packet = unit.packet;
    if (packet.header.ssrc !== this.ssrc) {
      // A new stream starts its sequence numbers anywhere: the old depacketizer would take them
      // for late packets. The decoder goes on (a switch comes at a key frame).
      if (this.ssrc !== undefined) this.depacketizer = createDepacketizer(unit.codec)!;
      this.ssrc = packet.header.ssrc;
      this.clock = new RtpClock(unit.codec.clockRate);
      this.report = undefined;
    }
    const result = this.depacketizer.push(packet, nowMs);
    if (result.lost) this.askForKeyframe();
    for (const frame of result.frames) {
      const localMs = this.clock!.onPacket(frame.rtpTimestamp, nowMs);
      if (localMs === undefined) {
        this.framesDropped++; // a timestamp off the stream's timeline (RtpClock)
        continue;
      }
      // The clock's anchor may still move by a little jitter: never let time go back.
      const timeUs = Math.max(Math.round(localMs * 1000), this.lastTimeUs + 1);
      this.lastTimeUs = timeUs;
      this.enqueue({ data: frame.data, timeUs, keyframe: frame.keyframe });
    }
    // Waiting for a key frame (the depacketizer's, or the decoder's own): ask when a whole frame
    // that is not one went by (the source is mid-stream), and again now and then.
    if (this.needKeyframe || this.depacketizer.waitingForKeyframe) {
      const frameSkipped = packet.header.marker && !this.askedWhileWaiting;
      if (frameSkipped || nowMs - this.keyframeAskedMs >= KEYFRAME_RETRY_MS) this.askForKeyframe();
    }
    const report = unit.source?.senderReport;
    if (report && report !== this.report && this.timeline.apply(this.clock!, report)) this.report = report;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.consumers.clear();
    void this.decoder?.then((d) => d?.close());
  }

  /** A new codec: a new depacketizer and decoder; frames already queued for the old one still drain. */
  private start(codec: CodecDescription): void {
    this.codec = codec;
    this.depacketizer = createDepacketizer(codec);
    this.clock = undefined;
    this.ssrc = undefined;
    const previous = this.decoder;
    void previous?.then((d) => d?.close());
    if (!this.depacketizer) {
      this.decoder = undefined;
      this.hooks.failed(`cannot decode ${codec.mimeType}`);
      return;
    }
    this.waitForKeyframe();
    this.decoder = MediaDecoder.create(this.kind, decoderInput(codec)).then(
      (d) => {
        if (this.closed) d.close();
        return this.closed ? undefined : d;
      },
      (err: Error) => {
        this.hooks.failed(err.message);
        return undefined;
      },
    );
    // No request yet: a source that starts with a key frame (a player at the start of its file,
    // a publisher that just connected) needs none, and a player answers one by re-encoding its
    // stream until its next key frame. The end of a first frame that is not a key frame asks at
    // once; a stream that ends no frame asks after KEYFRAME_RETRY_MS.
    this.keyframeAskedMs = this.nowMs;
  }

  private waitForKeyframe(): void {
    this.needKeyframe = this.kind === 'VIDEO';
    this.askedWhileWaiting = false;
  }

  private enqueue(frame: TimedFrame): void {
    this.framesIn++;
    if (this.needKeyframe) {
      if (!frame.keyframe) {
        this.framesDropped++;
        return;
      }
      this.needKeyframe = false;
    }
    if (this.pending >= MAX_PENDING[this.kind]) {
      // Behind: drop rather than queue without end; pictures resume at the next key frame.
      this.framesDropped++;
      if (this.kind === 'VIDEO') {
        this.waitForKeyframe();
        this.askForKeyframe();
      }
      return;
    }
    const decoder = this.decoder;
    if (!decoder) return;
    this.pending++;
    this.chain = this.chain
      .then(async () => {
        const d = await decoder;
        if (!d || this.closed || d.isClosed) return;
        const errorsBefore = d.errors;
        const frames = await d.decode(frame);
        if (d.errors > errorsBefore) {
          this.decodeErrors++;
          if (this.kind === 'VIDEO') this.askForKeyframe();
        }
        for (const f of frames) {
          if (!this.closed) {
            this.framesOut++;
            for (const consumer of this.consumers) consumer.onRaw({ kind: this.kind, frame: f });
          }
          f.free();
        }
      })
      .catch((err: unknown) => this.hooks.failed(err instanceof Error ? err.message : String(err)))
      .finally(() => {
        this.pending--;
      });
  }

  private askForKeyframe(): void {
    if (this.kind !== 'VIDEO' || this.closed) return;
    this.keyframeAskedMs = this.nowMs;
    this.askedWhileWaiting = true;
    this.hooks.requestKeyframe();
  }
}

/** What the decoder needs to know of a codec: name, sound format, private data (fmtp `config`). */
function decoderInput(codec: CodecDescription): DecoderInput {
  const config = fmtpValue(codec, 'config');
  return {
    codec: codecName(codec),
    sampleRate: codec.clockRate,
    ...(codec.channels ? { channels: codec.channels } : {}),
    ...(config && /^[0-9a-f]+$/i.test(config) ? { extradata: Buffer.from(config, 'hex') } : {}),
  };
}
