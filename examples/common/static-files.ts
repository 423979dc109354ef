/**
 * A minimal static file server: URL prefixes mapped to directories, read-only, no directory
 * listings. Shared by the examples' HTTP servers and the browser test harness.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/** URL prefix (starting and ending with '/') → directory on disk. */
export type Mounts = Record<string, string>;

/** Resolves a request path against the mounts; undefined when nothing matches or it escapes its root. */
export function resolvePath(mounts: Mounts, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  // Longest prefix first, so that '/lib/' wins over '/'.
  const prefix = Object.keys(mounts)
    .sort((a, b) => b.length - a.length)
    .find((p) => decoded.startsWith(p));
  if (prefix === undefined) return undefined;
  const root = resolve(mounts[prefix]!);
  let relative = decoded.slice(prefix.length);
  if (relative === '' || relative.endsWith('/')) relative += 'index.html';
  const file = join(root, relative);
  return file.startsWith(root + sep) ? file : undefined;
}

/** Answers GET/HEAD requests from the mounts; returns false when the request was not handled. */
export async function serveStatic(mounts: Mounts, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const file = resolvePath(mounts, new URL(req.url ?? '/', 'http://localhost').pathname);
  if (file === undefined) return false;
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    return false;
  }
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': body.length,
    // Pages under test must always see the files of the current build.
    'cache-control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}

/** Creates an HTTP server for the mounts; anything not found answers 404. */
export function createStaticServer(mounts: Mounts): Server {
  return createServer((req, res) => {
    serveStatic(mounts, req, res).then(
      (served) => {
        if (!served) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      },
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
}

/** Starts listening and resolves with the server's base URL (http://host:port). */
export function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve(`http://${host === 'localhost' ? 'localhost' : shownHost}:${address.port}`);
    });
  });
}
