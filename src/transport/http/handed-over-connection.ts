/**
 * A connection the control process handed to this worker, as a stream Node's HTTP server can
 * serve: the bytes the control process already read (the request's start) come first, then the
 * socket's own. Writes, ends and destruction go to the socket; reading follows the HTTP
 * server's pace, so a slow consumer holds the client back (TCP backpressure) rather than
 * buffering its upload here.
 */
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

export class HandedOverConnection extends Duplex {
  constructor(
    private readonly socket: Socket,
    head: Buffer,
  ) {
    super();
    if (head.length > 0) this.push(head);
    socket.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    // A client that closed may leave bytes we have not read yet: they are still delivered (the
    // HTTP server then sees the body end early), only a broken socket drops them.
    socket.on('close', (hadError) => {
      if (hadError) this.destroy();
      else this.push(null);
    });
  }

  /** What Node's HTTP server asks of a socket beyond the stream interface. */
  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  setTimeout(ms: number, callback?: () => void): this {
    this.socket.setTimeout(ms, callback);
    return this;
  }

  setNoDelay(noDelay?: boolean): this {
    this.socket.setNoDelay(noDelay);
    return this;
  }

  setKeepAlive(enable?: boolean, delay?: number): this {
    this.socket.setKeepAlive(enable, delay);
    return this;
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.socket.write(chunk, callback);
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.socket.destroy();
    callback(err);
  }
}
