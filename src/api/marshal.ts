/**
 * Converting values between the wire and the server, driven by the API catalog.
 *
 * Incoming values are checked the way KMS's generated code checks them (jsoncpp's notion of
 * "convertible": a number passes for a String, a boolean for an int, ...), defaults are filled
 * in, and remote-object references are resolved. Failures are MARSHALL_ERROR (40001) with KMS's
 * wording. Outgoing complex values get the `__module__`/`__type__` tags the Java client needs.
 */
import { KurentoError } from '../errors.js';
import type { ApiCatalog, ClassInfo, ModuleInfo, StructInfo } from './catalog.js';
import { PRIMITIVE_TYPES } from './catalog.js';
import type { JsonValue, ParamDef, TypeRef } from './signature.js';

/** Looks up live objects for remote-object parameters. Throws 40101/40109 for unknown ids. */
export interface ObjectResolver {
  classOf(objectId: string): ClassInfo;
}

type Plain = Record<string, unknown>;

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function isPlainObject(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** How KMS names a type in "'x' parameter should be a ..." messages. */
function describeForMessage(catalog: ApiCatalog, type: TypeRef, from: ModuleInfo): string {
  if (type.container === 'list') return 'list';
  if (type.container === 'map') return 'map';
  switch (type.name) {
    case 'String':
      return 'string';
    case 'int':
      return 'integer';
    case 'int64':
      return 'int64';
    case 'boolean':
      return 'boolean';
    case 'float':
    case 'double':
      return 'double';
  }
  const complex = catalog.findType(type.name, from);
  return complex?.kind === 'struct' ? 'object' : 'string';
}

/** jsoncpp's Value::isConvertibleTo for the scalar targets KMS uses. */
function convertScalar(name: string, value: unknown): { ok: true; value: unknown } | { ok: false } {
  switch (name) {
    case 'String':
      if (typeof value === 'string') return { ok: true, value };
      if (typeof value === 'number' || typeof value === 'boolean') return { ok: true, value: String(value) };
      if (value === null) return { ok: true, value: '' };
      return { ok: false };
    case 'int':
    case 'int64': {
      if (value === null) return { ok: true, value: 0 };
      if (typeof value === 'boolean') return { ok: true, value: value ? 1 : 0 };
      if (typeof value !== 'number' || !Number.isInteger(value)) return { ok: false };
      if (name === 'int' && (value < INT32_MIN || value > INT32_MAX)) return { ok: false };
      return { ok: true, value };
    }
    case 'float':
    case 'double':
      if (value === null) return { ok: true, value: 0 };
      if (typeof value === 'boolean') return { ok: true, value: value ? 1 : 0 };
      if (typeof value === 'number') return { ok: true, value };
      return { ok: false };
    case 'boolean':
      if (value === null) return { ok: true, value: false };
      if (typeof value === 'boolean') return { ok: true, value };
      if (typeof value === 'number') return { ok: true, value: value !== 0 };
      return { ok: false };
  }
  return { ok: false };
}

export class Marshaller {
  constructor(private readonly catalog: ApiCatalog) {}

  /**
   * Validates the parameter object of a constructor or method and returns a new object holding
   * every declared parameter that was given or has a default.
   */
  decodeParams(
    defs: readonly ParamDef[],
    raw: unknown,
    container: 'operationParams' | 'constructorParams',
    from: ModuleInfo,
    resolver: ObjectResolver,
  ): Plain {
    const hasRequired = defs.some((d) => !d.optional && d.defaultValue === undefined);
    if (raw === undefined || raw === null) {
      if (hasRequired) throw new KurentoError('MARSHALL_ERROR', `'${container}' is required`);
      raw = {};
    }
    if (!isPlainObject(raw)) throw new KurentoError('MARSHALL_ERROR', `'${container}' should be an object`);
    const out: Plain = {};
    for (const def of defs) {
      const present = Object.prototype.hasOwnProperty.call(raw, def.name) && raw[def.name] !== undefined;
      if (!present) {
        if (def.defaultValue !== undefined) {
          out[def.name] = this.decodeValue(def.type, def.defaultValue, def.name, 'parameter', from, resolver);
        } else if (!def.optional) {
          throw this.typeError(def.type, def.name, 'parameter', from);
        }
        continue;
      }
      out[def.name] = this.decodeValue(def.type, raw[def.name], def.name, 'parameter', from, resolver);
    }
    return out;
  }

  decodeValue(
    type: TypeRef,
    value: unknown,
    name: string,
    what: 'parameter' | 'property',
    from: ModuleInfo,
    resolver: ObjectResolver,
  ): unknown {
    if (type.container === 'list') {
      if (!Array.isArray(value)) throw this.typeError(type, name, what, from);
      const item: TypeRef = { name: type.name, container: 'none', text: type.name };
      return value.map((v) => this.decodeValue(item, v, name, what, from, resolver));
    }
    if (type.container === 'map') {
      if (!isPlainObject(value)) throw this.typeError(type, name, what, from);
      const item: TypeRef = { name: type.name, container: 'none', text: type.name };
      const out: Plain = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.decodeValue(item, v, name, what, from, resolver);
      return out;
    }
    if (PRIMITIVE_TYPES.has(type.name)) {
      const converted = convertScalar(type.name, value);
      if (!converted.ok) throw this.typeError(type, name, what, from);
      return converted.value;
    }
    const cls = this.catalog.findClass(type.name);
    if (cls) {
      const id = convertScalar('String', value);
      if (!id.ok) throw this.typeError(type, name, what, from);
      const actual = resolver.classOf(id.value as string);
      if (!this.catalog.isA(actual, cls.name)) {
        throw new KurentoError('MARSHALL_ERROR', `'${name}' ${what} should be a ${cls.name}, got ${actual.name}`);
      }
      return id.value;
    }
    const complex = this.catalog.findType(type.name, from);
    if (!complex) throw new KurentoError('MARSHALL_ERROR', `Unknown type '${type.name}'`);
    if (complex.kind === 'enum') {
      if (typeof value !== 'string') throw this.typeError(type, name, what, from);
      if (!complex.values.has(value)) throw new KurentoError('MARSHALL_ERROR', `Invalid value for '${complex.name}'`);
      return value;
    }
    if (!isPlainObject(value)) throw this.typeError(type, name, what, from);
    const struct = this.concreteStruct(complex, value);
    const out: Plain = {};
    for (const field of struct.fields) {
      const given = value[field.name];
      if (given === undefined) {
        if (field.defaultValue !== undefined) {
          out[field.name] = this.decodeValue(field.type, field.defaultValue, field.name, 'property', struct.module, resolver);
        } else if (!field.optional) {
          throw this.typeError(field.type, field.name, 'property', struct.module);
        }
        continue;
      }
      out[field.name] = this.decodeValue(field.type, given, field.name, 'property', struct.module, resolver);
    }
    if (struct !== complex) out.__type__ = struct.name;
    return out;
  }

  /**
   * Encodes a value for the wire according to its declared type. Complex values are tagged with
   * `__module__`/`__type__`; a value that names a subtype in its own `__type__` (statistics) is
   * encoded as that subtype.
   */
  encodeValue(type: TypeRef, value: unknown, from: ModuleInfo): JsonValue {
    if (value === undefined || value === null) return null;
    if (type.container !== 'none') {
      const item: TypeRef = { name: type.name, container: 'none', text: type.name };
      if (type.container === 'list') {
        return Array.isArray(value) ? value.map((v) => this.encodeValue(item, v, from)) : [];
      }
      const out: Record<string, JsonValue> = {};
      if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) out[k] = this.encodeValue(item, v, from);
      return out;
    }
    if (PRIMITIVE_TYPES.has(type.name) || this.catalog.findClass(type.name)) return value as JsonValue;
    const complex = this.catalog.findType(type.name, from);
    if (!complex || complex.kind === 'enum' || !isPlainObject(value)) return value as JsonValue;
    const struct = this.concreteStruct(complex, value);
    const out: Record<string, JsonValue> = {
      __module__: struct.module.spec.namespace,
      __type__: struct.name,
    };
    for (const field of struct.fields) {
      const v = value[field.name];
      if (v !== undefined) out[field.name] = this.encodeValue(field.type, v, struct.module);
    }
    // Fields beyond the description are Kuroshio's extensions (e.g. drop counters in statistics).
    // Both official clients build complex values from the fields they know and ignore the rest.
    for (const [key, v] of Object.entries(value)) {
      if (!(key in out) && key !== '__module__' && v !== undefined) out[key] = v as JsonValue;
    }
    return out;
  }

  /** The struct a value really is: the declared one, or a subtype it names in `__type__`. */
  private concreteStruct(declared: StructInfo, value: Plain): StructInfo {
    const named = value.__type__;
    if (typeof named !== 'string' || named === declared.name) return declared;
    const candidate = this.catalog.findType(named, declared.module);
    if (candidate?.kind !== 'struct') {
      throw new KurentoError('UNEXPECTED_ERROR', `Type ${named} does not exist in module ${String(value.__module__ ?? declared.module.spec.namespace)}`);
    }
    for (let s: StructInfo | undefined = candidate; s; s = s.parent) if (s === declared) return candidate;
    throw new KurentoError('UNEXPECTED_ERROR', `Type ${named} is not compatible`);
  }

  private typeError(type: TypeRef, name: string, what: 'parameter' | 'property', from: ModuleInfo): KurentoError {
    return new KurentoError('MARSHALL_ERROR', `'${name}' ${what} should be a ${describeForMessage(this.catalog, type, from)}`);
  }
}
