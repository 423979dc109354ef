/**
 * Types derived from an API description written `as const`: what a plugin author's handlers
 * receive and what its events carry, computed by the compiler from the very signature strings
 * the server validates with. A handler that takes a parameter the description does not declare,
 * or an event raised with a field missing or of the wrong type, is a compile error.
 *
 *   const api = { name: 'demo', classes: [{ name: 'Negative', extends: 'Filter',
 *                 methods: ['setStrength(strength: float)'], events: ['Inverted'] }],
 *                 events: [{ name: 'Inverted', extends: 'Media', fields: ['frames: int'] }] } as const;
 *   type P = MethodParams<typeof api, 'Negative', 'setStrength'>;  // { strength: number }
 *   type E = EventData<typeof api, 'Inverted'>;                      // { frames: number }
 *
 * Types named in a signature resolve against the module's own `types` (enums become unions of
 * their values, structs objects), primitives to TypeScript's, remote classes to their ids.
 */

type Trim<S extends string> = S extends ` ${infer R}` ? Trim<R> : S extends `${infer L} ` ? Trim<L> : S;
type Split<S extends string> = S extends `${infer Head},${infer Tail}` ? [Trim<Head>, ...Split<Tail>] : Trim<S> extends '' ? [] : [Trim<S>];

/** What a module description must look like for the derivation (any ModuleSpec written `as const`). */
export interface DescribedModule {
  readonly classes: readonly { readonly name: string; readonly ctor?: readonly string[]; readonly methods?: readonly string[]; readonly properties?: readonly string[] }[];
  readonly events?: readonly { readonly name: string; readonly fields?: readonly string[] }[];
  readonly types?: readonly ({ readonly name: string; readonly values: readonly string[] } | { readonly name: string; readonly fields: readonly string[] })[];
}

type PrimitiveOf<T extends string> = T extends 'String'
  ? string
  : T extends 'boolean'
    ? boolean
    : T extends 'int' | 'int64' | 'float' | 'double'
      ? number
      : undefined;

type NamedType<M extends DescribedModule, T extends string> =
  PrimitiveOf<T> extends undefined
    ? Extract<NonNullable<M['types']>[number], { readonly name: T }> extends infer Found
      ? [Found] extends [never]
        ? string // a remote class (MediaPipeline, MediaElement...): its id
        : Found extends { readonly values: readonly (infer V)[] }
          ? V
          : Found extends { readonly fields: readonly string[] }
            ? ParamsObject<M, Found['fields']>
            : unknown
      : never
    : PrimitiveOf<T>;

/** The TypeScript type of a signature type (`float`, `String[]`, `WindowParam`, `int<>`). */
export type TypeOf<M extends DescribedModule, T extends string> = T extends `${infer E}[]`
  ? TypeOf<M, Trim<E>>[]
  : T extends `${infer E}<>`
    ? Record<string, TypeOf<M, Trim<E>>>
    : NamedType<M, Trim<T>>;

type TypeText<S extends string> = S extends `${infer T}=${string}` ? Trim<T> : Trim<S>;
/** One param signature (`name?: type = default`) as an object type; `?` without a default is optional. */
type ParamEntry<M extends DescribedModule, P extends string> = P extends `${infer Name}:${infer Rest}`
  ? Trim<Name> extends `${infer Bare}?`
    ? Rest extends `${string}=${string}`
      ? { [K in Trim<Bare>]: TypeOf<M, TypeText<Rest>> }
      : { [K in Trim<Bare>]?: TypeOf<M, TypeText<Rest>> }
    : { [K in Trim<Name>]: TypeOf<M, TypeText<Rest>> }
  : never;

type Merge<T> = { [K in keyof T]: T[K] };
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** A list of param signatures as one object type. */
export type ParamsObject<M extends DescribedModule, Params extends readonly string[]> = Params extends readonly []
  ? Record<string, never>
  : Merge<UnionToIntersection<{ [I in keyof Params]: ParamEntry<M, Params[I] & string> }[number]>>;

type ClassOf<M extends DescribedModule, C extends string> = Extract<M['classes'][number], { readonly name: C }>;
type MethodName<S extends string> = S extends `${infer Name}(${string}` ? Trim<Name> : never;
type MethodArgs<S extends string> = S extends `${string}(${infer Args})${string}` ? Split<Args> : [];

/** Names of the methods a class declares. */
export type MethodNames<M extends DescribedModule, C extends string> = MethodName<NonNullable<ClassOf<M, C>['methods']>[number]>;

/** The decoded parameter object a method's handler receives. */
export type MethodParams<M extends DescribedModule, C extends string, Name extends string> = ParamsObject<
  M,
  MethodArgs<Extract<NonNullable<ClassOf<M, C>['methods']>[number], `${Name}(${string}` | `${Name} (${string}`>>
>;

/** The decoded constructor parameters of a class (`mediaPipeline` is the pipeline's id). */
export type ConstructorParams<M extends DescribedModule, C extends string> = ParamsObject<M, NonNullable<ClassOf<M, C>['ctor']>>;

/**
 * The handlers a class must have, one per declared method: a class that `implements` this gets
 * a compile error for a missing handler or a wrong parameter type.
 */
export type Handlers<M extends DescribedModule, C extends string> = {
  [Name in MethodNames<M, C>]: (params: MethodParams<M, C, Name>) => unknown;
};

/** The data of an event the module declares (without `type`, `source`, `timestampMillis`, `tags`: the server adds them). */
export type EventData<M extends DescribedModule, E extends string> = ParamsObject<M, NonNullable<Extract<NonNullable<M['events']>[number], { readonly name: E }>['fields']>>;

/** Names of the events the module declares. */
export type EventNames<M extends DescribedModule> = NonNullable<M['events']>[number]['name'];
