/**
 * Streams a recording to an HTTP server as it is written: one request with a chunked body, the
 * way KMS does it (`POST`, `Transfer-Encoding: chunked`). A `#method=PUT` fragment on the URI
 * asks for `PUT` instead (WebDAV and object stores take uploads that way); fragments are never
 * sent to the server, so the rest of the URI — a signed query string, say — reaches it untouched.
 *
 * FFmpeg writes into a Unix socket of our own (in a private directory), opened with its own
 * `unix:` protocol, and what arrives on the socket becomes the request body. An output FFmpeg
 * opened itself is freed completely by closing it; a custom I/O context from node-av 6.1.1 is
 * not (its I/O buffer, 64 KB per upload, was never freed). The socket also carries backpressure:
 * when the HTTP server reads slowly the muxer's writes wait, and the recorder's bounded write
 * queue reports an output that cannot keep up. The output is not seekable, so containers are
 * written the way live streams are (fragmented MP4, Matroska without cues).
 */
import { rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { Server, Socket } from 'node:net';
import { MediaIoError } from './media-io-error.js';
import { listenPrivately, type PrivateSocket } from './private-socket.js';

const CONNECT_TIMEOUT_MS = 10_000;

export type UploadMethod = 'POST' | 'PUT';

/** The method a recording URI asks for: `#method=PUT` in its fragment, else KMS's POST. */
export function uploadMethod(url: URL): UploadMethod {
  const asked = /(?:^#|&)method=([a-z]+)/i.exec(url.hash)?.[1]?.toUpperCase();
  return asked === 'PUT' ? 'PUT' : 'POST';
}

export class HttpUpload {
  private failure: MediaIoError | undefined;
  private readonly failureListeners: ((err: MediaIoError) => void)[] = [];
  private readonly response: Promise<void>;
  private output: Socket | undefined;
  /** Resolves when FFmpeg has closed its end of the socket and everything it wrote was passed on. */
  private readonly outputEnded: Promise<void>;

  private constructor(
    private readonly request: http.ClientRequest,
    private readonly server: Server,
    private readonly dir: string,
    /** What FFmpeg opens to write the file. */
    readonly ffmpegUrl: string,
  ) {
    this.response = new Promise((resolve) => {
      request.once('response', (res) => {
        res.resume();
        if ((res.statusCode ?? 0) >= 300) this.fail(new MediaIoError('RESOURCE_ERROR_WRITE', `the server answered ${res.statusCode ?? '?'} ${res.statusMessage ?? ''}`));
        res.once('end', resolve);
        res.once('error', (err) => {
          this.fail(new MediaIoError('RESOURCE_ERROR_WRITE', `the server's answer broke off: ${err.message}`));
          resolve();
        });
      });
      request.once('close', resolve);
    });
    request.on('error', (err) => this.fail(new MediaIoError('RESOURCE_ERROR_WRITE', `upload failed: ${err.message}`)));
    this.outputEnded = new Promise((resolve) => {
      server.once('connection', (socket) => {
        // One writer only: nobody else may connect, and the socket file can go.
        server.close();
        this.output = socket;
        if (this.failure) socket.destroy();
        socket.on('data', (chunk: Buffer) => {
          if (this.failure || request.write(chunk)) return;
          socket.pause();
          request.once('drain', () => socket.resume());
        });
        socket.once('close', () => resolve());
        // A broken socket also ends in 'close'; FFmpeg reports the write error to the muxer.
        socket.on('error', (err) => this.fail(new MediaIoError('RESOURCE_ERROR_WRITE', `the muxer's output broke: ${err.message}`)));
      });
    });
  }

  /** Connects to the server; throws RESOURCE_ERROR_OPEN when it cannot be reached. */
  static async start(url: URL): Promise<HttpUpload> {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new MediaIoError('RESOURCE_ERROR_OPEN', `cannot record to ${url.protocol} URIs`);
    const request = (url.protocol === 'https:' ? https : http).request(url, { method: uploadMethod(url), headers: { 'Transfer-Encoding': 'chunked' } });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        request.destroy();
        reject(new MediaIoError('RESOURCE_ERROR_OPEN', `cannot connect to ${url.host} within ${CONNECT_TIMEOUT_MS} ms`));
      }, CONNECT_TIMEOUT_MS);
      request.once('error', (err) => {
        clearTimeout(timer);
        reject(new MediaIoError('RESOURCE_ERROR_OPEN', `cannot connect to ${url.host}: ${err.message}`));
      });
      request.once('socket', (socket) => {
        const connected = (): void => {
          clearTimeout(timer);
          resolve();
        };
        if (socket.connecting) socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', connected);
        else connected();
      });
      request.flushHeaders();
    });
    let socket: PrivateSocket;
    try {
      socket = await listenPrivately('kuroshio-upload-', 'out.sock');
    } catch (err) {
      request.destroy();
      throw new MediaIoError('RESOURCE_ERROR_OPEN', `cannot prepare the upload: ${err instanceof Error ? err.message : String(err)}`);
    }
    return new HttpUpload(request, socket.server, socket.dir, socket.ffmpegUrl);
  }

  onFailure(listener: (err: MediaIoError) => void): void {
    if (this.failure) listener(this.failure);
    else this.failureListeners.push(listener);
  }

  /**
   * Ends the body once FFmpeg closed its output (`written`: it had opened it), and waits for the
   * server's answer.
   */
  async finish(written: boolean): Promise<void> {
    if (written) await this.outputEnded;
    this.server.close();
    if (!this.request.writableEnded) this.request.end();
    await this.response;
    await rm(this.dir, { recursive: true, force: true });
  }

  private fail(err: MediaIoError): void {
    if (this.failure) return;
    this.failure = err;
    // FFmpeg's next write then fails too, and the muxer stops.
    this.output?.destroy();
    for (const listener of this.failureListeners.splice(0)) listener(err);
  }
}
