/**
 * Uploaded bytes on their way to FFmpeg's demuxer: FFmpeg reads a Unix socket of ours (in a
 * private directory) through its own `unix:` protocol, and what is poured in — one request body
 * after another, if a client reconnects — is what it demuxes. This is `http-upload.ts` the other
 * way round, for the same reasons: no custom I/O context (node-av 6.1.1 leaks its buffer), and
 * backpressure all the way to the client, so memory stays bounded whatever the upload's size.
 */
import { rm } from 'node:fs/promises';
import type { Server, Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { listenPrivately } from './private-socket.js';

export class UploadFeed {
  private connection: Socket | undefined;
  private readonly connected: Promise<Socket>;
  private ended = false;

  private constructor(
    private readonly server: Server,
    private readonly dir: string,
    /** What FFmpeg opens to read the upload. */
    readonly uri: string,
  ) {
    this.connected = new Promise((resolve) => {
      server.once('connection', (socket) => {
        // One reader only: nobody else may connect, and the socket file can go.
        server.close();
        this.connection = socket;
        socket.on('error', () => socket.destroy());
        if (this.ended) socket.end();
        resolve(socket);
      });
    });
  }

  static async open(): Promise<UploadFeed> {
    const { server, dir, ffmpegUrl } = await listenPrivately('kuroshio-post-', 'in.sock');
    return new UploadFeed(server, dir, ffmpegUrl);
  }

  /**
   * Pours a body in, at the pace the demuxer reads it. Resolves 'complete' when the body ended,
   * 'aborted' when its client went away first (the feed stays open for another body).
   */
  async pour(body: Readable): Promise<'complete' | 'aborted'> {
    // The client may have gone already (while the feed was being opened): its body then never
    // says so again.
    if (body.destroyed && !body.readableEnded) return 'aborted';
    const gone = new Promise<undefined>((resolve) => body.once('close', () => resolve(undefined)));
    const socket = await Promise.race([this.connected, gone]);
    if (!socket || socket.destroyed || (body.destroyed && !body.readableEnded)) return 'aborted';
    return new Promise((resolve) => {
      let settled = false;
      const settle = (how: 'complete' | 'aborted'): void => {
        if (settled) return;
        settled = true;
        body.off('data', onData);
        resolve(how);
      };
      const onData = (chunk: Buffer): void => {
        if (!socket.write(chunk)) {
          body.pause();
          socket.once('drain', () => body.resume());
        }
      };
      body.on('data', onData);
      // An HTTP body whose client went away is destroyed after 'aborted': what it had already
      // received but not handed on (it was paused for the demuxer) is taken first, so the next
      // request of a reconnecting client continues the stream without a hole.
      body.once('aborted', () => {
        for (let chunk = body.read() as Buffer | null; chunk !== null; chunk = body.read() as Buffer | null) socket.write(chunk);
      });
      body.once('end', () => settle('complete'));
      body.once('error', () => settle('aborted'));
      body.once('close', () => settle(body.readableEnded ? 'complete' : 'aborted'));
      socket.once('close', () => settle('aborted'));
    });
  }

  /** No more bodies: the demuxer reads to the end of what it has, then sees the end of the stream. */
  end(): void {
    this.ended = true;
    this.connection?.end();
  }

  async close(): Promise<void> {
    this.ended = true;
    this.server.close();
    this.connection?.destroy();
    await rm(this.dir, { recursive: true, force: true });
  }
}
