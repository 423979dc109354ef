/**
 * Reads encoded frames from a file or a network source (HTTP, RTSP) with FFmpeg's demuxers
 * through node-av. Every native call is asynchronous (libuv's thread pool); a read blocked on a
 * stalled network source is bounded by I/O timeouts and can be interrupted by `close()`.
 */
import {
  AVERROR_EOF,
  AVMEDIA_TYPE_AUDIO,
  AVMEDIA_TYPE_VIDEO,
  Codec,
  Dictionary,
  FormatContext,
  Packet,
} from 'node-av';
import { filePathOf } from './file-uri.js';
import { sourceCodecName } from './ffmpeg-codecs.js';
import { ioErrorFromCode, MediaIoError } from './media-io-error.js';

/** Network I/O that stalls longer than this fails (µs, FFmpeg's unit). */
const IO_TIMEOUT_US = 5_000_000;

export interface SourceTrack {
  readonly index: number;
  readonly kind: 'AUDIO' | 'VIDEO';
  /** Our codec name (VP8, H264, OPUS, AAC...) or FFmpeg's own for the others. */
  readonly codec: string;
  readonly extradata: Buffer | undefined;
  readonly sampleRate: number;
  readonly channels: number;
  readonly width: number;
  readonly height: number;
}

export interface SourceFrame {
  readonly track: SourceTrack;
  readonly data: Buffer;
  /** Presentation time in microseconds from the start of the media. */
  readonly timeUs: number;
  readonly keyframe: boolean;
}

export interface ReaderOptions {
  /** RTSP buffering, in milliseconds (PlayerEndpoint's networkCache): how long UDP reordering may wait. */
  networkCacheMs: number;
  /** UDP ports an RTSP session may take for its media (the server's RTP port range). */
  udpPortRange?: readonly [number, number];
}

export type RtspTransport = 'tcp' | 'udp';

/**
 * RTSP schemes and the lower transports each tries, in order. `rtspt://` and `rtspu://` are the
 * schemes GStreamer's rtspsrc (behind KMS's PlayerEndpoint) takes to force TCP or UDP; plain
 * `rtsp://` tries interleaved TCP first — one connection that passes NAT and firewalls and loses
 * no packets of large key frames — and UDP when the server refuses TCP (461 Unsupported Transport).
 */
const RTSP_SCHEMES: Readonly<Record<string, readonly RtspTransport[]>> = {
  'rtsp:': ['tcp', 'udp'],
  'rtspt:': ['tcp'],
  'rtspu:': ['udp'],
};

/** AVERROR(EPROTONOSUPPORT): FFmpeg's answer when the server refused every transport it offered. */
const TRANSPORT_REFUSED = -93;
const AVERROR_INVALIDDATA = -1094995529;

function rtspOptions(transport: RtspTransport, options: ReaderOptions): Record<string, string> {
  return {
    rtsp_transport: transport,
    timeout: String(IO_TIMEOUT_US),
    max_delay: String(Math.max(0, options.networkCacheMs) * 1000),
    // Probing the frame rate holds the first frames back for about a second (measured: open
    // takes ~1 s with it, ~0.3 s without); the player paces by timestamps and needs no rate.
    fpsprobesize: '0',
    ...(options.udpPortRange ? { min_port: String(options.udpPortRange[0]), max_port: String(options.udpPortRange[1]) } : {}),
  };
}

export class ContainerReader {
  private readonly packet = new Packet();
  private closed = false;
  private startUs = 0;
  /** Time of the last frame, for frames that carry none (the first ones of an RTSP session). */
  private lastTimeUs = 0;
  /** The read in progress: the context must outlive it. */
  private reading: Promise<number> | undefined;

  private constructor(
    private readonly ctx: FormatContext,
    readonly tracks: readonly SourceTrack[],
    /** The RTSP transport in use; undefined for files and HTTP. */
    readonly rtspTransport: RtspTransport | undefined,
  ) {
    this.packet.alloc();
    const start = ctx.startTime;
    // AV_NOPTS_VALUE (a huge negative) means the container states no start time.
    this.startUs = start > -(2n ** 62n) ? Number(start) : 0;
  }

  /** Whether the URI names a live source (RTSP) rather than a file. */
  static isLive(uri: string): boolean {
    return URL.canParse(uri) && new URL(uri).protocol in RTSP_SCHEMES;
  }

  /** Opens and probes a source; throws MediaIoError when it cannot be read. */
  static async open(uri: string, options: ReaderOptions): Promise<ContainerReader> {
    const url = new URL(uri);
    const transports = RTSP_SCHEMES[url.protocol];
    if (transports) {
      // FFmpeg knows only rtsp://; the transport goes in its options.
      const target = `rtsp:${uri.slice(url.protocol.length)}`;
      for (const [k, transport] of transports.entries()) {
        const ctx = await openInput(target, rtspOptions(transport, options), uri, k < transports.length - 1);
        if (ctx) return ContainerReader.probe(ctx, uri, transport);
      }
    }
    if (!['file:', 'http:', 'https:', 'unix:'].includes(url.protocol)) throw new MediaIoError('INVALID_URI', `Invalid URI: ${url.protocol} is not supported`);
    // unix: is an upload poured into a socket of ours (HttpPostEndpoint), read with FFmpeg's own protocol.
    const target = url.protocol === 'file:' ? filePathOf(uri) : url.protocol === 'unix:' ? `unix:${url.pathname}` : uri;
    const ctx = await openInput(target, url.protocol === 'file:' || url.protocol === 'unix:' ? {} : { rw_timeout: String(IO_TIMEOUT_US) }, uri, false);
    if (!ctx) throw new MediaIoError('RESOURCE_ERROR_OPEN', `cannot open ${uri}`); // only RTSP retries
    return ContainerReader.probe(ctx, uri, undefined);
  }

  private static async probe(ctx: FormatContext, uri: string, rtspTransport: RtspTransport | undefined): Promise<ContainerReader> {
    const ret = await ctx.findStreamInfo(null);
    const tracks: SourceTrack[] = [];
    for (const stream of ctx.streams) {
      const par = stream.codecpar;
      if (par.codecType !== AVMEDIA_TYPE_AUDIO && par.codecType !== AVMEDIA_TYPE_VIDEO) continue;
      tracks.push({
        index: stream.index,
        kind: par.codecType === AVMEDIA_TYPE_AUDIO ? 'AUDIO' : 'VIDEO',
        codec: sourceCodecName(par.codecId) ?? Codec.findDecoder(par.codecId)?.name ?? `codec ${par.codecId}`,
        extradata: par.extradata ?? undefined,
        sampleRate: par.sampleRate,
        channels: par.channels,
        width: par.width,
        height: par.height,
      });
    }
    if (ret < 0 || tracks.length === 0) {
      await ctx.closeInput();
      throw new MediaIoError('INVALID_MEDIA', `Invalid media: no audio or video found in ${uri}`);
    }
    return new ContainerReader(ctx, tracks, rtspTransport);
  }

  get live(): boolean {
    return this.rtspTransport !== undefined;
  }

  /** Duration in ms, or 0 when unknown (live sources). */
  get durationMs(): number {
    const d = this.ctx.duration;
    return d > 0n ? Math.round(Number(d) / 1000) : 0;
  }

  get seekable(): boolean {
    // node-av exposes no pb for contexts FFmpeg opened itself; files and HTTP with ranges seek.
    const pb = this.ctx.pb;
    return !this.live && this.durationMs > 0 && (pb === null || pb.seekable !== 0);
  }

  /** The next frame, or 'eof'. Throws MediaIoError when the source fails. */
  async read(): Promise<SourceFrame | 'eof'> {
    for (;;) {
      if (this.closed) return 'eof';
      this.reading = this.ctx.readFrame(this.packet);
      const ret = await this.reading;
      this.reading = undefined;
      if (this.closed) return 'eof';
      if (ret === AVERROR_EOF) return 'eof';
      if (ret < 0) throw ioErrorFromCode(ret, 'cannot read the source', 'read');
      const track = this.tracks.find((t) => t.index === this.packet.streamIndex);
      const data = this.packet.data;
      if (!track || !data) {
        this.packet.unref();
        continue;
      }
      const tb = this.ctx.streams[track.index]!.timeBase;
      const ts = this.packet.pts > -(2n ** 62n) ? this.packet.pts : this.packet.dts;
      // AV_NOPTS_VALUE on both: the frame takes the time of the one before it.
      const timeUs = ts > -(2n ** 62n) ? (Number(ts) * tb.num * 1_000_000) / tb.den - this.startUs : this.lastTimeUs;
      this.lastTimeUs = timeUs;
      const frame: SourceFrame = { track, data: Buffer.from(data), timeUs, keyframe: this.packet.isKeyframe };
      this.packet.unref();
      return frame;
    }
  }

  /** Jumps to the key frame nearest to `ms` (playback must start on a key frame). */
  async seek(ms: number): Promise<boolean> {
    const target = BigInt(Math.round(ms * 1000)) + BigInt(this.startUs);
    const ret = await this.ctx.seekFile(-1, BigInt(this.startUs), target, BigInt(this.startUs) + BigInt(this.durationMs * 1000));
    return ret >= 0;
  }

  /** Closes the source (an RTSP session sends TEARDOWN); a read in progress returns 'eof'. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ctx.interrupt();
    await this.reading;
    await this.ctx.closeInput();
    this.packet.free();
  }
}

/**
 * Opens an input. Returns undefined when the server refused the RTSP transport and `mayRefuse`
 * says another one will be tried; throws MediaIoError for every other failure.
 */
async function openInput(target: string, options: Record<string, string>, uri: string, mayRefuse: boolean): Promise<FormatContext | undefined> {
  const ctx = new FormatContext();
  const dict = Dictionary.fromObject(options);
  const ret = await ctx.openInput(target, null, dict);
  dict.free();
  if (ret >= 0) return ctx;
  if (ret === TRANSPORT_REFUSED && mayRefuse) return undefined;
  // An unreadable format is the media's fault, not the resource's.
  if (ret === AVERROR_INVALIDDATA) throw new MediaIoError('INVALID_MEDIA', `Invalid media: ${uri} is not a format Kuroshio reads`);
  throw ioErrorFromCode(ret, `cannot open ${uri}`, 'open-read');
}
