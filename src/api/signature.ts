/**
 * Parser for the signature strings of the API description (grammar in `spec.ts`).
 * Runs once at start-up; a malformed signature is a programming error and throws.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A reference to a type: a name, possibly wrapped as a list (`T[]`) or a string-keyed map (`T<>`). */
export interface TypeRef {
  readonly name: string;
  readonly container: 'none' | 'list' | 'map';
  /** The signature text, e.g. `Tag[]`, kept for messages and for getKmd. */
  readonly text: string;
}

export interface ParamDef {
  readonly name: string;
  readonly type: TypeRef;
  readonly optional: boolean;
  /** Applied when the caller leaves the parameter out. */
  readonly defaultValue?: JsonValue;
}

export interface MethodDef {
  readonly name: string;
  readonly params: readonly ParamDef[];
  readonly returns?: TypeRef;
}

export interface PropertyDef {
  readonly name: string;
  readonly type: TypeRef;
  /** Set once at construction; no setter. */
  readonly final: boolean;
  /** Changes over time but has no setter. */
  readonly readOnly: boolean;
  readonly defaultValue?: JsonValue;
}

const IDENT = '[A-Za-z_][A-Za-z0-9_]*';
const TYPE_RE = new RegExp(`^(${IDENT})(\\[\\]|<>)?$`);
const PARAM_RE = new RegExp(`^(${IDENT})(\\?)?\\s*:\\s*([^=]+?)\\s*(?:=\\s*(.+))?$`);
const METHOD_RE = new RegExp(`^(${IDENT})\\s*\\((.*)\\)\\s*(?::\\s*(.+))?$`);
const PROPERTY_RE = new RegExp(`^(?:(final|readonly)\\s+)?(${IDENT})\\s*:\\s*([^=]+?)\\s*(?:=\\s*(.+))?$`);

export function parseType(text: string): TypeRef {
  const trimmed = text.trim();
  const match = TYPE_RE.exec(trimmed);
  if (!match) throw new Error(`Bad type in API description: '${text}'`);
  const suffix = match[2];
  return {
    name: match[1]!,
    container: suffix === '[]' ? 'list' : suffix === '<>' ? 'map' : 'none',
    text: trimmed,
  };
}

function parseDefault(text: string | undefined, where: string): JsonValue | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    throw new Error(`Bad default value in API description: '${where}'`);
  }
}

export function parseParam(text: string): ParamDef {
  const match = PARAM_RE.exec(text.trim());
  if (!match) throw new Error(`Bad parameter in API description: '${text}'`);
  const defaultValue = parseDefault(match[4], text);
  return {
    name: match[1]!,
    optional: match[2] === '?',
    type: parseType(match[3]!),
    ...(defaultValue !== undefined ? { defaultValue } : {}),
  };
}

/** Splits a parameter list on top-level commas (default values may hold JSON with commas). */
function splitParams(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let inString = false;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    const ch = list[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '[' || ch === '{' || ch === '<') depth++;
    else if (ch === ']' || ch === '}' || ch === '>') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(list.slice(start, i));
      start = i + 1;
    }
  }
  const last = list.slice(start);
  if (last.trim() !== '') parts.push(last);
  return parts;
}

export function parseMethod(text: string): MethodDef {
  const match = METHOD_RE.exec(text.trim());
  if (!match) throw new Error(`Bad method in API description: '${text}'`);
  const returns = match[3];
  return {
    name: match[1]!,
    params: splitParams(match[2]!).map(parseParam),
    ...(returns !== undefined ? { returns: parseType(returns) } : {}),
  };
}

export function parseProperty(text: string): PropertyDef {
  const match = PROPERTY_RE.exec(text.trim());
  if (!match) throw new Error(`Bad property in API description: '${text}'`);
  const defaultValue = parseDefault(match[4], text);
  return {
    name: match[2]!,
    type: parseType(match[3]!),
    final: match[1] === 'final',
    readOnly: match[1] === 'readonly',
    ...(defaultValue !== undefined ? { defaultValue } : {}),
  };
}
