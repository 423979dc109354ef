/**
 * Gives the memory of closed codecs back to the system. libx264 and libvpx allocate their frame
 * buffers on libuv's pool threads, each with its own malloc arena; freed, those pages stay in the
 * worker (its resident size never comes down after a transcoding ends) until the arenas are
 * trimmed. A trim runs a second after a codec closes, once for a burst of closes, off the event
 * loop.
 */
import { loadSrtpAddon, srtpAddonAvailable } from '../transport/srtp/native-addon.js';

const TRIM_DELAY_MS = 1000;
let pending: NodeJS.Timeout | undefined;

export function trimMemorySoon(): void {
  if (pending) return;
  pending = setTimeout(() => {
    pending = undefined;
    // Without the native addon (it failed to build) there is no way to trim: memory stays cached.
    // The trim runs on libuv's pool: on a large heap it takes long enough to stall the packets.
    if (srtpAddonAvailable()) void loadSrtpAddon().trimMemory(); // never rejects
  }, TRIM_DELAY_MS);
  pending.unref();
}
