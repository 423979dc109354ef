/**
 * Work bounds on a JSON-RPC frame, checked on its text before anything parses it. A Kurento
 * request nests a handful of levels (a transaction's operation's params' complex value); a frame
 * nesting hundreds costs the control thread time quadratic in its depth (every transaction level
 * rewrites what it holds) and can exhaust the stack of the recursive walks after parsing.
 */

/** Deepest nesting of arrays and objects a frame may have. */
export const MAX_NESTING_DEPTH = 64;

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/**
 * Whether the text nests arrays and objects deeper than `max`: one pass over its characters,
 * skipping strings. Invalid JSON is not this function's business (the parser refuses it).
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > max) return true;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
    }
  }
  return false;
}
