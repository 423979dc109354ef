/**
 * The live console (`--console`): a web page showing every pipeline as a graph, per-element plots
 * and the event log of a selected element, served under `/console` behind a token.
 *
 * It reads what the protocol offers about any pipeline, whoever created it: the objects the
 * control process knows, each element's `getStats` (with our `links` and `mediaProcessing`
 * extensions: codecs per link, transcoding branches), and the events the elements raise. It reads
 * them inside the server rather than over a Kurento session of its own, because a session that
 * looked at a pipeline would hold it, and a pipeline would then outlive its application.
 *
 * Nothing is sampled while nobody looks: the sampler (one getStats per element per second) runs
 * only while a page asked for the state in the last few seconds. Each element keeps five minutes
 * of samples and its last events.
 */
import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MediaServer } from '../control/media-server.js';
import type { Logger } from '../log.js';
import type { RemoteObject } from '../registry/remote-object.js';
import { ElementHistory, type ConsoleState, type ElementDetails, type ElementView, type StatsMap } from './console-history.js';
import { sendJson, type PathHandler } from './http-endpoints.js';

/** Where `npm run build` puts the page (scripts/build-browser-bundles.mjs). */
const ASSETS = fileURLToPath(new URL('../../console/', import.meta.url));
const COOKIE = 'kuroshio_console';
const SAMPLE_INTERVAL_MS = 1000;
/** The sampler stops this long after the last page request. */
const IDLE_AFTER_MS = 10_000;
const CONTENT_TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };

export class ConsoleServer implements PathHandler {
  readonly prefix = '/console';
  private readonly history = new Map<string, ElementHistory>();
  private readonly stopObserving: () => void;
  private sampler: NodeJS.Timeout | undefined;
  private lastViewedAt = 0;
  private sampling = false;

  constructor(
    private readonly media: MediaServer,
    readonly token: string,
    private readonly log: Logger,
  ) {
    this.stopObserving = media.observeEvents((source, type, data, timestamp) => this.historyOf(source).onEvent(type, data, timestamp));
    media.registry.on('released', (dead) => {
      for (const o of dead) this.history.delete(o.id);
    });
  }

  close(): void {
    this.stopObserving();
    clearInterval(this.sampler);
    this.sampler = undefined;
  }

  handle(request: IncomingMessage, response: ServerResponse, path: string): void {
    const url = new URL(request.url ?? '/', 'http://console');
    const given = url.searchParams.get('token');
    if (given !== null && this.tokenMatches(given)) {
      // The token from the link becomes a cookie, so the page's own requests carry it.
      response.setHeader('set-cookie', `${COOKIE}=${encodeURIComponent(given)}; Path=${this.prefix}; HttpOnly; SameSite=Strict`);
    } else if (!this.authorized(request)) {
      sendJson(response, 401, { error: 'the console needs its token: open /console/?token=<token>' });
      return;
    }
    const rest = path.slice(this.prefix.length).replace(/^\/+/, '');
    if (rest === 'api/state') return this.serveState(response);
    if (rest === 'api/element') return this.serveElement(response, url.searchParams.get('id') ?? '');
    this.serveAsset(response, rest === '' ? 'index.html' : rest);
  }

  // ---- data ----------------------------------------------------------------------------------

  private historyOf(object: RemoteObject): ElementHistory {
    let found = this.history.get(object.id);
    if (!found) {
      found = new ElementHistory();
      this.history.set(object.id, found);
    }
    return found;
  }

  /** Every pipeline with its elements, as the page draws them. */
  private serveState(response: ServerResponse): void {
    this.viewed();
    const objects = this.media.registry.all().filter((o) => !o.released && o.worker);
    const pipelines = objects
      .filter((o) => !o.parent)
      .map((pipeline) => ({
        id: pipeline.id,
        name: pipeline.name,
        worker: pipeline.worker?.index,
        elements: objects.filter((o) => o.parent && o.pipeline === pipeline).map((o) => this.viewOf(o)),
      }));
    const state: ConsoleState = { time: Date.now(), pipelines };
    sendJson(response, 200, state);
  }

  private viewOf(object: RemoteObject): ElementView {
    const h = this.historyOf(object);
    return {
      id: object.id,
      type: object.cls.name,
      name: object.name,
      flowingIn: h.flowing('in'),
      flowingOut: h.flowing('out'),
      transcoding: h.transcodingPads(),
      links: h.links,
      processing: h.processing,
      latest: h.samples.at(-1),
    };
  }

  /** One element's plots (its samples) and event log. */
  private serveElement(response: ServerResponse, id: string): void {
    this.viewed();
    const object = this.media.registry.find(id);
    if (!object || object.released) return sendJson(response, 404, { error: `no element ${id}` });
    const h = this.historyOf(object);
    const details: ElementDetails = { id, type: object.cls.name, samples: h.samples, events: h.events };
    sendJson(response, 200, details);
  }

  private viewed(): void {
    this.lastViewedAt = Date.now();
    if (!this.sampler) {
      this.sampler = setInterval(() => void this.sample(), SAMPLE_INTERVAL_MS);
      this.sampler.unref();
      void this.sample();
    }
  }

  /** One round of getStats on every element (one at a time per round: rounds never overlap). */
  private async sample(): Promise<void> {
    if (Date.now() - this.lastViewedAt > IDLE_AFTER_MS) {
      clearInterval(this.sampler);
      this.sampler = undefined;
      return;
    }
    if (this.sampling) return;
    this.sampling = true;
    try {
      const elements = this.media.registry.all().filter((o) => !o.released && o.parent && o.worker?.isAlive);
      await Promise.all(
        elements.map(async (element) => {
          try {
            const stats = (await element.worker!.request('invoke', { objectId: element.id, kind: 'method', operation: 'getStats', member: 'getStats', params: {} })) as StatsMap;
            if (!element.released) this.historyOf(element).onStats(stats, Date.now());
          } catch (err) {
            // Released meanwhile, or its worker died: nothing to plot.
            this.log.debug('console could not read stats', { objectId: element.id, error: (err as Error).message });
          }
        }),
      );
    } finally {
      this.sampling = false;
    }
  }

  // ---- access and files ----------------------------------------------------------------------

  private tokenMatches(given: string): boolean {
    const a = Buffer.from(given);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private authorized(request: IncomingMessage): boolean {
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (bearer !== undefined && this.tokenMatches(bearer)) return true;
    const cookie = (request.headers.cookie ?? '').split(';').map((c) => c.trim()).find((c) => c.startsWith(`${COOKIE}=`));
    return cookie !== undefined && this.tokenMatches(decodeURIComponent(cookie.slice(COOKIE.length + 1)));
  }

  private serveAsset(response: ServerResponse, name: string): void {
    // Only plain file names of the page's folder: nothing else of the disk is reachable.
    if (!/^[\w.-]+$/.test(name) || name.startsWith('.')) return sendJson(response, 404, { error: 'not found' });
    let body: Buffer;
    try {
      body = readFileSync(join(ASSETS, name));
    } catch {
      return sendJson(response, 404, { error: 'not found' });
    }
    response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(name)] ?? 'application/octet-stream', 'cache-control': 'no-cache' }).end(body);
  }
}
