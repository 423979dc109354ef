/**
 * Kurento's duplicate-request cache: a response is kept for a while under (session, request id),
 * and a request repeated within that time gets the same response without running again. This
 * makes a client's retry after a lost response safe (a `create` is not done twice).
 */

export class RequestCache<Response> {
  /** In insertion order, which is expiry order (one TTL for all): `sweep` relies on it. */
  private readonly entries = new Map<string, { response: Response; expires: number }>();
  private sweepTimer: NodeJS.Timeout | undefined;

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
    // Re-inserting (rather than overwriting an expired entry in place) keeps expiry order.
    this.entries.delete(key);
    this.entries.set(key, { response, expires: now + this.ttlMs });
    this.armSweep(now);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Drops expired entries, oldest first, stopping at the first live one: cheap enough for every put. */
  private sweep(now: number): void {
    for (const [key, entry] of this.entries) {
      if (entry.expires > now) break;
      this.entries.delete(key);
    }
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
