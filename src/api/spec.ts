/**
 * The shape of the API description.
 *
 * Every remote class, event and complex type that Kuroshio exposes is written down once, in
 * `src/api/modules/*.ts`, using the compact signature strings below. Validation, `invoke`
 * dispatch, property accessors, `describe`, event subscription checks, `getInfo` and `getKmd`
 * are all derived from these descriptions (see `catalog.ts`), never written per method.
 *
 * Signature grammar (whitespace is free):
 *
 *   param     :=  name ['?'] ':' type ['=' json]        e.g.  `recvonly?: boolean = false`
 *   method    :=  name '(' [param {',' param}] ')' [':' type]
 *                                                       e.g.  `getTag(key: String): String`
 *   property  :=  ['final' | 'readonly'] name ':' type ['=' json]
 *                                                       e.g.  `readonly state: UriEndpointState`
 *   type      :=  Name | Name '[]' | Name '<>'          (list, or map keyed by string)
 *
 * Primitive type names are those of the Kurento IDL: String, boolean, int, int64, float, double.
 * `final` properties are fixed at construction (getter only); `readonly` ones change but have no
 * setter. A `?` parameter is optional; a default given with `=` is applied when it is absent.
 */

export interface ModuleSpec {
  /** Module name as reported by ServerManager.getInfo (`core`, `elements`, `chroma`, ...). */
  readonly name: string;
  /** Prefix of qualified names: `kurento` for core/elements/filters, else the module name. */
  readonly namespace: string;
  readonly version: string;
  readonly classes: readonly ClassSpec[];
  readonly events?: readonly EventSpec[];
  readonly types?: readonly TypeSpec[];
}

export interface ClassSpec {
  readonly name: string;
  readonly extends?: string;
  readonly abstract?: boolean;
  /** Constructor parameters; absent for abstract classes (and ServerManager). */
  readonly ctor?: readonly string[];
  readonly methods?: readonly string[];
  readonly properties?: readonly string[];
  readonly events?: readonly string[];
  /** One line of our own saying what the class is for (rendered into getKmd). */
  readonly doc?: string;
}

export interface EventSpec {
  readonly name: string;
  readonly extends?: string;
  /** Fields of the event's `data`, as params (`name: type`). */
  readonly fields?: readonly string[];
}

export type TypeSpec = EnumSpec | StructSpec;

export interface EnumSpec {
  readonly name: string;
  readonly values: readonly string[];
}

export interface StructSpec {
  readonly name: string;
  readonly extends?: string;
  /** Fields as params; `?` marks optional fields, `=` gives their default. */
  readonly fields: readonly string[];
}

export function isEnumSpec(spec: TypeSpec): spec is EnumSpec {
  return 'values' in spec;
}
