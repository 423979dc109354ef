/**
 * Whether a codec call runs synchronously on the event loop or asynchronously on libuv's pool.
 *
 * Each of node-av's asynchronous calls costs a hand-off to a pool thread and back. For sound that
 * hand-off is most of the cost: `npm run bench:codec-calls` prints 0.54 ms of CPU per 20 ms Opus
 * frame (resample + encode) through the asynchronous calls against 0.20-0.23 ms through the
 * synchronous ones. Sound is therefore decoded, converted and encoded at once; a frame holds the
 * event loop for a fraction of a millisecond.
 *
 * Pictures stay on the pool: there the hand-off is small beside the work (640x480 VP8 decode
 * 2.1 ms asynchronously, 1.5-2.6 ms synchronously; x264 0.93 against 0.79-0.89 ms; libvpx 3.2
 * against 3.2-3.4 ms, in the same run), and done synchronously they would hold the event loop
 * for all of it. Only the call that does the work goes to the pool, though: FFmpeg's decoders of
 * our codecs decode in `avcodec_send_packet`, libvpx and x264 encode in `avcodec_send_frame`, so
 * the frames or packets that follow are taken synchronously (one hand-off per picture, not
 * three), and a compositor queues its pictures synchronously and runs its graph in one call.
 */

/** True when codec work on media of this kind is done synchronously. */
export function runsSynchronously(kind: 'AUDIO' | 'VIDEO'): boolean {
  return kind === 'AUDIO';
}
