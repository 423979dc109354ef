/**
 * Waiting on conditions nothing announces (page stats, /proc, counters read through getStats):
 * poll with a short interval until the condition holds or the time is up. This is waiting for an
 * observable state with a timeout, not a sleep used as synchronisation.
 */
import { setTimeout as delay } from 'node:timers/promises';

/** Polls `read` until `predicate` holds or the time is up; returns the last value either way. */
export async function poll<T>(read: () => T | Promise<T>, predicate: (value: T) => boolean, timeoutMs: number, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!predicate(value) && Date.now() < deadline) {
    await delay(intervalMs);
    value = await read();
  }
  return value;
}

/** Waits for `predicate(await read())` by polling every `intervalMs`; fails with the last value seen. */
export async function pollUntil<T>(
  read: () => Promise<T>,
  predicate: (value: T) => boolean,
  timeoutMs: number,
  description = 'a condition',
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await read();
      lastError = undefined;
      if (predicate(last)) return last;
    } catch (err) {
      lastError = err; // e.g. the page is still loading: try again until the deadline
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? `last error: ${lastError.message}` : `last value: ${JSON.stringify(last)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}; ${why}`);
    }
    await delay(intervalMs);
  }
}
