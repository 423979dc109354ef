/**
 * The part of GStreamer's gst-launch syntax a GStreamerFilter takes: ONE element with its
 * properties (`videoflip method=horizontal-flip`, `textoverlay text="Hello world" valignment=top`),
 * or a caps string (`video/x-raw,width=320`, which gst_parse_launch turns into a capsfilter).
 * KMS accepts nothing else: a chain (`a ! b`), a bin (`( a b )`) or a named reference is refused
 * with "only one element", as gst_parse_launch would have made a bin of it.
 */

export interface GstElement {
  readonly name: string;
  /** Properties as written (values unquoted), in order. */
  readonly properties: Map<string, string>;
}

export class GstParseError extends Error {
  constructor(
    message: string,
    /** True when the command describes more than one element (KMS's "only one element" case). */
    readonly notOneElement = false,
  ) {
    super(message);
  }
}

/** Splits on blanks outside quotes; quotes are removed, backslash escapes kept literal. */
export function tokens(command: string): string[] {
  const out: string[] = [];
  let current = '';
  let quote: string | undefined;
  let started = false;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i]!;
    if (quote) {
      if (ch === '\\' && i + 1 < command.length) current += command[++i];
      else if (ch === quote) quote = undefined;
      else current += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      started = true;
    } else if (/\s/.test(ch)) {
      if (started) out.push(current);
      current = '';
      started = false;
    } else {
      current += ch;
      started = true;
    }
  }
  if (quote) throw new GstParseError('unterminated quote');
  if (started) out.push(current);
  return out;
}

/** `true` when a character outside quotes links or groups elements. */
function hasLinkSyntax(command: string): boolean {
  let quote: string | undefined;
  for (const ch of command) {
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '!' || ch === '(' || ch === ')' || ch === '{' || ch === '}') return true;
  }
  return false;
}

const ELEMENT_NAME = /^[a-z0-9][a-z0-9_-]*$/i;

export function parseGstCommand(command: string): GstElement {
  if (hasLinkSyntax(command)) throw new GstParseError('more than one element', true);
  const parts = tokens(command);
  const [first, ...rest] = parts;
  if (!first) throw new GstParseError('empty pipeline not allowed');
  if (first.includes('/')) {
    // A caps string on its own: gst_parse_launch makes it a capsfilter.
    if (rest.length > 0) throw new GstParseError('more than one element', true);
    return { name: 'capsfilter', properties: new Map([['caps', first]]) };
  }
  if (!ELEMENT_NAME.test(first)) throw new GstParseError(`syntax error near '${first}'`);
  const properties = new Map<string, string>();
  for (const part of rest) {
    const eq = part.indexOf('=');
    // A second bare word is a second element: gst-launch would have made a bin of the two.
    if (eq <= 0) throw new GstParseError('more than one element', true);
    properties.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return { name: first, properties };
}

/** The fields of a caps string (`video/x-raw,width=320,framerate=15/1`): media type and fields. */
export function parseCaps(caps: string): { mediaType: string; fields: Map<string, string> } {
  const [mediaType = '', ...rest] = caps.split(',').map((s) => s.trim());
  const fields = new Map<string, string>();
  for (const field of rest) {
    const eq = field.indexOf('=');
    if (eq <= 0) continue;
    // `(int)320` style type annotations are dropped.
    fields.set(field.slice(0, eq).trim(), field.slice(eq + 1).trim().replace(/^\([a-z]+\)/i, ''));
  }
  return { mediaType, fields };
}
