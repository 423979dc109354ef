/**
 * Spacing of the keyframe requests (PLI) a session sends its peer: at most one per kind every
 * `spacingMs`. A request within the spacing is merged into one sent when the spacing ends, not
 * dropped: the keyframe that answered the previous request may have reached nobody (a viewer
 * linked before its connection was up asks again once connected, a few hundred ms later).
 */
import type { RtpKind } from './media-path.js';

export class KeyframeSpacing {
  private readonly lastRequest = new Map<RtpKind, number>();
  /** Merged requests waiting for the spacing to end. */
  private readonly pending = new Map<RtpKind, NodeJS.Timeout>();

  /** @param resend sends a merged request once the spacing has ended */
  constructor(
    private readonly spacingMs: number,
    private readonly resend: (kind: RtpKind) => void,
  ) {}

  /**
   * Whether a request falls within the spacing of the previous one (it is then merged into the
   * one `resend` makes later); if not, it counts as sent now.
   */
  merged(kind: RtpKind): boolean {
    const now = Date.now();
    const wait = (this.lastRequest.get(kind) ?? 0) + this.spacingMs - now;
    if (wait <= 0) {
      this.lastRequest.set(kind, now);
      return false;
    }
    if (!this.pending.has(kind)) {
      const timer = setTimeout(() => {
        this.pending.delete(kind);
        this.resend(kind);
      }, wait);
      timer.unref();
      this.pending.set(kind, timer);
    }
    return true;
  }

  /** Drops the merged requests still waiting. */
  cancel(): void {
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }
}
