/**
 * Loads plugin modules in a media worker: their descriptions (for property defaults) at start, and
 * their implementations when the first object of one of their classes is created. Every class the
 * description can construct is announced like a built-in one; a module whose implementation fails
 * to load, or does not implement a class, is logged and answers that creation with
 * NOT_IMPLEMENTED, and the worker serves everything else. Implementations extend the plugin API's
 * classes, which bring FFmpeg and werift with them: an idle worker loads neither.
 */
import { pathToFileURL } from 'node:url';
import type { ModuleSpec } from '../api/spec.js';
import { KurentoError } from '../errors.js';
import type { ElementFactory } from '../elements/media-object.js';
import type { Logger } from '../log.js';
import { BUNDLED_MODULES, loadDescription, locateModule } from './module-loader.js';
import type { ImplementFunction, PluginImplementation } from './plugin-api.js';

export interface LoadedPlugins {
  readonly specs: ModuleSpec[];
  readonly factories: ElementFactory[];
}

async function implementationOf(path: string, spec: ModuleSpec): Promise<PluginImplementation> {
  const { pluginApi } = await import('./plugin-api.js');
  const exported = (await import(pathToFileURL(path).href)) as { default?: unknown };
  if (typeof exported.default !== 'function') throw new Error(`${path} must export an implement(kuroshio) function as default`);
  const classes = await (exported.default as ImplementFunction)(pluginApi, spec);
  if (typeof classes !== 'object' || classes === null) throw new Error(`implement() in ${path} must return the classes by name`);
  return classes;
}

export async function loadPlugins(sources: readonly string[], log: Logger): Promise<LoadedPlugins> {
  const specs: ModuleSpec[] = [];
  const factories: ElementFactory[] = [];
  for (const source of [...BUNDLED_MODULES, ...sources]) {
    let spec: ModuleSpec;
    let implementation: string | undefined;
    try {
      const location = locateModule(source);
      spec = (await loadDescription(location)).spec;
      implementation = location.implementation;
    } catch (err) {
      // The control process checked the descriptions before starting workers.
      log.error('plugin module description failed to load', { module: source, error: (err as Error).message });
      continue;
    }
    specs.push(spec);
    if (!implementation) continue;
    factories.push(...lazyFactories(implementation, spec, log));
  }
  return { specs, factories };
}

/** One factory per class the description can construct, all sharing one load of the implementation. */
function lazyFactories(path: string, spec: ModuleSpec, log: Logger): ElementFactory[] {
  let loading: Promise<PluginImplementation> | undefined;
  const load = (): Promise<PluginImplementation> =>
    (loading ??= implementationOf(path, spec).catch((err: unknown) => {
      log.error('plugin module implementation failed to load; its classes are not available', { module: spec.name, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      throw new KurentoError('NOT_IMPLEMENTED', `The implementation of module ${spec.name} failed to load: ${err instanceof Error ? err.message : String(err)}`);
    }));
  return spec.classes
    .filter((cls) => !cls.abstract && cls.ctor)
    .map((cls) => ({
      type: `${spec.namespace}.${cls.name}`,
      create: async (init) => {
        const Implementation = (await load())[cls.name];
        if (typeof Implementation !== 'function') throw new KurentoError('NOT_IMPLEMENTED', `${spec.namespace}.${cls.name} is not implemented by module ${spec.name}`);
        return new Implementation(init);
      },
    }));
}
