/**
 * Kurento's duplicate-request cache: a response is kept for a while under (session, request id),
 * and a request repeated within that time gets the same response without running again. This
 * makes a client's retry after a lost response safe (a `create` is not done twice).
 *
 * Unlike KMS's, it is bounded: a session keeps its latest `perSession` responses and the server
 * its latest `total` — a client that floods requests (and perhaps never reads the answers)
 * would otherwise make the server hold every answer for the whole TTL. A retry concerns the
 * requests a client had in flight when its connection broke, which are its latest.
 */

/** A cached response, and the session whose request it answered. */
interface Entry<Response> {
  response: Response;
  expires: number;
  sessionId: string;
}

export class RequestCache<Response> {
  /** In insertion order, which is expiry order (one TTL for all): `sweep` relies on it. */
  private readonly entries = new Map<string, Entry<Response>>();
  /** Each session's keys, oldest first. */
  private readonly bySession = new Map<string, Set<string>>();
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ttlMs: number,
    private readonly limits: { perSession: number; total: number } = { perSession: 256, total: 20_000 },
  ) {}

  private static key(sessionId: string, requestId: string | number): string {
    // KMS compares ids as strings: 5 and "5" are the same request.
    return `${sessionId}\u0000${String(requestId)}`;
  }

  get(sessionId: string, requestId: string | number, now = Date.now()): Response | undefined {
    const entry = this.entries.get(RequestCache.key(sessionId, requestId));
    if (!entry) return undefined;
    if (entry.expires <= now) {
      this.remove(RequestCache.key(sessionId, requestId));
      return undefined;
    }
    return entry.response;
  }

  /** Stores a response unless one is already stored for the same request. */
  put(sessionId: string, requestId: string | number, response: Response, now = Date.now()): void {
    this.sweep(now);
    const key = RequestCache.key(sessionId, requestId);
    const existing = this.entries.get(key);
    if (existing && existing.expires > now) return;
    // Re-inserting (rather than overwriting an expired entry in place) keeps expiry order.
    this.remove(key);
    this.entries.set(key, { response, expires: now + this.ttlMs, sessionId });
    let keys = this.bySession.get(sessionId);
    if (!keys) {
      keys = new Set();
      this.bySession.set(sessionId, keys);
    }
    keys.add(key);
    if (keys.size > this.limits.perSession) this.remove(keys.values().next().value!);
    if (this.entries.size > this.limits.total) this.remove(this.entries.keys().next().value!);
    this.armSweep(now);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Drops expired entries, oldest first, stopping at the first live one: cheap enough for every put. */
  private sweep(now: number): void {
    for (const [key, entry] of this.entries) {
      if (entry.expires > now) break;
      this.remove(key);
    }
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    const keys = this.bySession.get(entry.sessionId);
    keys?.delete(key);
    if (keys?.size === 0) this.bySession.delete(entry.sessionId);
  }

  /**
   * Expired entries must also go when no further request comes to sweep them (a burst, then
   * silence): a timer follows the oldest entry, at most every tenth of the TTL.
   */
  private armSweep(now: number): void {
    if (this.sweepTimer) return;
    const oldest = this.entries.values().next();
    if (oldest.done) return;
    this.sweepTimer = setTimeout(() => {
      this.sweepTimer = undefined;
      const at = Date.now();
      this.sweep(at);
      this.armSweep(at);
    }, Math.max(oldest.value.expires - now, this.ttlMs / 10));
    this.sweepTimer.unref();
  }
}
