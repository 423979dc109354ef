/**
 * One encoded output of a source pad's decoded media, shared by every sink that wants that
 * format (codec, clock, channels, H.264 packetization). KMS's agnosticbin shares its encoding
 * branches the same way but keeps them forever; this one is closed when its last sink leaves.
 *
 *   decoded frames → encode (thread pool) → packetize → RTP packets to each sink
 *
 * Upstream signals end here: a key frame request from any sink makes the next picture a key
 * frame (it never needs to reach the publisher), and the target bitrate follows the lowest
 * bitrate the sinks can take (their REMB), within the transcoding element's
 * `minEncoderBitrate`/`maxEncoderBitrate`, starting from its `encoderBitrate`.
 *
 * The output is a stream like any peer's: one SSRC, continuous sequence numbers, RTP timestamps
 * from the frames' capture times, a history that answers retransmission requests, and a sender
 * clock (capture time ↔ RTP time) that recorders use to keep audio and video in step.
 */
import { MediaEncoder, type EncoderSettings } from '../../codec/encoder.js';
import { MAX_RTP_PAYLOAD, RtpPacketizer } from '../../codec/packetizer.js';
import { ReceiveStream } from '../../rtp/receive-stream.js';
import { codecName, fmtpValue, RtpMedia, type CodecDescription } from '../rtp-media.js';
import { encoderTarget } from './caps.js';
import type { RawConsumer, RawMedia } from './raw-media.js';

/** Pictures waiting for the encoder beyond this are skipped (the encoder is behind real time). */
const MAX_PENDING = { VIDEO: 2, AUDIO: 25 } as const;
/** How often the output's sender clock is refreshed. */
const SENDER_CLOCK_INTERVAL_MS = 1000;
/** Payload types of the packets the layer makes; each sending endpoint maps them to its peer's. */
const PAYLOAD_TYPES: Record<string, number> = { VP8: 96, VP9: 98, H264: 102, OPUS: 111, PCMU: 0, PCMA: 8 };

export interface EncoderBitrates {
  /** Where the target starts before any sink states a limit (bits/s). */
  readonly start: number;
  /** Bounds of the target; 0 means none. */
  readonly min: number;
  readonly max: number;
}

export interface SharedEncoderHooks<L> {
  /** Hands one packet of the output to a sink. */
  deliver(link: L, unit: RtpMedia): void;
  /** The bitrate a sink can take (0: no limit stated). */
  wantedBitrate(link: L): number;
  /** The transcoding element's bitrate properties. */
  bitrates(): EncoderBitrates;
  /** The encoder failed for good. */
  failed(message: string): void;
  /** A capture time (local ms) on the source's sender clock, when known (see SenderTimeline). */
  senderTime(localMs: number): number | undefined;
}

export class SharedEncoder<L> implements RawConsumer {
  readonly sinks = new Set<L>();
  private readonly encoder: MediaEncoder;
  private readonly packetizer: RtpPacketizer;
  private readonly output: ReceiveStream;
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  private keyframeWanted = true;
  private closed = false;
  private clockUpdatedAt = 0;
  /** Pictures skipped because the encoder was behind (statistics). */
  framesSkipped = 0;

  constructor(
    readonly kind: 'AUDIO' | 'VIDEO',
    readonly codec: CodecDescription,
    private readonly hooks: SharedEncoderHooks<L>,
  ) {
    const target = encoderTarget(codec);
    if (!target) throw new Error(`Kuroshio does not encode ${codec.mimeType}`);
    const name = codecName(codec);
    const settings: EncoderSettings = {
      inBandParameterSets: true,
      bitrate: kind === 'VIDEO' ? this.targetBitrate() : undefined,
      // Packetization mode 0 sends each NAL unit whole: slices must fit a packet.
      ...(name === 'H264' && fmtpValue(codec, 'packetization-mode') !== '1' ? { maxSliceBytes: MAX_RTP_PAYLOAD - 100 } : {}),
    } as EncoderSettings;
    this.encoder = new MediaEncoder(kind, target, settings);
    this.packetizer = new RtpPacketizer(codec, PAYLOAD_TYPES[name] ?? 100);
    this.output = new ReceiveStream(this.packetizer.ssrc, codec.clockRate);
  }

  get stats(): { codec: string; framesIn: number; framesOut: number; framesSkipped: number; targetBitrate: number; bytesOut: number; encodeMsPerFrame: number } {
    const e = this.encoder;
    return {
      codec: this.codec.mimeType,
      framesIn: e.framesIn,
      framesOut: e.framesOut,
      framesSkipped: this.framesSkipped,
      targetBitrate: e.targetBitrate,
      bytesOut: e.bytesOut,
      encodeMsPerFrame: e.framesIn === 0 ? 0 : e.encodeMicros / 1000 / e.framesIn,
    };
  }

  /** Resolves once every frame handed to the encoder so far was encoded and sent. */
  settled(): Promise<void> {
    return this.chain;
  }

  /** The next picture is a key frame (a new sink, a lost packet downstream). */
  requestKeyframe(): void {
    if (this.kind === 'VIDEO') this.keyframeWanted = true;
  }

  /** A sink joined, left or changed what it can take: the target bitrate follows. */
  bitrateChanged(): void {
    if (this.kind === 'VIDEO') this.encoder.setBitrate(this.targetBitrate());
  }

  onRaw(media: RawMedia): void {
    if (this.closed) return;
    if (this.pending >= MAX_PENDING[this.kind]) {
      this.framesSkipped++;
      return;
    }
    const frame = media.frame.clone();
    if (!frame) return;
    const keyframe = this.keyframeWanted;
    this.keyframeWanted = false;
    this.pending++;
    this.chain = this.chain
      .then(async () => {
        const encoded = await this.encoder.encode(frame, keyframe);
        if (this.closed) return;
        for (const out of encoded) this.send(out.data, out.timeUs, out.keyframe);
      })
      .catch((err: unknown) => {
        if (!this.closed) this.hooks.failed(err instanceof Error ? err.message : String(err));
      })
      .finally(() => {
        frame.free();
        this.pending--;
      });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sinks.clear();
    this.encoder.close();
  }

  private send(data: Buffer, timeUs: number, keyframe: boolean): void {
    const time = (timeUs * this.codec.clockRate) / 1_000_000;
    const size = this.encoder.outputSize;
    const packets = this.packetizer.packetize({ data, keyframe, time, ...(size ?? {}) });
    const now = Date.now();
    for (const packet of packets) {
      const buffer = packet.serialize();
      this.output.remember(packet.header.sequenceNumber, buffer, buffer.length);
      if (now - this.clockUpdatedAt >= SENDER_CLOCK_INTERVAL_MS) {
        const ntpMs = this.hooks.senderTime(timeUs / 1000);
        if (ntpMs !== undefined) {
          this.output.senderReport = { ntpMs, rtpTimestamp: packet.header.timestamp, arrivalMs: now };
          this.clockUpdatedAt = now;
        }
      }
      const unit = new RtpMedia(this.kind, buffer, this.codec, this.output);
      for (const link of this.sinks) this.hooks.deliver(link, unit);
    }
  }

  private targetBitrate(): number {
    const { start, min, max } = this.hooks.bitrates();
    let wanted = 0;
    for (const link of this.sinks) {
      const bps = this.hooks.wantedBitrate(link);
      if (bps > 0 && (wanted === 0 || bps < wanted)) wanted = bps;
    }
    let target = wanted > 0 ? wanted : start;
    if (max > 0) target = Math.min(target, max);
    if (min > 0) target = Math.max(target, min);
    return target;
  }
}
