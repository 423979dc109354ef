/**
 * One track of a recording: RTP packets of one kind in, timed frames of the file out.
 *
 *   depacketize → place on the shared clock → drop while paused → frames in file time
 *
 * The media arrives in a codec the file takes: the recorder's sink pads say which, and the
 * decoded-media layer transcodes whatever else is connected. Once the track is declared in the
 * container its codec is fixed, and the recorder narrows its caps to it (see RecorderEndpoint).
 *
 * The shared clock is the sender's, through the RTCP sender reports its packets carry
 * (`RtpMedia.source`, also on streams the layer encoded), and the arrival time of the first
 * packet before any report came.
 *
 * The track says when it is ready to be declared in the container (it knows its codec
 * parameters: picture size, parameter sets, sample rate), and asks for a key frame whenever the
 * file would otherwise continue with pictures that cannot be decoded.
 */
import { aacConfig } from '../codec/aac.js';
import type { TrackInfo } from '../codec/container-writer.js';
import type { TimedFrame } from '../codec/decoder.js';
import { createDepacketizer, type Depacketizer } from '../codec/depacketizer.js';
import { NAL_PPS, NAL_SPS, joinAnnexB, splitAnnexB } from '../codec/h264.js';
import { MediaIoError } from '../codec/media-io-error.js';
import type { FileCodec } from '../codec/media-profile.js';
import { opusHead } from '../codec/opus.js';
import { RtpClock, type SenderClock, type SenderTimeline } from '../media/rtp-clock.js';
import { codecName, fmtpValue, type CodecDescription, type RtpMedia } from '../media/rtp-media.js';

export interface TrackEvents {
  /** Frames ready for the file, times in µs on the local clock (pauses already taken out). */
  frames(frames: TimedFrame[]): void;
  keyframeNeeded(): void;
  failed(error: MediaIoError): void;
}

/** A key frame the track waits for is asked for again after this long. */
const KEYFRAME_RETRY_MS = 500;

export class RecorderTrack {
  readonly kind: 'AUDIO' | 'VIDEO';
  private depacketizer: Depacketizer | undefined;
  private clock: RtpClock | undefined;
  /** The incoming stream's SSRC: a new one starts a new clock (its timestamps start anywhere). */
  private ssrc: number | undefined;
  /** The sender report last applied to the clock. */
  private report: SenderClock | undefined;
  private source: CodecDescription | undefined;
  private needKeyframe = true;
  private closed = false;
  private lastTimeUs = -Infinity;
  /** When the sender was last asked for a key frame the track waits for (ms). */
  private keyframeAskedMs = -Infinity;
  /** Set once the track knows what to declare in the container. */
  info: TrackInfo | undefined;

  constructor(
    kind: 'AUDIO' | 'VIDEO',
    private readonly events: TrackEvents,
    /** The sender's clock, shared with the recording's other track. */
    private readonly timeline: SenderTimeline,
  ) {
    this.kind = kind;
  }

  /** The codec of what arrives, once something did. */
  get codec(): CodecDescription | undefined {
    return this.source;
  }

  /**
   * One packet. `pausedMs` is how long the recording was paused so far; `paused` drops it.
   * The packet's frames leave through `events.frames`.
   */
  push(unit: RtpMedia, nowMs: number, paused: boolean, pausedMs: number): void {
    if (this.closed) return;
    if (!this.source || this.source.mimeType !== unit.codec.mimeType || this.source.clockRate !== unit.codec.clockRate) this.startSource(unit.codec);
    if (!this.depacketizer) return; // a codec that cannot be recorded (already reported)
    if (unit.packet.header.ssrc !== this.ssrc) {
      // A new stream (a hub switched sources, a peer restarted): its sequence numbers start
      // anywhere too, and the old stream's depacketizer would drop it as late packets.
      if (this.ssrc !== undefined) this.depacketizer = createDepacketizer(unit.codec)!;
      this.ssrc = unit.packet.header.ssrc;
      this.clock = new RtpClock(unit.codec.clockRate);
      this.report = undefined;
    }
    const result = this.depacketizer!.push(unit.packet, nowMs);
    if (result.lost) this.events.keyframeNeeded();
    // The assembler drops frames until a key frame: ask again while it waits, as for a frame the
    // file cannot start with (the first request may have been answered before the track waited,
    // or lost on the way, as RTCP is while an ICE restart picks its new pair).
    else if (!paused && this.depacketizer!.waitingForKeyframe) this.askForKeyframe(nowMs);
    for (const frame of result.frames) {
      const localMs = this.clock!.onPacket(frame.rtpTimestamp, nowMs);
      if (localMs === undefined) continue; // a timestamp off the stream's timeline (RtpClock)
      if (paused) {
        this.needKeyframe = this.kind === 'VIDEO';
        continue;
      }
      if (this.needKeyframe && !frame.keyframe) {
        this.askForKeyframe(nowMs);
        continue;
      }
      this.needKeyframe = false;
      // The clock's anchor may still move by a little jitter: never let a track's time go back.
      const timeUs = Math.max((localMs - pausedMs) * 1000, this.lastTimeUs + 1);
      this.lastTimeUs = timeUs;
      if (!this.info) this.describe(frame.data, frame.width, frame.height);
      this.events.frames([{ data: frame.data, timeUs, keyframe: frame.keyframe }]);
    }
    // A new sender report moves the stream onto the sender's clock (after the packet's frames, so
    // the clock has seen one); the objects are replaced, never changed, at each report.
    const report = unit.source?.senderReport;
    if (report && report !== this.report && this.timeline.apply(this.clock!, report)) this.report = report;
  }

  close(): void {
    this.closed = true;
  }

  /**
   * While the file waits for a key frame, the sender is asked again every half second: the key
   * frame that answered the first request may have gone before the track was waiting for it, or
   * been lost, and a sender that is not asked may send none for minutes.
   */
  private askForKeyframe(nowMs: number): void {
    if (nowMs - this.keyframeAskedMs < KEYFRAME_RETRY_MS) return;
    this.keyframeAskedMs = nowMs;
    this.events.keyframeNeeded();
  }

  private startSource(codec: CodecDescription): void {
    const depacketizer = createDepacketizer(codec);
    if (!depacketizer) {
      this.events.failed(new MediaIoError('STREAM_ERROR_FAILED', `cannot record ${codec.mimeType}`));
      return;
    }
    this.source = codec;
    this.depacketizer = depacketizer;
    this.clock = new RtpClock(codec.clockRate);
    this.report = undefined;
    this.needKeyframe = this.kind === 'VIDEO';
  }

  /** Track parameters, from the codec description and the first frames' bitstream. */
  private describe(data: Buffer, width: number | undefined, height: number | undefined): void {
    const source = this.source!;
    const name = codecName(source);
    const codec = (name === 'JPEG' ? 'MJPEG' : name) as FileCodec;
    if (this.kind === 'AUDIO') {
      const channels = name === 'OPUS' ? 2 : (source.channels ?? 1);
      const sampleRate = source.clockRate;
      const config = fmtpValue(source, 'config');
      const extradata = name === 'OPUS' ? opusHead(channels) : name === 'AAC' ? (config ? Buffer.from(config, 'hex') : aacConfig(sampleRate, channels)) : undefined;
      this.info = { kind: 'AUDIO', codec, sampleRate, channels, ...(extradata ? { extradata } : {}) };
      return;
    }
    if (!width || !height) return; // wait for a key frame that carries the size
    let extradata: Buffer | undefined;
    if (codec === 'H264') {
      const sets = splitAnnexB(data).filter((n) => [NAL_SPS, NAL_PPS].includes(n[0]! & 0x1f));
      if (sets.length < 2) return;
      extradata = joinAnnexB(sets);
    }
    this.info = { kind: 'VIDEO', codec, width, height, ...(extradata ? { extradata } : {}) };
  }
}
