/**
 * Who may connect, and what a connection may do — which KMS never asked. All of it is off unless
 * configured, so existing applications keep working:
 *
 * - a token on connect, in the query string (`ws://host:8888/kurento?token=...`, or
 *   `access_token`, as kurento-client's option of that name sends it) or an `Authorization:
 *   Bearer` header: a shared secret, or a JWT signed with HS256 (`jose`);
 * - an origin allow-list for browsers (a request without a browser's Origin header is let
 *   through: the token is what guards those);
 * - a read-only monitoring role (its own token, or a JWT with `"role": "monitor"`): describe,
 *   subscribe and getters only, for dashboards.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { jwtVerify } from 'jose';
import { JsonRpcCode, RpcError } from '../errors.js';
import { isObject } from './params.js';

export type Role = 'full' | 'monitor';

export interface AccessSettings {
  accessToken?: string;
  jwtSecret?: string;
  monitorToken?: string;
  allowedOrigins?: string[];
}

export type Admission = { role: Role } | { status: number; reason: string };

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Browsers send `scheme://host[:port]`, or `null` from sandboxed pages and files. Other clients
 * may send what they like (the Node kurento-client sends `host:port`): the allow-list protects
 * users' browsers from foreign pages, the token guards the rest.
 */
function isBrowserOrigin(origin: string): boolean {
  return origin === 'null' || /^[a-z][a-z0-9+.-]*:\/\//i.test(origin);
}

function tokenOf(request: IncomingMessage): string | undefined {
  // kurento-client's `access_token` option puts it in the query string under that name.
  const query = new URL(request.url ?? '/', 'http://x').searchParams;
  const given = query.get('token') ?? query.get('access_token');
  if (given) return given;
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
}

export class AccessControl {
  private readonly jwtKey: Uint8Array | undefined;

  constructor(private readonly settings: AccessSettings) {
    this.jwtKey = settings.jwtSecret !== undefined ? new TextEncoder().encode(settings.jwtSecret) : undefined;
  }

  private get tokenRequired(): boolean {
    return this.settings.accessToken !== undefined || this.settings.monitorToken !== undefined || this.jwtKey !== undefined;
  }

  /** Whether a WebSocket upgrade may become a Kurento connection, and with which role. */
  async admit(request: IncomingMessage): Promise<Admission> {
    const origin = request.headers.origin;
    const allowed = this.settings.allowedOrigins;
    if (allowed !== undefined && origin !== undefined && isBrowserOrigin(origin) && !allowed.includes(origin)) {
      return { status: 403, reason: `Origin ${origin} is not allowed` };
    }
    if (!this.tokenRequired) return { role: 'full' };
    const token = tokenOf(request);
    if (token === undefined) return { status: 401, reason: 'A token is required: connect with ?token=<token>' };
    const { accessToken, monitorToken } = this.settings;
    if (accessToken !== undefined && sameSecret(token, accessToken)) return { role: 'full' };
    if (monitorToken !== undefined && sameSecret(token, monitorToken)) return { role: 'monitor' };
    if (this.jwtKey) {
      try {
        const { payload } = await jwtVerify(token, this.jwtKey, { algorithms: ['HS256'] });
        return { role: payload.role === 'monitor' ? 'monitor' : 'full' };
      } catch {
        // An invalid, expired or foreign token: refused below, like a wrong secret.
      }
    }
    return { status: 401, reason: 'Invalid token' };
  }
}

/** Methods a monitoring connection may call; `invoke` is further limited to getters. */
const MONITOR_METHODS = new Set(['ping', 'connect', 'describe', 'keepAlive', 'subscribe', 'unsubscribe', 'invoke', 'closeSession']);

/**
 * Refuses what a read-only connection may not do: anything that creates, changes or releases.
 * Throws the error to answer with.
 */
export function assertAllowed(role: Role, message: unknown): void {
  if (role === 'full' || !isObject(message)) return;
  const params = isObject(message.params) ? message.params : {};
  const method = message.method;
  const allowed =
    typeof method === 'string' &&
    MONITOR_METHODS.has(method) &&
    (method !== 'invoke' || (typeof params.operation === 'string' && /^(get|is)[A-Z]/.test(params.operation))) &&
    (method !== 'closeSession' || params.release !== true);
  if (!allowed) {
    throw new RpcError(JsonRpcCode.SERVER_ERROR, `'${String(method)}${method === 'invoke' ? ` ${String(params.operation)}` : ''}' is not allowed on a read-only (monitoring) connection`, { type: 'ACCESS_DENIED' });
  }
}
