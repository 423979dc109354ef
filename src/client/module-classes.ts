/**
 * Client classes for a module, for the official JavaScript `kurento-client`: what Kurento's
 * module creator generates as `kurento-module-<name>` packages (none of which is on npm),
 * generated at run time from the module's API description instead. An application registers
 * them once and then creates and drives the module's objects like built-in ones:
 *
 *   import kurentoClient from 'kurento-client';
 *   import { clientModule } from 'kuroshio/client';
 *   import chroma from 'kuroshio/modules/chroma';   // or the plugin's own description
 *   kurentoClient.register(clientModule(chroma, kurentoClient));
 *   pipeline.create('chroma.ChromaFilter', { window, backgroundImage }, callback);
 *
 * This file is for applications: the server never loads it.
 */
import type { ModuleSpec } from '../api/spec.js';

type Callback = (error: unknown, result?: unknown) => void;
type ClientClass = (new (...args: unknown[]) => object) & { events?: string[]; constructorParams?: Record<string, unknown>; check?: (key: string, value: unknown) => void };

/** The parts of `kurento-client` the generated classes use. */
export interface KurentoClientModule {
  readonly register: ((module: unknown) => void) & { readonly abstracts: Record<string, unknown>; readonly classes: Record<string, unknown> };
  readonly disguise: (target: unknown, source: unknown) => unknown;
  readonly TransactionsManager: { readonly Transaction: new (...args: never[]) => unknown };
  readonly checkType: { readonly ChecktypeError: (key: string, type: unknown, value: unknown) => Error };
}

interface ProxyThis {
  _invoke(transaction: unknown, method: string, params: Record<string, unknown> | Callback | undefined, callback?: Callback): unknown;
}

function parseSignature(signature: string): { name: string; params: { name: string; optional: boolean; type: string }[] } {
  const match = /^\s*([A-Za-z_]\w*)\s*\((.*)\)/.exec(signature);
  if (!match) throw new Error(`bad method signature '${signature}'`);
  const params = match[2]!
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => {
      const m = /^([A-Za-z_]\w*)(\?)?\s*:\s*([^=]+?)\s*(=.*)?$/.exec(p);
      if (!m) throw new Error(`bad parameter '${p}' in '${signature}'`);
      return { name: m[1]!, optional: m[2] === '?' || m[4] !== undefined, type: m[3]! };
    });
  return { name: match[1]!, params };
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The object `kurentoClient.register()` takes for a module. */
export function clientModule(spec: ModuleSpec, client: KurentoClientModule): Record<string, unknown> {
  const { abstracts, classes } = client.register;
  const Transaction = client.TransactionsManager.Transaction;
  const out: Record<string, unknown> = { name: spec.name };
  const made = new Map<string, ClientClass>();
  const parentOf = (name: string): ClientClass => {
    const found = made.get(name) ?? abstracts[`kurento.${name}`] ?? abstracts[name] ?? classes[`kurento.${name}`] ?? classes[name];
    if (typeof found !== 'function') throw new Error(`kurento-client has no class ${name} for module ${spec.name}`);
    return found as ClientClass;
  };
  const invoker = (operation: string, paramNames: readonly string[]) =>
    function (this: ProxyThis, ...args: unknown[]): unknown {
      const transaction = args[0] instanceof Transaction ? args.shift() : undefined;
      const callback = typeof args[paramNames.length] === 'function' ? (args[paramNames.length] as Callback) : typeof args[args.length - 1] === 'function' ? (args.pop() as Callback) : undefined;
      const params: Record<string, unknown> = {};
      paramNames.forEach((name, i) => {
        if (args[i] !== undefined && typeof args[i] !== 'function') params[name] = args[i];
      });
      const bound = (callback ?? ((error: unknown, result?: unknown) => (error ? undefined : result))).bind(this);
      const pending = paramNames.length > 0 ? this._invoke(transaction, operation, params, bound) : this._invoke(transaction, operation, bound);
      return client.disguise(pending, this);
    };
  for (const cls of spec.classes) {
    const Parent = parentOf(cls.extends ?? 'MediaElement');
    // A plain constructor function, as the generated classes are (the client calls them without `new` checks).
    const Generated = function (this: object, ...args: unknown[]) {
      Reflect.apply(Parent, this, args);
    } as unknown as ClientClass;
    Object.setPrototypeOf(Generated.prototype, Parent.prototype);
    Object.setPrototypeOf(Generated, Parent);
    Object.defineProperty(Generated, 'name', { value: cls.name });
    const proto = Generated.prototype as Record<string, unknown>;
    for (const signature of cls.methods ?? []) {
      const { name, params } = parseSignature(signature);
      proto[name] = invoker(name, params.map((p) => p.name));
    }
    for (const property of cls.properties ?? []) {
      const m = /^(?:(final|readonly)\s+)?([A-Za-z_]\w*)/.exec(property)!;
      proto[`get${capitalize(m[2]!)}`] = invoker(`get${capitalize(m[2]!)}`, []);
      if (!m[1]) proto[`set${capitalize(m[2]!)}`] = invoker(`set${capitalize(m[2]!)}`, [m[2]!]);
    }
    Generated.constructorParams = Object.fromEntries(
      (cls.ctor ?? []).map((p) => {
        const m = /^([A-Za-z_]\w*)(\?)?\s*:\s*([^=]+?)\s*(=.*)?$/.exec(p)!;
        const type = m[3]!.replace(/\[\]$/, '');
        const qualified = type === 'MediaPipeline' ? 'kurento.MediaPipeline' : type;
        return [m[1]!, { type: qualified, required: !(m[2] === '?' || m[4] !== undefined), ...(m[3]!.endsWith('[]') ? { isArray: true } : {}) }];
      }),
    );
    Generated.events = [...(Parent.events ?? []), ...(cls.events ?? [])];
    Generated.check = (key: string, value: unknown) => {
      if (!(value instanceof Generated)) throw client.checkType.ChecktypeError(key, Generated, value);
    };
    made.set(cls.name, Generated);
    if (cls.abstract) ((out.abstracts ??= {}) as Record<string, unknown>)[cls.name] = Generated;
    else out[cls.name] = Generated;
  }
  return out;
}
