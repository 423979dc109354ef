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
 * but a worker decoding many pictures then runs them one after another on its event loop, and a
 * Composite of nine 640x480@30 participants fell from 30 to 22 pictures a second
 * (`bench:composite`), its clock and encoder waiting behind the decodes.
 */

/** True when codec work on media of this kind is done synchronously. */
export function runsSynchronously(kind: 'AUDIO' | 'VIDEO'): boolean {
  return kind === 'AUDIO';
}
