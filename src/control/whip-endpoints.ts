/**
 * WHIP (RFC 9725) and WHEP (the IETF draft) for WebRtcEndpoints an application created: a client
 * that is not Kurento's (OBS, GStreamer, a browser page with `fetch`) POSTs its SDP offer to the
 * endpoint's URL, gets the answer, trickles candidates with PATCH and ends with DELETE, while the
 * application builds and wires its pipeline as it always did. The application asks for the URL
 * with `getWhipUrl(bearerToken)` / `getWhepUrl(bearerToken)` (our extension on WebRtcEndpoint).
 *
 * Served here, in the control process, on the Kurento WebSocket's HTTP port: a WHIP exchange is
 * signalling, a few small requests, and each one becomes a request to the worker holding the
 * endpoint (`invoke` of gatherCandidates, processOffer, addIceCandidate; `endPeerSession` for
 * DELETE), exactly what an application's own signalling would cause. Media never passes here.
 *
 *   POST   /whip/<endpoint uuid>              offer → 201, answer, Location, ETag
 *   PATCH  /whip/<endpoint uuid>/<session>    trickle-ice-sdpfrag → 204; an ICE restart → 200 + sdpfrag
 *   DELETE /whip/<endpoint uuid>/<session>    → 200; the session resource is gone (404)
 *   (the same under /whep)
 */
import { randomBytes, createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { KurentoError, isRpcErrorBody } from '../errors.js';
import type { Logger } from '../log.js';
import type { RemoteObject } from '../registry/remote-object.js';
import { answerFragment, parseSdpFragment, restartOffer, SdpTextError, summarizeOffer, type OfferSummary, type SdpFragment } from './whip-sdp.js';

export type WhipKind = 'whip' | 'whep';

/** An SDP offer, or a fragment, larger than this is refused (413): a simulcast offer is ~10 KB. */
const MAX_BODY_BYTES = 128 * 1024;
/** A client that does not send its body within this gets 408. */
const BODY_TIMEOUT_MS = 10_000;

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'Location, ETag, Accept-Patch, Link, WWW-Authenticate',
};

/** The negotiated session of one endpoint (the resource the Location header names). */
interface PeerSession {
  readonly id: string;
  readonly etag: string;
  readonly offer: OfferSummary;
  /** The offer as the endpoint last took it: an ICE restart re-offers it with new credentials. */
  readonly offerText: string;
}

interface Route {
  readonly object: RemoteObject;
  readonly kind: WhipKind;
  /** SHA-256 of the bearer token: compared in constant time, the token itself is not kept. */
  tokenHash: Buffer;
  /** 'negotiating' while a POST is at the worker, so a second POST gets 409 at once. */
  state: 'open' | 'negotiating' | PeerSession | 'ended';
}

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** The media type of a request, without parameters (`application/sdp; charset=utf-8` → application/sdp). */
function mediaType(request: IncomingMessage): string {
  return (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Kurento errors from the worker, as HTTP statuses a WHIP client understands. */
function httpStatusOf(err: unknown): { status: number; message: string } {
  const body = isRpcErrorBody(err) ? err : err instanceof Error ? { code: 0, message: err.message } : { code: 0, message: String(err) };
  const type = (body as { data?: { type?: string } }).data?.type ?? (err as { type?: string }).type;
  switch (type) {
    case 'SDP_PARSE_ERROR':
    case 'SDP_END_POINT_PROCESS_OFFER_ERROR':
    case 'MEDIA_OBJECT_ILLEGAL_PARAM_ERROR':
      return { status: 400, message: body.message };
    case 'SDP_END_POINT_ALREADY_NEGOTIATED':
      return { status: 409, message: 'This endpoint has already negotiated a session' };
    case 'MEDIA_OBJECT_NOT_FOUND':
      return { status: 404, message: 'No such endpoint' };
    default:
      // A worker that died or is being replaced: the client may try again (with a new endpoint).
      if (/^Media worker \d+ (died|is not running|unreachable)/.test(body.message)) return { status: 503, message: body.message };
      return { status: 500, message: body.message };
  }
}

export class WhipEndpoints {
  /** By `<kind>/<endpoint uuid>`. */
  private readonly routes = new Map<string, Route>();
  private baseUrl = 'http://127.0.0.1';

  constructor(private readonly log: Logger) {}

  /** Where clients reach the server's HTTP port (`http://host:port`, or the configured public URL). */
  setBaseUrl(url: string): void {
    this.baseUrl = url.replace(/\/+$/, '');
  }

  /**
   * The URL of an endpoint for WHIP or WHEP, protected by `token` (the application's choice; a
   * new call replaces the token). An empty token is refused: an open ingest URL is a mistake
   * easier to make than to notice.
   */
  url(object: RemoteObject, kind: WhipKind, uuid: string, token: string): string {
    if (token === '') throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `${kind === 'whip' ? 'getWhipUrl' : 'getWhepUrl'} needs a bearer token that is not empty`);
    const key = `${kind}/${uuid}`;
    const found = this.routes.get(key);
    if (found) found.tokenHash = hashToken(token);
    else this.routes.set(key, { object, kind, tokenHash: hashToken(token), state: 'open' });
    return `${this.baseUrl}/${key}`;
  }

  /** The endpoint was released: its URLs answer 404 from now on. */
  forget(uuid: string): void {
    this.routes.delete(`whip/${uuid}`);
    this.routes.delete(`whep/${uuid}`);
  }

  /** Answers the request if its path is ours (`/whip/...`, `/whep/...`); false otherwise. */
  readonly handle = (request: IncomingMessage, response: ServerResponse): boolean => {
    const path = (request.url ?? '/').split('?')[0]!;
    const match = /^\/(whip|whep)\/([^/]+)(?:\/([^/]+))?\/?$/.exec(path);
    if (!match) return false;
    const [, kind, uuid, sessionId] = match as unknown as [string, WhipKind, string, string | undefined];
    this.serve(request, response, kind, uuid, sessionId).catch((err: unknown) => {
      // Whatever went wrong, the client gets an answer and the server carries on.
      const failure = err instanceof HttpFailure ? err : new HttpFailure(500, err instanceof Error ? err.message : String(err));
      if (failure.status >= 500) this.log.warn('WHIP/WHEP request failed', { path, status: failure.status, error: failure.message });
      reply(response, failure.status, failure.message, failure.headers);
    });
    return true;
  };

  private async serve(request: IncomingMessage, response: ServerResponse, kind: WhipKind, uuid: string, sessionId: string | undefined): Promise<void> {
    const method = request.method ?? 'GET';
    const allowed = sessionId === undefined ? 'POST, OPTIONS' : 'PATCH, DELETE, OPTIONS';
    if (method === 'OPTIONS') {
      // CORS preflights carry no Authorization header: answered for any path, so a page on
      // another origin learns the real status from the request itself.
      request.resume();
      response.writeHead(204, {
        ...CORS_HEADERS,
        'access-control-allow-methods': allowed,
        'access-control-allow-headers': 'Authorization, Content-Type, If-Match',
        'access-control-max-age': '600',
        allow: allowed,
        ...(sessionId === undefined ? { 'accept-post': 'application/sdp' } : { 'accept-patch': 'application/trickle-ice-sdpfrag' }),
      });
      response.end();
      return;
    }
    const route = this.routes.get(`${kind}/${uuid}`);
    if (!route || route.object.released || !route.object.worker?.isAlive) {
      request.resume();
      throw new HttpFailure(404, `No ${kind.toUpperCase()} endpoint here`);
    }
    this.authorize(request, route);
    if (sessionId === undefined) {
      if (method !== 'POST') throw new HttpFailure(405, `${method} is not allowed on a ${kind.toUpperCase()} endpoint`, { allow: allowed });
      await this.createSession(request, response, route, uuid);
      return;
    }
    const session = typeof route.state === 'object' && route.state.id === sessionId ? route.state : undefined;
    if (!session) {
      request.resume();
      throw new HttpFailure(404, 'No such session');
    }
    if (method === 'PATCH') await this.trickle(request, response, route, session);
    else if (method === 'DELETE') await this.end(request, response, route);
    else throw new HttpFailure(405, `${method} is not allowed on a ${kind.toUpperCase()} session`, { allow: allowed });
  }

  private authorize(request: IncomingMessage, route: Route): void {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (!match) {
      request.resume();
      throw new HttpFailure(401, 'A bearer token is required', { 'www-authenticate': 'Bearer realm="kuroshio"' });
    }
    if (!timingSafeEqual(hashToken(match[1]!), route.tokenHash)) {
      request.resume();
      throw new HttpFailure(401, 'Wrong bearer token', { 'www-authenticate': 'Bearer realm="kuroshio", error="invalid_token"' });
    }
  }

  private async createSession(request: IncomingMessage, response: ServerResponse, route: Route, uuid: string): Promise<void> {
    if (mediaType(request) !== 'application/sdp') {
      request.resume();
      throw new HttpFailure(415, 'The offer must be sent as application/sdp', { 'accept-post': 'application/sdp' });
    }
    const offer = await readBody(request);
    if (route.state !== 'open') throw new HttpFailure(409, route.state === 'ended' ? 'This endpoint\'s session has ended; the application makes a new endpoint for another' : 'This endpoint has already negotiated a session');
    let summary: OfferSummary;
    try {
      summary = summarizeOffer(offer);
    } catch (err) {
      if (err instanceof SdpTextError) throw new HttpFailure(400, err.message);
      throw err;
    }
    if (route.kind === 'whip' && !summary.sends) throw new HttpFailure(422, 'A WHIP offer must send media: no audio or video line is sendonly or sendrecv');
    if (route.kind === 'whep' && !summary.receives) throw new HttpFailure(422, 'A WHEP offer must receive media: no audio or video line is recvonly or sendrecv');
    route.state = 'negotiating';
    const worker = route.object.worker!;
    const objectId = route.object.id;
    let answer: string;
    try {
      // Gathering first puts the endpoint's candidates into the answer (KMS's gather-before-offer
      // rule), so a client that does not trickle needs nothing else.
      await worker.request('invoke', { objectId, kind: 'method', operation: 'gatherCandidates', member: 'gatherCandidates', params: {} });
      answer = (await worker.request('invoke', { objectId, kind: 'method', operation: 'processOffer', member: 'processOffer', params: { offer } })) as string;
    } catch (err) {
      // A failed offer leaves the endpoint as it was (processOffer's rule), ready for a good one.
      if (route.state === 'negotiating') route.state = 'open';
      const { status, message } = httpStatusOf(err);
      throw new HttpFailure(status, message);
    }
    if (route.object.released) throw new HttpFailure(404, 'The endpoint was released');
    const session: PeerSession = { id: randomBytes(12).toString('base64url'), etag: newEtag(), offer: summary, offerText: offer };
    route.state = session;
    this.log.debug('WHIP/WHEP session created', { kind: route.kind, objectId, session: session.id });
    response.writeHead(201, {
      ...CORS_HEADERS,
      'content-type': 'application/sdp',
      location: `/${route.kind}/${uuid}/${session.id}`,
      etag: session.etag,
      'accept-patch': 'application/trickle-ice-sdpfrag',
    });
    response.end(answer);
  }

  private async trickle(request: IncomingMessage, response: ServerResponse, route: Route, session: PeerSession): Promise<void> {
    if (mediaType(request) !== 'application/trickle-ice-sdpfrag') {
      request.resume();
      throw new HttpFailure(415, 'PATCH takes application/trickle-ice-sdpfrag', { 'accept-patch': 'application/trickle-ice-sdpfrag' });
    }
    const ifMatch = request.headers['if-match'];
    const body = await readBody(request);
    let fragment;
    try {
      fragment = parseSdpFragment(body);
    } catch (err) {
      if (err instanceof SdpTextError) throw new HttpFailure(400, err.message);
      throw err;
    }
    const restart = (fragment.ufrag !== undefined && fragment.ufrag !== session.offer.ufrag) || (fragment.pwd !== undefined && fragment.pwd !== session.offer.pwd);
    if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== session.etag) throw new HttpFailure(412, 'If-Match does not name this session');
    if (restart || ifMatch === '*') {
      await this.restartIce(response, route, session, fragment);
      return;
    }
    await this.addCandidates(route, session, fragment);
    response.writeHead(204, CORS_HEADERS).end();
  }

  /**
   * RFC 9725 §4.3.2: an ICE restart by PATCH (If-Match: "*", new ice-ufrag and ice-pwd). The
   * endpoint restarts ICE on a second offer that only changed its credentials, so the first
   * offer is sent again with the new ones; the answer's credentials and candidates go back as a
   * trickle-ice-sdpfrag, with a new ETag.
   */
  private async restartIce(response: ServerResponse, route: Route, session: PeerSession, fragment: SdpFragment): Promise<void> {
    if (!fragment.ufrag || !fragment.pwd || (fragment.ufrag === session.offer.ufrag && fragment.pwd === session.offer.pwd)) {
      throw new HttpFailure(400, 'An ICE restart needs a new a=ice-ufrag and a=ice-pwd');
    }
    const offer = restartOffer(session.offerText, fragment.ufrag, fragment.pwd);
    let answer: string;
    try {
      answer = (await route.object.worker!.request('invoke', { objectId: route.object.id, kind: 'method', operation: 'processOffer', member: 'processOffer', params: { offer } })) as string;
    } catch (err) {
      const { status, message } = httpStatusOf(err);
      // The endpoint refused the restart and kept its session (§4.3.2: do not end it).
      throw new HttpFailure(status === 500 ? 422 : status, `ICE restart refused: ${message}`);
    }
    const restarted: PeerSession = { ...session, etag: newEtag(), offer: { ...session.offer, ufrag: fragment.ufrag, pwd: fragment.pwd }, offerText: offer };
    if (route.state === session) route.state = restarted;
    await this.addCandidates(route, restarted, fragment);
    response.writeHead(200, { ...CORS_HEADERS, 'content-type': 'application/trickle-ice-sdpfrag', etag: restarted.etag });
    response.end(answerFragment(answer));
  }

  /** Hands a fragment's candidates to the endpoint. */
  private async addCandidates(route: Route, session: PeerSession, fragment: SdpFragment): Promise<void> {
    const worker = route.object.worker!;
    for (const { candidate, mid } of fragment.candidates) {
      // A candidate given before any m-line (or under an unknown mid) goes to the first line: with
      // BUNDLE (which WHIP requires) there is only one transport anyway.
      const index = Math.max(0, mid === undefined ? 0 : session.offer.mids.indexOf(mid));
      const sdpMid = session.offer.mids[index] ?? mid ?? '0';
      try {
        await worker.request('invoke', { objectId: route.object.id, kind: 'method', operation: 'addIceCandidate', member: 'addIceCandidate', params: { candidate: { candidate, sdpMid, sdpMLineIndex: index } } });
      } catch (err) {
        const { status, message } = httpStatusOf(err);
        throw new HttpFailure(status === 500 ? 400 : status, `Candidate refused: ${message}`);
      }
    }
  }

  private async end(request: IncomingMessage, response: ServerResponse, route: Route): Promise<void> {
    request.resume();
    route.state = 'ended';
    try {
      await route.object.worker!.request('endPeerSession', { objectId: route.object.id });
    } catch (err) {
      // The endpoint may have been released meanwhile: the session is over either way.
      this.log.debug('ending a WHIP/WHEP session failed', { objectId: route.object.id, error: err instanceof Error ? err.message : String(err) });
    }
    reply(response, 200, 'Session ended');
  }
}

function newEtag(): string {
  return `"${randomBytes(9).toString('base64url')}"`;
}

function reply(response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.writeHead(status, { ...CORS_HEADERS, 'content-type': 'text/plain; charset=utf-8', ...headers }).end(`${text}\n`);
}

/** The request body as text, within MAX_BODY_BYTES and BODY_TIMEOUT_MS. */
function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => {
      reject(new HttpFailure(408, 'The body did not arrive in time'));
      request.destroy();
    }, BODY_TIMEOUT_MS);
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        clearTimeout(timer);
        request.removeAllListeners('data');
        request.resume();
        reject(new HttpFailure(413, `The body is larger than ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    request.on('error', (err) => {
      clearTimeout(timer);
      reject(new HttpFailure(400, err.message));
    });
  });
}
