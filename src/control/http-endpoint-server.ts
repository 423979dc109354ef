/**
 * The HTTP port of HttpPostEndpoint uploads (KMS's HttpEndpoint server, port 9091 by default):
 * one port for the whole server, opened when the first HttpEndpoint is created, as KMS does.
 *
 * Uploads carry media, and media is the workers' business: this process only reads a request's
 * first line to find the endpoint its path names (`/<the endpoint's uuid>`), then hands the
 * connection itself to the worker that holds the endpoint, with the bytes read so far. The body
 * never passes through here. Unknown paths get 404; CORS preflights are answered here.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { KurentoError } from '../errors.js';
import type { Logger } from '../log.js';
import type { MediaWorker } from './media-worker.js';

/** A request line and headers larger than this are refused. */
const MAX_HEAD_BYTES = 16 * 1024;
/** A client that does not send its request line within this is dropped. */
const HEAD_TIMEOUT_MS = 10_000;

export interface HttpEndpointSettings {
  port: number;
  address?: string;
  announcedAddress?: string;
  networkInterfaces?: string;
}

interface Route {
  objectId: string;
  worker: MediaWorker;
}

/**
 * Stops reading a socket for good in this process and returns what it had read but not yet
 * delivered. `pause()` alone lets libuv keep reading into the stream's buffer, and bytes read
 * here after the request line would be lost when the socket moves to a worker: the body would
 * arrive with a hole (a chunked body's framing broken, an upload corrupted). No event-loop turn
 * happens between draining the buffer and stopping the handle, so nothing slips in between.
 */
function stopReading(socket: Socket): Buffer[] {
  socket.pause();
  const buffered: Buffer[] = [];
  for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null) buffered.push(chunk);
  // Node's socket keeps its libuv handle private; readStop is the only way to stop reading it.
  (socket as unknown as { _handle?: { readStop?: () => number } })._handle?.readStop?.();
  return buffered;
}

function respond(socket: Socket, status: string, extraHeaders = ''): void {
  socket.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n${extraHeaders}\r\n`);
}

/** The host for URLs: the configured one, else the configured interfaces' or the machine's first IPv4 address. */
export function defaultHost(settings: Omit<HttpEndpointSettings, 'port'>): string {
  if (settings.announcedAddress) return settings.announcedAddress;
  if (settings.address && settings.address !== '::' && settings.address !== '0.0.0.0') return settings.address;
  const wanted = settings.networkInterfaces?.split(',').map((n) => n.trim()).filter((n) => n !== '');
  const interfaces = networkInterfaces();
  for (const name of wanted && wanted.length > 0 ? wanted : Object.keys(interfaces)) {
    for (const info of interfaces[name] ?? []) if (info.family === 'IPv4' && (wanted || !info.internal)) return info.address;
  }
  return '127.0.0.1';
}

export class HttpEndpointServer {
  private server: Server | undefined;
  private listening: Promise<number> | undefined;
  private readonly routes = new Map<string, Route>();
  private readonly host: string;

  constructor(
    private readonly settings: HttpEndpointSettings,
    private readonly log: Logger,
  ) {
    this.host = defaultHost(settings);
  }

  /** Opens the port if it is not open yet; HTTP_END_POINT_REGISTRATION_ERROR when it cannot be. */
  async ensureListening(): Promise<number> {
    this.listening ??= new Promise<number>((resolve, reject) => {
      const server = createServer({ pauseOnConnect: false }, (socket) => this.route(socket));
      server.once('error', (err) => {
        this.listening = undefined;
        reject(new KurentoError('HTTP_END_POINT_REGISTRATION_ERROR', `Cannot open the HTTP endpoint port ${this.settings.port}: ${err.message}`));
      });
      server.listen({ port: this.settings.port, ...(this.settings.address ? { host: this.settings.address } : {}) }, () => {
        this.server = server;
        const address = server.address();
        const port = typeof address === 'object' && address ? address.port : this.settings.port;
        this.log.info('HttpEndpoint server listening', { port });
        resolve(port);
      });
    });
    return this.listening;
  }

  /** Routes `/<uuid>` to an object of a worker. */
  register(uuid: string, objectId: string, worker: MediaWorker): void {
    this.routes.set(uuid, { objectId, worker });
  }

  unregister(uuid: string): void {
    this.routes.delete(uuid);
  }

  async url(uuid: string): Promise<string> {
    const port = await this.ensureListening();
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `http://${host}:${port}/${uuid}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.listening = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Reads the request line, then hands the connection over (or answers it here). */
  private route(socket: Socket): void {
    const chunks: Buffer[] = [];
    let size = 0;
    socket.setTimeout(HEAD_TIMEOUT_MS, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      const head = Buffer.concat(chunks);
      const lineEnd = head.indexOf('\r\n');
      if (lineEnd < 0) {
        if (size > MAX_HEAD_BYTES) respond(socket, '431 Request Header Fields Too Large');
        return;
      }
      socket.off('data', onData);
      const all = Buffer.concat([head, ...stopReading(socket)]);
      socket.setTimeout(0);
      const [method = '', target = ''] = head.subarray(0, lineEnd).toString('latin1').split(' ');
      const uuid = target.split('?')[0]!.replace(/^\/+/, '');
      const found = this.routes.get(uuid);
      if (method === 'OPTIONS') {
        respond(socket, '204 No Content', 'Access-Control-Allow-Origin: *\r\nAccess-Control-Allow-Methods: POST, OPTIONS\r\nAccess-Control-Allow-Headers: Content-Type\r\n');
      } else if (!found || !found.worker.isAlive) {
        respond(socket, '404 Not Found');
      } else {
        socket.removeAllListeners('error');
        found.worker.handOver(found.objectId, socket, all);
      }
    };
    socket.on('data', onData);
  }
}
