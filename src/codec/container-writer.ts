/**
 * Writes encoded frames into a container file (WebM, MKV, MP4, FLV, a JPEG image) with FFmpeg's
 * muxers through node-av, or streams it to an HTTP server as it is written. A JPEG snapshot is
 * the raw MJPEG muxer given one picture: that is a JPEG file, written to any output (the image2
 * muxer opens files by name itself, so it could not upload one).
 *
 * Crash safety comes from how each container is written: MP4 as fragments (an empty `moov`,
 * then a `moof`+`mdat` pair at least every second), Matroska/WebM in clusters of at most a
 * second, each flushed as soon as it closes. A file cut off at any moment plays up to its last
 * complete fragment or cluster. For Matroska files the segment duration is kept up to date in
 * the header while recording (see `MatroskaDurationKeeper`), so even a cut-off file reports it.
 *
 * Every native call is one of node-av's asynchronous ones (they run on libuv's thread pool);
 * writes are queued and run one at a time, in order.
 */
import {
  AV_CHANNEL_LAYOUT_MONO,
  AV_CHANNEL_LAYOUT_STEREO,
  AV_PIX_FMT_YUVJ420P,
  AV_PKT_FLAG_KEY,
  AVFMT_FLAG_FLUSH_PACKETS,
  AVIO_FLAG_WRITE,
  AVMEDIA_TYPE_AUDIO,
  AVMEDIA_TYPE_VIDEO,
  Dictionary,
  FormatContext,
  IOContext,
  Packet,
  Rational,
} from 'node-av';
import { FILE_CODEC_IDS } from './ffmpeg-codecs.js';
import { filePathOf } from './file-uri.js';
import { MatroskaDurationKeeper } from './matroska-duration.js';
import type { FileCodec, ProfileSpec } from './media-profile.js';
import { HttpUpload } from './http-upload.js';
import { MediaIoError, ioErrorFromCode } from './media-io-error.js';

export interface TrackInfo {
  readonly kind: 'AUDIO' | 'VIDEO';
  readonly codec: FileCodec;
  readonly width?: number;
  readonly height?: number;
  readonly sampleRate?: number;
  readonly channels?: number;
  /** Codec private data: OpusHead, avcC or Annex B parameter sets, AudioSpecificConfig. */
  readonly extradata?: Buffer;
}

/** Microseconds: the time base of everything handed to the writer. */
const MICROSECONDS = new Rational(1, 1_000_000);
/** Longest a Matroska cluster or an MP4 fragment grows before it is written out. */
const CHUNK_MS = 1000;
/** Writes waiting beyond this mean the disk or the server cannot keep up: the recording fails. */
const MAX_PENDING_WRITES = 2000;

function muxerOptions(format: string): Record<string, string> {
  switch (format) {
    case 'mp4':
      return { movflags: '+frag_keyframe+empty_moov+default_base_moof', frag_duration: String(CHUNK_MS * 1000) };
    case 'webm':
    case 'matroska':
      return { cluster_time_limit: String(CHUNK_MS) };
    default:
      return {};
  }
}

export class ContainerWriter {
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;
  private failed: MediaIoError | undefined;
  private closed = false;
  private readonly lastDts: bigint[];
  private lastTimeUs = 0;
  /** Bytes handed to the output so far (for statistics). */
  framesWritten = 0;

  private constructor(
    private readonly ctx: FormatContext,
    private readonly upload: HttpUpload | undefined,
    private readonly duration: MatroskaDurationKeeper | undefined,
    private readonly onError: (error: MediaIoError) => void,
  ) {
    this.lastDts = ctx.streams.map(() => -1n);
  }

  /**
   * Creates the file (or starts the upload) and writes the container header. Throws MediaIoError
   * when the target cannot be opened.
   */
  static async open(uri: string, spec: ProfileSpec, tracks: readonly TrackInfo[], onError: (error: MediaIoError) => void): Promise<ContainerWriter> {
    const url = new URL(uri);
    const path = url.protocol === 'file:' ? filePathOf(uri) : undefined;
    const ctx = new FormatContext();
    let ret = ctx.allocOutputContext2(null, spec.format, path ?? null);
    if (ret < 0) throw ioErrorFromCode(ret, `no muxer for ${spec.format}`, 'open');
    for (const track of tracks) addStream(ctx, track);
    let upload: HttpUpload | undefined;
    if (path === undefined) {
      try {
        upload = await HttpUpload.start(url);
      } catch (err) {
        ctx.freeContext();
        throw err;
      }
    }
    // A file, or the socket whose bytes the upload sends: either way an output FFmpeg opens, and
    // frees entirely when it closes it.
    const io = new IOContext();
    ret = await io.open2(upload ? upload.ffmpegUrl : path!, AVIO_FLAG_WRITE);
    if (ret < 0) {
      ctx.freeContext();
      await upload?.finish(false);
      throw ioErrorFromCode(ret, `cannot create ${path ?? uri}`, 'open');
    }
    ctx.pb = io;
    ctx.setFlags(AVFMT_FLAG_FLUSH_PACKETS);
    // Interleaving waits for every stream; a silent track must not hold the others back long.
    ctx.maxInterleaveDelta = BigInt(CHUNK_MS * 1000);
    const options = Dictionary.fromObject(muxerOptions(spec.format));
    ret = await ctx.writeHeader(options);
    options.free();
    if (ret < 0) {
      await closeOutput(ctx, upload);
      ctx.freeContext();
      throw ioErrorFromCode(ret, `cannot write the ${spec.format} header`, 'open');
    }
    const keeper = path !== undefined && (spec.format === 'webm' || spec.format === 'matroska') ? await MatroskaDurationKeeper.attach(path) : undefined;
    const writer = new ContainerWriter(ctx, upload, keeper, onError);
    upload?.onFailure((err) => writer.fail(err));
    return writer;
  }

  /** The error that stopped the writer, if any. */
  get error(): MediaIoError | undefined {
    return this.failed;
  }

  /** Queues one frame. Times are in microseconds from the start of the file. */
  write(track: number, data: Buffer, timeUs: number, keyframe: boolean): void {
    if (this.closed || this.failed) return;
    if (++this.pending > MAX_PENDING_WRITES) {
      this.fail(new MediaIoError('RESOURCE_ERROR_WRITE', 'the output cannot keep up with the recording'));
      return;
    }
    this.queue = this.queue.then(() => this.writeNow(track, data, timeUs, keyframe));
  }

  /** Writes what is queued and the trailer, then closes the output. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.duration?.close();
    if (!this.failed) {
      const ret = await this.ctx.writeTrailer();
      if (ret < 0) this.fail(ioErrorFromCode(ret, 'cannot finish the file', 'write'));
    }
    await closeOutput(this.ctx, this.upload);
    this.ctx.freeContext();
  }

  private async writeNow(track: number, data: Buffer, timeUs: number, keyframe: boolean): Promise<void> {
    this.pending--;
    if (this.failed) return;
    const stream = this.ctx.streams[track];
    if (!stream) return;
    const packet = new Packet();
    packet.alloc();
    packet.data = data;
    packet.streamIndex = track;
    packet.timeBase = MICROSECONDS;
    packet.pts = BigInt(Math.max(0, Math.round(timeUs)));
    packet.dts = packet.pts;
    packet.rescaleTs(MICROSECONDS, stream.timeBase);
    // Muxers need strictly increasing times per stream; jitter in the clock must not break that.
    const last = this.lastDts[track]!;
    if (packet.dts <= last) {
      packet.dts = last + 1n;
      packet.pts = packet.dts;
    }
    this.lastDts[track] = packet.dts;
    if (keyframe) packet.flags = AV_PKT_FLAG_KEY;
    const ret = await this.ctx.interleavedWriteFrame(packet);
    packet.free();
    if (ret < 0) {
      this.fail(ioErrorFromCode(ret, 'cannot write to the output', 'write'));
      return;
    }
    this.framesWritten++;
    if (timeUs > this.lastTimeUs) {
      this.lastTimeUs = timeUs;
      this.duration?.update(timeUs / 1000);
    }
  }

  private fail(error: MediaIoError): void {
    if (this.failed) return;
    this.failed = error;
    this.onError(error);
  }
}

function addStream(ctx: FormatContext, track: TrackInfo): void {
  const stream = ctx.newStream(null);
  const par = stream.codecpar;
  par.codecId = FILE_CODEC_IDS[track.codec];
  if (track.kind === 'VIDEO') {
    par.codecType = AVMEDIA_TYPE_VIDEO;
    par.width = track.width ?? 640;
    par.height = track.height ?? 480;
    if (track.codec === 'MJPEG') par.format = AV_PIX_FMT_YUVJ420P;
    stream.timeBase = new Rational(1, 90000);
  } else {
    par.codecType = AVMEDIA_TYPE_AUDIO;
    par.sampleRate = track.sampleRate ?? 48000;
    // A native mono or stereo layout, not just a count: with an unordered one FLV writes an
    // Enhanced FLV channel-config tag that common FLV readers take for a second audio stream.
    const channels = track.channels ?? 2;
    if (channels <= 2) par.channelLayout = channels === 1 ? AV_CHANNEL_LAYOUT_MONO : AV_CHANNEL_LAYOUT_STEREO;
    else par.channels = channels;
    stream.timeBase = new Rational(1, par.sampleRate);
    if (track.codec === 'OPUS') par.initialPadding = 312; // RFC 7845 pre-skip, as in our OpusHead
  }
  if (track.extradata) par.extradata = track.extradata;
}

/**
 * Closes the output before the context is freed, through the context (closing the IOContext
 * itself and then freeing the context frees it twice); an upload then ends its request.
 */
async function closeOutput(ctx: FormatContext, upload: HttpUpload | undefined): Promise<void> {
  await ctx.closeOutput();
  await upload?.finish(true);
}
