/**
 * Kurento's duplicate-request cache: a response is kept for a while under (session, request id),
 * and a request repeated within that time gets the same response without running again. This
 * makes a client's retry after a lost response safe (a `create` is not done twice).
 */

export class RequestCache<Response> {
  private readonly entries = new Map<string, { response: Response; expires: number }>();
  private lastSweep = 0;

  constructor(private readonly ttlMs: number) {}

  private static key(sessionId: string, requestId: string | number): string {
    // KMS compares ids as strings: 5 and "5" are the same request.
    return `${sessionId}\u0000${String(requestId)}`;
  }

  get(sessionId: string, requestId: string | number, now = Date.now()): Response | undefined {
    const entry = this.entries.get(RequestCache.key(sessionId, requestId));
    if (!entry) return undefined;
    if (entry.expires <= now) {
      this.entries.delete(RequestCache.key(sessionId, requestId));
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
    this.entries.set(key, { response, expires: now + this.ttlMs });
  }

  get size(): number {
    return this.entries.size;
  }

  /** Drops expired entries, at most once per TTL, so memory follows the request rate. */
  private sweep(now: number): void {
    if (now - this.lastSweep < this.ttlMs) return;
    this.lastSweep = now;
    for (const [key, entry] of this.entries) if (entry.expires <= now) this.entries.delete(key);
  }
}
