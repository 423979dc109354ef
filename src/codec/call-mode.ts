/**
 * Whether a codec call runs synchronously on the event loop or asynchronously on libuv's pool.
 *
 * Each of node-av's asynchronous calls costs a hand-off to a pool thread and back, and measured
 * on this project's machines that hand-off is far from free: an Opus frame took 3x the CPU
 * through the asynchronous calls (667 µs against 220 µs). Sound is therefore decoded, converted
 * and encoded at once: a 20 ms frame holds the event loop for a fraction of a millisecond.
 *
 * Pictures stay on the pool although the hand-off costs them too (about 1.3 ms on a 640x480 VP8
 * decode, 0.5 ms on an x264 encode): done synchronously they cut a transcoding's CPU by a third,
 * but a worker decoding many pictures then runs them one after another on its event loop, where
 * a mixer's clock and encoder wait behind them: in `bench:composite` one core then held one
 * 4-participant Composite at 15 fps instead of two, and nine 800x600@15 participants got 12.2
 * pictures a second instead of 13.9.
 */

/** True when codec work on media of this kind is done synchronously. */
export function runsSynchronously(kind: 'AUDIO' | 'VIDEO'): boolean {
  return kind === 'AUDIO';
}
