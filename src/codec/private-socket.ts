/**
 * A Unix socket server in a directory of its own that only this user can enter (mkdtemp makes it
 * 0700): how FFmpeg and we exchange a stream (recordings uploaded over HTTP, uploads demuxed)
 * without a custom I/O context, and without anyone else connecting.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PrivateSocket {
  server: Server;
  /** The directory to remove when done. */
  dir: string;
  /** What FFmpeg opens: `unix:<path>`. */
  ffmpegUrl: string;
}

export async function listenPrivately(prefix: string, name: string): Promise<PrivateSocket> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const path = join(dir, name);
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return { server, dir, ffmpegUrl: `unix:${path}` };
}
