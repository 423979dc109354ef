/**
 * HttpPostEndpoint: media uploaded with HTTP POST (WebM, MP4, anything FFmpeg demuxes; a raw or
 * chunked body, or the first file of a `multipart/form-data` form) played into the pipeline.
 *
 * The URL (`getUrl`) is on the server's HTTP port, which the control process owns; it hands each
 * request's connection to this element (`acceptConnection`), which serves it with Node's HTTP
 * server. The body goes into an UploadFeed that FFmpeg demuxes, and the frames are sent in real
 * time like a played file (PlayedTracks): a fast client is held back by TCP, so memory stays
 * bounded whatever the upload's size.
 *
 * One upload session at a time: MediaSessionStarted at its first request, EndOfStream (and
 * MediaSessionTerminated) when its media ended. A client that drops mid-upload may POST again
 * within `disconnectionTimeout` seconds and the stream carries on; after that it ends. An upload
 * that is not media gets 415 and raises Error (INVALID_MEDIA), and the next one starts afresh.
 */
import busboy from 'busboy';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { RtpPacket } from 'werift';
import { ContainerReader } from '../codec/container-reader.js';
import { MediaIoError } from '../codec/media-io-error.js';
import { UploadFeed } from '../codec/upload-feed.js';
import { RtpMedia, type CodecDescription } from '../media/rtp-media.js';
import { DEFAULT_DESCRIPTION } from '../media/types.js';
import { HandedOverConnection } from '../transport/http/handed-over-connection.js';
import type { ElementPadSource } from './media-element.js';
import { MediaElementImpl } from './media-element.js';
import type { ConnectionTaker, ObjectInit } from './media-object.js';
import { PlayedTracks } from './played-tracks.js';

interface Upload {
  feed: UploadFeed;
  /** The playback of this upload; resolves when its media ended or failed. */
  playing: Promise<void>;
  /** Set when the media could not be read: the request in progress is answered with it. */
  failure: MediaIoError | undefined;
  reader: ContainerReader | undefined;
  /** Requests whose answer waits for the end of the upload's media. */
  waiting: Set<ServerResponse>;
}

export class HttpPostEndpointImpl extends MediaElementImpl implements ConnectionTaker {
  private readonly server: Server;
  private readonly tracks: PlayedTracks;
  private readonly disconnectionTimeoutMs: number;
  private upload: Upload | undefined;
  /** A request is pouring its body in now. */
  private receiving = false;
  private disconnectTimer: NodeJS.Timeout | undefined;

  constructor(init: ObjectInit) {
    super(init);
    this.disconnectionTimeoutMs = Math.max(0, (init.params.disconnectionTimeout as number | undefined) ?? 2) * 1000;
    this.tracks = new PlayedTracks(init.params.useEncodedMedia === true, (kind, packets, codec) => this.sendPackets(kind, packets, codec));
    // Never listens: connections come from the control process.
    this.server = createServer((req, res) => void this.onRequest(req, res));
    this.server.on('clientError', (_err, socket) => socket.destroy());
  }

  acceptConnection(socket: Socket, head: Buffer): void {
    if (this.isReleased) {
      socket.destroy();
      return;
    }
    this.server.emit('connection', new HandedOverConnection(socket, head));
  }

  // ---- media plane ----------------------------------------------------------------------------

  override producedCodecs(pad: ElementPadSource): CodecDescription[] {
    if (pad.kind === 'DATA') return [];
    const codec = this.tracks.codecOf(pad.kind);
    return codec ? [codec] : [];
  }

  override onKeyframeRequest(pad: ElementPadSource): void {
    if (pad.kind !== 'DATA') this.tracks.requestKeyframe(pad.kind);
  }

  override async release(): Promise<void> {
    clearTimeout(this.disconnectTimer);
    const upload = this.upload;
    this.upload = undefined;
    // Uploads in progress end with the endpoint.
    this.server.closeAllConnections();
    this.server.close();
    super.release();
    if (upload) await this.finish(upload);
    this.tracks.clear();
  }

  // ---- HTTP -----------------------------------------------------------------------------------

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Connection', 'close');
    if (req.method !== 'POST') {
      res.writeHead(405, { Allow: 'POST' }).end();
      return;
    }
    if (this.receiving) {
      res.writeHead(409).end('another upload is in progress');
      req.resume();
      return;
    }
    this.receiving = true;
    clearTimeout(this.disconnectTimer);
    try {
      const body = await this.bodyOf(req);
      if (!body) {
        res.writeHead(400).end('no file in the form');
        return;
      }
      const upload = await this.currentUpload();
      upload.waiting.add(res);
      res.once('close', () => upload.waiting.delete(res));
      const outcome = await upload.feed.pour(body);
      if (upload.failure) return; // answered by the failure already
      if (outcome === 'complete') {
        upload.feed.end();
        await upload.playing;
        // The media may have failed while the body was ending (set by play(), after the check above).
        const failure = upload.failure as MediaIoError | undefined;
        if (!res.headersSent) res.writeHead(failure ? 415 : 200).end(failure?.message);
      } else {
        // The client went away mid-upload: it may come back within disconnectionTimeout.
        this.disconnectTimer = setTimeout(() => upload.feed.end(), this.disconnectionTimeoutMs);
      }
    } catch (err) {
      if (!res.headersSent) res.writeHead(500).end(err instanceof Error ? err.message : String(err));
    } finally {
      this.receiving = false;
    }
  }

  /** The media of a request: its body, or the first file of a multipart form. */
  private bodyOf(req: IncomingMessage): Promise<Readable | undefined> {
    if (!/^multipart\/form-data/i.test(req.headers['content-type'] ?? '')) return Promise.resolve(req);
    return new Promise((resolve) => {
      let found = false;
      const form = busboy({ headers: req.headers });
      form.on('file', (_name, stream) => {
        if (found) {
          stream.resume();
          return;
        }
        found = true;
        resolve(stream);
      });
      form.on('close', () => {
        if (!found) resolve(undefined);
      });
      form.on('error', () => {
        if (!found) resolve(undefined);
      });
      req.pipe(form);
    });
  }

  // ---- the upload's playback ------------------------------------------------------------------

  private async currentUpload(): Promise<Upload> {
    if (this.upload) return this.upload;
    const feed = await UploadFeed.open();
    const upload: Upload = { feed, playing: Promise.resolve(), failure: undefined, reader: undefined, waiting: new Set() };
    this.upload = upload;
    this.emit('MediaSessionStarted');
    upload.playing = this.play(upload);
    return upload;
  }

  /** Demuxes the upload and sends its frames in real time until its end. */
  private async play(upload: Upload): Promise<void> {
    let base: { wallMs: number; mediaUs: number } | undefined;
    try {
      upload.reader = await ContainerReader.open(upload.feed.uri, { networkCacheMs: 0 });
      this.tracks.adopt(upload.reader);
      for (;;) {
        const frame = await upload.reader.read();
        if (frame === 'eof' || this.upload !== upload) break;
        if (!base) {
          base = { wallMs: Date.now(), mediaUs: frame.timeUs };
          this.tracks.jumpTo(frame.timeUs);
        }
        const due = base.wallMs + (frame.timeUs - base.mediaUs) / 1000;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
        if (this.upload !== upload) break;
        await this.tracks.send(frame);
      }
    } catch (err) {
      upload.failure = err instanceof MediaIoError ? err : new MediaIoError('STREAM_ERROR_FAILED', String(err));
      this.emitError(upload.failure.type, upload.failure.errorCode, upload.failure.message);
      for (const res of upload.waiting) if (!res.headersSent) res.writeHead(415).end(upload.failure.message);
    }
    if (this.upload !== upload) return;
    this.upload = undefined;
    await this.finish(upload);
    if (!upload.failure && base) {
      this.emit('EndOfStream');
      for (const pad of this.sources.all()) this.pushEndOfStream(pad);
    }
    this.emit('MediaSessionTerminated');
  }

  private async finish(upload: Upload): Promise<void> {
    await upload.feed.close();
    await upload.reader?.close();
    this.endFlow('out');
  }

  private sendPackets(kind: 'AUDIO' | 'VIDEO', packets: RtpPacket[], codec: CodecDescription): void {
    const pad = this.sources.find(kind, DEFAULT_DESCRIPTION);
    if (!pad || pad.links.size === 0) return;
    this.markFlowOut(kind, DEFAULT_DESCRIPTION);
    for (const packet of packets) this.pushMedia(pad, RtpMedia.fromPacket(kind, packet, codec));
  }
}
