/**
 * Whether a codec call runs synchronously on the event loop or asynchronously on libuv's pool.
 *
 * Each of node-av's asynchronous calls costs a hand-off to a pool thread and back, and measured
 * on this project's machines that hand-off is far from free: an Opus frame took 3x the CPU
 * through the asynchronous calls (667 µs against 220 µs), a 640x480 VP8 picture's decode about
 * 1.3 ms more (1.9 ms against 0.7 ms) and an x264 encode about 0.5 ms more. Work that small is
 * cheaper done at once, and it holds the event loop for under a millisecond. Larger pictures go
 * to the pool, where a 1080p decode or encode (several milliseconds) cannot delay packets.
 */

/** Pictures up to this many pixels are decoded and encoded synchronously (640x480). */
export const SYNC_MAX_PIXELS = 640 * 480;

/** True when work on sound, or on a picture of this size, is done synchronously. */
export function runsSynchronously(kind: 'AUDIO' | 'VIDEO', width = 0, height = 0): boolean {
  return kind === 'AUDIO' || (width > 0 && height > 0 && width * height <= SYNC_MAX_PIXELS);
}
