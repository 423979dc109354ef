/**
 * The decoder and encoder classes of the decoded-media layer, loaded on first need. They bring
 * FFmpeg (node-av, ~40 MB resident), which a worker that only forwards packets (an SFU's
 * WebRtcEndpoints, PassThroughs) never needs. Elements that work on decoded media load them
 * before their first object exists (`await loadTranscoders()` at the top of their module); the
 * link router loads them when two endpoints first need a transcoding between them, routing that
 * link once they are in.
 */
import type { SharedDecoder } from './shared-decoder.js';
import type { SharedEncoder } from './shared-encoder.js';

export interface Transcoders {
  readonly SharedDecoder: typeof SharedDecoder;
  readonly SharedEncoder: typeof SharedEncoder;
}

let loaded: Transcoders | undefined;
let loading: Promise<Transcoders> | undefined;

/** The classes, once loaded. */
export function transcoders(): Transcoders | undefined {
  return loaded;
}

export function loadTranscoders(): Promise<Transcoders> {
  loading ??= Promise.all([import('./shared-decoder.js'), import('./shared-encoder.js')]).then(
    ([decoder, encoder]) => (loaded = { SharedDecoder: decoder.SharedDecoder, SharedEncoder: encoder.SharedEncoder }),
    (err: unknown) => {
      loading = undefined; // tried again by the next need
      throw err;
    },
  );
  return loading;
}
