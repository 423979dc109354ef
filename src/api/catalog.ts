/**
 * The API catalog: the parsed, linked form of the module descriptions. Everything the RPC layer
 * needs to know about a class — how to construct it, which operations it answers, which events it
 * raises, its place in the hierarchy — is looked up here.
 */
import type { ClassSpec, ModuleSpec, TypeSpec } from './spec.js';
import { isEnumSpec } from './spec.js';
import {
  parseMethod,
  parseParam,
  parseProperty,
  type MethodDef,
  type ParamDef,
  type PropertyDef,
  type TypeRef,
} from './signature.js';

/** Modules whose qualified names use the prefix `kurento`. */
const KURENTO_NAMESPACE = 'kurento';

export const PRIMITIVE_TYPES = new Set(['String', 'boolean', 'int', 'int64', 'float', 'double']);

export interface ModuleInfo {
  readonly spec: ModuleSpec;
  readonly classes: readonly ClassInfo[];
}

export interface ClassInfo {
  readonly name: string;
  readonly qualifiedName: string;
  readonly module: ModuleInfo;
  readonly parent?: ClassInfo;
  readonly abstract: boolean;
  readonly doc?: string;
  /** Present when the class can be created. */
  readonly ctor?: readonly ParamDef[];
  readonly methods: ReadonlyMap<string, MethodDef>;
  readonly properties: ReadonlyMap<string, PropertyDef>;
  readonly events: ReadonlySet<string>;
  /** Qualified names of the ancestors, nearest first (what `describe` answers). */
  readonly hierarchy: readonly string[];
}

/** What an `invoke` operation name resolves to on a class. */
export type Operation =
  | { readonly kind: 'method'; readonly def: MethodDef; readonly owner: ClassInfo }
  | { readonly kind: 'get'; readonly def: PropertyDef; readonly owner: ClassInfo }
  | { readonly kind: 'set'; readonly def: PropertyDef; readonly owner: ClassInfo };

export interface EnumInfo {
  readonly kind: 'enum';
  readonly name: string;
  readonly module: ModuleInfo;
  readonly values: ReadonlySet<string>;
}

export interface StructInfo {
  readonly kind: 'struct';
  readonly name: string;
  readonly module: ModuleInfo;
  readonly parent?: StructInfo;
  /** Own and inherited fields, ancestors' first. */
  readonly fields: readonly ParamDef[];
}

export type ComplexTypeInfo = EnumInfo | StructInfo;

export interface EventInfo {
  readonly name: string;
  readonly module: ModuleInfo;
  /** Own and inherited fields, ancestors' first. */
  readonly fields: readonly ParamDef[];
  /** True for events derived from `Media`, whose data repeats the event name in `type`. */
  readonly isMediaEvent: boolean;
}

function capitalize(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

export class ApiCatalog {
  readonly modules: readonly ModuleInfo[];
  private readonly classesByName = new Map<string, ClassInfo>();
  private readonly typesByModule = new Map<string, Map<string, ComplexTypeInfo>>();
  private readonly eventsByName = new Map<string, EventInfo>();

  constructor(specs: readonly ModuleSpec[]) {
    const modules: ModuleInfo[] = specs.map((spec) => ({ spec, classes: [] }));
    this.modules = modules;
    for (const module of modules) this.linkTypes(module);
    const pending = new Map<string, { spec: ClassSpec; module: ModuleInfo }>();
    for (const module of modules) for (const spec of module.spec.classes) pending.set(spec.name, { spec, module });
    for (const name of pending.keys()) this.linkClass(name, pending);
    for (const module of modules) for (const spec of module.spec.events ?? []) this.linkEvent(spec.name, module);
  }

  /** Finds a class by bare (`PassThrough`) or qualified (`kurento.PassThrough`) name. */
  findClass(typeName: string): ClassInfo | undefined {
    return this.classesByName.get(typeName);
  }

  /** Resolves a complex type name as seen from a module: its own types first, then every module. */
  findType(name: string, from?: ModuleInfo): ComplexTypeInfo | undefined {
    if (from) {
      const own = this.typesByModule.get(from.spec.name)?.get(name);
      if (own) return own;
    }
    for (const module of this.modules) {
      const found = this.typesByModule.get(module.spec.name)?.get(name);
      if (found) return found;
    }
    return undefined;
  }

  findEvent(name: string): EventInfo | undefined {
    return this.eventsByName.get(name);
  }

  /** True when `cls` is `ancestorName` (bare name) or derives from it. */
  isA(cls: ClassInfo, ancestorName: string): boolean {
    for (let c: ClassInfo | undefined = cls; c; c = c.parent) if (c.name === ancestorName) return true;
    return false;
  }

  /** Resolves an operation the way KMS does: the class's methods, then its property accessors, then its parent. */
  resolveOperation(cls: ClassInfo, operation: string): Operation | undefined {
    for (let c: ClassInfo | undefined = cls; c; c = c.parent) {
      const method = c.methods.get(operation);
      if (method) return { kind: 'method', def: method, owner: c };
      for (const property of c.properties.values()) {
        const cap = capitalize(property.name);
        if (operation === `get${cap}`) return { kind: 'get', def: property, owner: c };
        if (operation === `set${cap}` && !property.final && !property.readOnly) {
          return { kind: 'set', def: property, owner: c };
        }
      }
    }
    return undefined;
  }

  supportsEvent(cls: ClassInfo, event: string): boolean {
    for (let c: ClassInfo | undefined = cls; c; c = c.parent) if (c.events.has(event)) return true;
    return false;
  }

  /** Every property of the class and its ancestors, ancestors' first. */
  allProperties(cls: ClassInfo): PropertyDef[] {
    const chain: ClassInfo[] = [];
    for (let c: ClassInfo | undefined = cls; c; c = c.parent) chain.unshift(c);
    return chain.flatMap((c) => [...c.properties.values()]);
  }

  /** Names of the classes a module can create (what `getInfo` lists as factories). */
  factories(module: ModuleInfo): string[] {
    return module.classes.filter((c) => c.ctor !== undefined && !c.abstract).map((c) => c.name);
  }

  findModule(name: string): ModuleInfo | undefined {
    return this.modules.find((m) => m.spec.name === name);
  }

  /** The module that defines a type reference's target, when it is a class or complex type. */
  isRemoteClass(type: TypeRef): boolean {
    return !PRIMITIVE_TYPES.has(type.name) && this.classesByName.has(type.name);
  }

  private linkTypes(module: ModuleInfo): void {
    const table = new Map<string, ComplexTypeInfo>();
    this.typesByModule.set(module.spec.name, table);
    const specs = new Map<string, TypeSpec>((module.spec.types ?? []).map((t) => [t.name, t]));
    const link = (name: string): ComplexTypeInfo => {
      const existing = table.get(name);
      if (existing) return existing;
      const spec = specs.get(name);
      if (!spec) {
        const elsewhere = this.findType(name);
        if (!elsewhere) throw new Error(`Unknown complex type '${name}' in module ${module.spec.name}`);
        return elsewhere;
      }
      let info: ComplexTypeInfo;
      if (isEnumSpec(spec)) {
        info = { kind: 'enum', name, module, values: new Set(spec.values) };
      } else {
        const parent = spec.extends ? link(spec.extends) : undefined;
        if (parent && parent.kind !== 'struct') throw new Error(`Type ${name} extends an enum`);
        const own = spec.fields.map(parseParam);
        info = { kind: 'struct', name, module, ...(parent ? { parent } : {}), fields: [...(parent?.fields ?? []), ...own] };
      }
      table.set(name, info);
      return info;
    };
    for (const name of specs.keys()) link(name);
  }

  private linkClass(
    name: string,
    pending: Map<string, { spec: ClassSpec; module: ModuleInfo }>,
  ): ClassInfo {
    const existing = this.classesByName.get(name);
    if (existing) return existing;
    const entry = pending.get(name);
    if (!entry) throw new Error(`Unknown class '${name}' in API description`);
    const { spec, module } = entry;
    const parent = spec.extends ? this.linkClass(spec.extends, pending) : undefined;
    const namespace = module.spec.namespace;
    const info: ClassInfo = {
      name,
      qualifiedName: `${namespace}.${name}`,
      module,
      ...(parent ? { parent } : {}),
      abstract: spec.abstract === true,
      ...(spec.doc ? { doc: spec.doc } : {}),
      ...(spec.ctor && !spec.abstract ? { ctor: spec.ctor.map(parseParam) } : {}),
      methods: new Map((spec.methods ?? []).map(parseMethod).map((m) => [m.name, m])),
      properties: new Map((spec.properties ?? []).map((text) => this.completeStructDefault(parseProperty(text), module)).map((p) => [p.name, p])),
      events: new Set(spec.events ?? []),
      hierarchy: parent ? [parent.qualifiedName, ...parent.hierarchy] : [],
    };
    this.classesByName.set(name, info);
    this.classesByName.set(info.qualifiedName, info);
    (module.classes as ClassInfo[]).push(info);
    return info;
  }

  /**
   * A struct-typed property whose default is written as an object (`rembParams: RembParams = {}`)
   * gets the struct's own field defaults filled in, so its getter answers a complete value, as
   * KMS does (the Java client builds the struct from it and reads its fields as numbers).
   */
  private completeStructDefault(property: PropertyDef, module: ModuleInfo): PropertyDef {
    const declared = property.defaultValue;
    if (property.type.container !== 'none' || typeof declared !== 'object' || declared === null || Array.isArray(declared)) return property;
    const struct = this.findType(property.type.name, module);
    if (struct?.kind !== 'struct') return property;
    const fieldDefaults = struct.fields.flatMap((f) => (f.defaultValue !== undefined ? [[f.name, f.defaultValue] as const] : []));
    return { ...property, defaultValue: { ...Object.fromEntries(fieldDefaults), ...declared } };
  }

  private linkEvent(name: string, module: ModuleInfo): EventInfo {
    const existing = this.eventsByName.get(name);
    if (existing) return existing;
    const spec = (module.spec.events ?? []).find((e) => e.name === name);
    let parent: EventInfo | undefined;
    if (spec?.extends) {
      const owner = this.modules.find((m) => (m.spec.events ?? []).some((e) => e.name === spec.extends)) ?? module;
      parent = this.linkEvent(spec.extends, owner);
    }
    if (!spec) throw new Error(`Unknown event '${name}'`);
    const info: EventInfo = {
      name,
      module,
      fields: [...(parent?.fields ?? []), ...(spec.fields ?? []).map(parseParam)],
      isMediaEvent: name === 'Media' || parent?.isMediaEvent === true,
    };
    this.eventsByName.set(name, info);
    return info;
  }
}

export { KURENTO_NAMESPACE };
