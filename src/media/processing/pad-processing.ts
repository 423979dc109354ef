/**
 * The decoded-media layer of one source pad: everything its links need that the pad's own media
 * is not. It holds at most one decoder (for a pad that sends packets) and one encoder per output
 * format, each shared by every link that needs it, and frees each as soon as nothing needs it.
 *
 *                      ┌─ link that takes the packets as they are (not here: the SFU path)
 *   pad ── packets ──┬─┤
 *                    └─ decoder ──┬── encoder H.264 ── links that take H.264
 *                                 ├── encoder PCMU  ── links that take PCMU
 *                                 └── links that take decoded frames (filters, hubs)
 *
 * A pad whose element makes decoded frames itself (a filter's output, a mixer) has no decoder:
 * its frames go straight to the encoders and raw links.
 *
 * Links are opaque here (`L`): the element decides how a packet or a frame reaches a link's sink
 * and what bitrate the sink can take, through the hooks.
 */
import type { SenderTimeline } from '../rtp-clock.js';
import type { CodecDescription, RtpMedia } from '../rtp-media.js';
import { formatKey, type Route } from './caps.js';
import type { RawConsumer, RawMedia } from './raw-media.js';
import { SharedDecoder } from './shared-decoder.js';
import { SharedEncoder, type EncoderBitrates } from './shared-encoder.js';

export interface PadProcessingHooks<L> {
  readonly timeline: SenderTimeline;
  deliverEncoded(link: L, unit: RtpMedia): void;
  deliverRaw(link: L, media: RawMedia): void;
  wantedBitrate(link: L): number;
  bitrates(): EncoderBitrates;
  /** Ask whatever feeds the pad for a key frame (the decoder starts, or lost its way). */
  requestSourceKeyframe(): void;
  /** Whether the pad's media is being transcoded for some link changed. */
  transcodingChanged(transcoding: boolean): void;
  /** A decoder or encoder failed for good. */
  failed(message: string): void;
}

/** The layer's hold on one link, for the element to pass upstream signals through. */
export interface LinkFeed {
  requestKeyframe(): void;
  bitrateChanged(): void;
  detach(): void;
}

export interface ProcessingStats {
  decoder?: { codec: string | undefined; framesIn: number; framesOut: number; framesDropped: number; decodeErrors: number };
  encoders: SharedEncoder<unknown>['stats'][];
  rawConsumers: number;
}

export class PadProcessing<L> implements RawConsumer {
  private decoder: SharedDecoder | undefined;
  private readonly encoders = new Map<string, SharedEncoder<L>>();
  private readonly rawLinks = new Set<L>();
  /** Where each attached link is fed from. */
  private readonly feeds = new Map<L, SharedEncoder<L> | 'raw'>();
  private closed = false;

  constructor(
    readonly kind: 'AUDIO' | 'VIDEO',
    /** The pad makes decoded frames itself (no decoder in front). */
    private readonly rawSource: boolean,
    private readonly hooks: PadProcessingHooks<L>,
  ) {}

  get isEmpty(): boolean {
    return this.feeds.size === 0;
  }

  get transcoding(): boolean {
    return this.encoders.size > 0;
  }

  /** Feeds a link by an encoder or with decoded frames, as `route` says. */
  attach(link: L, route: Extract<Route, { via: 'encoder' | 'raw' }>): LinkFeed {
    const current = this.feeds.get(link);
    const wanted = route.via === 'raw' ? 'raw' : this.encoders.get(formatKey(route.codec));
    if (current === undefined || current !== wanted || wanted === undefined) {
      if (current !== undefined) this.detach(link);
      if (route.via === 'raw') {
        this.rawLinks.add(link);
        this.feeds.set(link, 'raw');
      } else {
        const encoder = this.encoderFor(route.codec);
        encoder.sinks.add(link);
        encoder.requestKeyframe(); // a sink that joins a running encoder starts at a key frame
        encoder.bitrateChanged();
        this.feeds.set(link, encoder);
      }
      this.ensureDecoder();
    }
    return {
      requestKeyframe: () => this.requestKeyframe(link),
      bitrateChanged: () => {
        const feed = this.feeds.get(link);
        if (feed && feed !== 'raw') feed.bitrateChanged();
      },
      detach: () => this.detach(link),
    };
  }

  detach(link: L): void {
    const feed = this.feeds.get(link);
    if (feed === undefined) return;
    this.feeds.delete(link);
    if (feed === 'raw') this.rawLinks.delete(link);
    else {
      feed.sinks.delete(link);
      if (feed.sinks.size === 0) {
        feed.close();
        this.encoders.delete(formatKey(feed.codec));
        if (this.encoders.size === 0) this.hooks.transcodingChanged(false);
      } else feed.bitrateChanged();
    }
    if (this.feeds.size === 0) {
      this.decoder?.close();
      this.decoder = undefined;
    }
  }

  /** A packet of the pad (a pad that sends packets). */
  pushEncoded(unit: RtpMedia, nowMs: number): void {
    this.decoder?.push(unit, nowMs);
  }

  /** Decoded media: from the decoder, or made by the pad's element. */
  onRaw(media: RawMedia): void {
    if (this.closed) return;
    for (const encoder of this.encoders.values()) encoder.onRaw(media);
    for (const link of this.rawLinks) this.hooks.deliverRaw(link, media);
  }

  /** Resolves once the media handed in so far went through the decoder and every encoder. */
  async settled(): Promise<void> {
    await this.decoder?.settled();
    await Promise.all([...this.encoders.values()].map((e) => e.settled()));
  }

  stats(): ProcessingStats {
    const d = this.decoder;
    return {
      ...(d ? { decoder: { codec: d.codecName, framesIn: d.framesIn, framesOut: d.framesOut, framesDropped: d.framesDropped, decodeErrors: d.decodeErrors } } : {}),
      encoders: [...this.encoders.values()].map((e) => e.stats),
      rawConsumers: this.rawLinks.size,
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const wasTranscoding = this.transcoding;
    for (const encoder of this.encoders.values()) encoder.close();
    this.encoders.clear();
    this.rawLinks.clear();
    this.feeds.clear();
    this.decoder?.close();
    this.decoder = undefined;
    if (wasTranscoding) this.hooks.transcodingChanged(false);
  }

  private requestKeyframe(link: L): void {
    const feed = this.feeds.get(link);
    if (feed === undefined) return;
    if (feed !== 'raw') feed.requestKeyframe();
    else if (this.rawSource) return; // the element making the frames has no key frames to give
    else this.hooks.requestSourceKeyframe();
  }

  private encoderFor(codec: CodecDescription): SharedEncoder<L> {
    const key = formatKey(codec);
    let encoder = this.encoders.get(key);
    if (!encoder) {
      encoder = new SharedEncoder<L>(this.kind, codec, {
        deliver: (link, unit) => this.hooks.deliverEncoded(link, unit),
        wantedBitrate: (link) => this.hooks.wantedBitrate(link),
        bitrates: () => this.hooks.bitrates(),
        failed: (message) => this.hooks.failed(message),
        // Frames an element made itself are timed by this worker's clock, which is then their sender's.
        senderTime: (localMs) => (this.rawSource ? localMs : this.hooks.timeline.senderTimeOf(localMs)),
      });
      this.encoders.set(key, encoder);
      if (this.encoders.size === 1) this.hooks.transcodingChanged(true);
    }
    return encoder;
  }

  private ensureDecoder(): void {
    if (this.rawSource || this.decoder) return;
    this.decoder = new SharedDecoder(this.kind, this.hooks.timeline, {
      requestKeyframe: () => this.hooks.requestSourceKeyframe(),
      failed: (message) => this.hooks.failed(message),
    });
    this.decoder.consumers.add(this);
  }
}
