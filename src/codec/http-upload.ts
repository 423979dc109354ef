/**
 * Streams a recording to an HTTP server as it is written: one PUT request with a chunked body,
 * fed by the muxer through a custom FFmpeg I/O context. The output is not seekable, so the
 * containers are written the way live streams are (fragmented MP4, Matroska without cues).
 */
import http from 'node:http';
import https from 'node:https';
import { IOContext } from 'node-av';
import { MediaIoError } from './media-io-error.js';

const CONNECT_TIMEOUT_MS = 10_000;
const IO_BUFFER_BYTES = 64 * 1024;

export class HttpUpload {
  private failure: MediaIoError | undefined;
  private readonly failureListeners: ((err: MediaIoError) => void)[] = [];
  private readonly response: Promise<void>;

  private constructor(private readonly request: http.ClientRequest) {
    this.response = new Promise((resolve) => {
      request.once('response', (res) => {
        res.resume();
        if ((res.statusCode ?? 0) >= 300) this.fail(new MediaIoError('RESOURCE_ERROR_WRITE', `the server answered ${res.statusCode ?? '?'} ${res.statusMessage ?? ''}`));
        res.once('end', resolve);
        res.once('error', () => resolve());
      });
      request.once('close', resolve);
    });
    request.on('error', (err) => this.fail(new MediaIoError('RESOURCE_ERROR_WRITE', `upload failed: ${err.message}`)));
  }

  /** Connects to the server; throws RESOURCE_ERROR_OPEN when it cannot be reached. */
  static async start(url: URL): Promise<HttpUpload> {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new MediaIoError('RESOURCE_ERROR_OPEN', `cannot record to ${url.protocol} URIs`);
    const request = (url.protocol === 'https:' ? https : http).request(url, { method: 'PUT', headers: { 'Transfer-Encoding': 'chunked' } });
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
    return new HttpUpload(request);
  }

  /** An FFmpeg output whose bytes become the request body. */
  ioContext(): IOContext {
    const io = new IOContext();
    io.allocContextWithCallbacks(IO_BUFFER_BYTES, 1, null, (chunk: Buffer) => {
      if (this.failure) return -5; // AVERROR(EIO): the muxer stops and reports it
      // FFmpeg reuses its buffer after the callback returns: copy before queuing it on the socket.
      this.request.write(Buffer.from(chunk));
      return chunk.length;
    });
    return io;
  }

  onFailure(listener: (err: MediaIoError) => void): void {
    if (this.failure) listener(this.failure);
    else this.failureListeners.push(listener);
  }

  /** Ends the body and waits for the server's answer. */
  async finish(): Promise<void> {
    if (!this.request.writableEnded) this.request.end();
    await this.response;
  }

  private fail(err: MediaIoError): void {
    if (this.failure) return;
    this.failure = err;
    for (const listener of this.failureListeners.splice(0)) listener(err);
  }
}
