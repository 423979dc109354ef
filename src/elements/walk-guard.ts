/**
 * Links may form cycles (`a.connect(a)`, or `a → b → a`): KMS accepts them, and so do we. The
 * walks a pass-through makes along its links (a keyframe request going upstream, the codecs coming
 * downstream, an end of stream) would then come back to where they started and recurse until the
 * stack overflows. Each element keeps one guard: a walk that reaches an element it is already
 * passing through stops there.
 */
export class WalkGuard {
  private readonly active = new Set<string>();

  /** Runs `walk` unless a walk with the same key is already running through this element. */
  run<T>(key: string, reentered: T, walk: () => T): T {
    if (this.active.has(key)) return reentered;
    this.active.add(key);
    try {
      return walk();
    } finally {
      this.active.delete(key);
    }
  }
}
