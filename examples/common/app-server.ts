/**
 * What every example application server shares: command-line options, the HTTP server for its
 * page (plus the shared browser code and the kurento-utils bundle), and a JSON signalling
 * WebSocket at /signalling whose messages are dispatched by their `type` to the example's handlers.
 *
 * Each browser connection gets its own handlers object, so an example keeps per-user state in a
 * closure and shared state (rooms, presenters) in module scope.
 */
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import { createStaticServer, listen } from './static-files.js';
import type { IceCandidate } from './ice-candidate.js';

/** A signalling message: JSON with a `type`; everything else is the example's business. */
export type Message = { type: string } & Record<string, unknown>;

export interface ExampleOptions {
  /** The media server, as Kurento tutorials spell it: --ws_uri=ws://localhost:8888/kurento */
  wsUri: string;
  port: number;
  host: string;
}

export function parseOptions(argv: string[], defaultPort = 8443): ExampleOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      ws_uri: { type: 'string', default: 'ws://localhost:8888/kurento' },
      port: { type: 'string', default: String(defaultPort) },
      host: { type: 'string', default: 'localhost' },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, not ${values.port}`);
  return { wsUri: values.ws_uri, port, host: values.host };
}

/** One browser connected to the signalling socket. */
export interface Browser {
  /** Short id for logs. */
  readonly id: number;
  send(message: Message): void;
  log(text: string): void;
  /** Where this example's page is served (http://host:port): images the media server fetches are under it. */
  readonly pageUrl: string;
}

/** Handlers of one browser connection: one per message type, plus `closed` when it goes away. */
export interface ConnectionHandlers {
  messages: Record<string, (message: Message) => void | Promise<void>>;
  closed(): void | Promise<void>;
}

/** The example's connection to the media server, whichever client it uses. */
export interface MediaConnection {
  close(): void;
}

export interface Example<M extends MediaConnection> {
  /** Directory name under examples/, used in logs. */
  name: string;
  /** The example's own static/ directory (copied next to the compiled server by the build). */
  staticDir: URL;
  /** Makes the media server connection (kuroshio-client, or the official kurento-client). */
  openMedia(wsUri: string, log: (text: string) => void): M;
  connect(browser: Browser, media: M): ConnectionHandlers;
}

/** Reads a string field of a message, or fails the request with a clear reason. */
export function stringField(message: Message, field: string): string {
  const value = message[field];
  if (typeof value !== 'string' || value === '') throw new Error(`'${message.type}' needs a non-empty string '${field}'`);
  return value;
}

/** Reads the ICE candidate a browser sent ({ candidate, sdpMid, sdpMLineIndex }). */
export function candidateField(message: Message): IceCandidate {
  const c = message.candidate as Partial<IceCandidate> | undefined;
  if (typeof c?.candidate !== 'string' || typeof c.sdpMid !== 'string' || typeof c.sdpMLineIndex !== 'number') {
    throw new Error(`'${message.type}' needs a candidate { candidate, sdpMid, sdpMLineIndex }`);
  }
  return { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex };
}

const COMMON_STATIC = new URL('./static/', import.meta.url);
const BROWSER_BUNDLES = new URL('../../browser/', import.meta.url);

/** Starts the example's HTTP and signalling server; runs until SIGINT/SIGTERM. */
export async function runExample<M extends MediaConnection>(example: Example<M>, argv = process.argv.slice(2)): Promise<void> {
  const options = parseOptions(argv);
  const log = (text: string): void => console.log(`[${example.name}] ${text}`);
  if (!existsSync(new URL('kurento-utils.js', BROWSER_BUNDLES))) {
    throw new Error('dist/browser/kurento-utils.js is missing: run `npm run build` first');
  }
  const media = example.openMedia(options.wsUri, log);
  const http = createStaticServer({
    '/': fileURLToPath(example.staticDir),
    '/common/': fileURLToPath(COMMON_STATIC),
    '/lib/': fileURLToPath(BROWSER_BUNDLES),
  });
  const signalling = new WebSocketServer({ server: http, path: '/signalling' });
  let nextId = 1;
  let pageUrl = '';
  signalling.on('connection', (socket) => serveBrowser(socket, nextId++, example, media, log, pageUrl));

  const url = await listen(http, options.port, options.host);
  pageUrl = url;
  log(`open ${url}/ in a browser (media server: ${options.wsUri})`);

  const shutdown = (): void => {
    log('shutting down');
    for (const socket of signalling.clients) socket.close(1001, 'server shutting down');
    media.close();
    http.closeAllConnections();
    http.close(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

function serveBrowser<M extends MediaConnection>(socket: WebSocket, id: number, example: Example<M>, media: M, log: (t: string) => void, pageUrl: string): void {
  const browser: Browser = {
    id,
    pageUrl,
    send(message) {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
    },
    log: (text) => log(`browser ${id}: ${text}`),
  };
  const handlers = example.connect(browser, media);
  const fail = (err: unknown): void => {
    const message = err instanceof Error ? err.message : String(err);
    browser.log(`error: ${message}`);
    browser.send({ type: 'error', message });
  };
  browser.log('connected');

  // Messages of one browser are handled one after another, in order: a candidate that follows an
  // offer must not overtake it while the offer waits for the media server.
  let queue: Promise<void> = Promise.resolve();
  socket.on('message', (data) => {
    let message: Message;
    try {
      message = JSON.parse(data.toString()) as Message;
      if (typeof message?.type !== 'string') throw new Error('a message needs a string "type"');
    } catch (err) {
      fail(err);
      return;
    }
    const handler = handlers.messages[message.type];
    if (!handler) {
      fail(new Error(`unknown message type '${message.type}'`));
      return;
    }
    if (message.type !== 'iceCandidate') browser.log(`→ ${message.type}`);
    queue = queue.then(() => handler(message)).catch(fail);
  });
  socket.on('close', () => {
    browser.log('disconnected');
    queue = queue.then(() => handlers.closed()).catch((err: Error) => browser.log(`cleanup failed: ${err.message}`));
  });
}
