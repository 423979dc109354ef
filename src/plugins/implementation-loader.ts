/**
 * Loads plugin modules in a media worker: their descriptions (for property defaults) and
 * factories for their classes, which the worker announces like its built-in ones. A module's
 * implementation (and the plugin API, which brings FFmpeg and the media plane) is imported when
 * one of its classes is first created, not when the worker starts: most workers never build a
 * plugin's filter. An implementation that fails to load, or lacks a class, is logged and answers
 * that class's `create` with NOT_IMPLEMENTED; the worker serves everything else.
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

/** Factories for a module's concrete classes, sharing one import of its implementation. */
function factoriesOf(path: string, spec: ModuleSpec, log: Logger): ElementFactory[] {
  let loading: Promise<PluginImplementation> | undefined;
  const load = (): Promise<PluginImplementation> =>
    (loading ??= implementationOf(path, spec).catch((err: Error) => {
      log.error('plugin module implementation failed to load; its classes are not available', { module: spec.name, error: err.stack ?? String(err) });
      return {};
    }));
  return spec.classes
    .filter((cls) => !cls.abstract)
    .map((cls) => {
      const type = `${spec.namespace}.${cls.name}`;
      return {
        type,
        async create(init) {
          const Implementation = (await load())[cls.name];
          if (typeof Implementation !== 'function') throw new KurentoError('NOT_IMPLEMENTED', `${type} is not implemented by module ${spec.name}`);
          return new Implementation(init);
        },
      };
    });
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
    if (implementation) factories.push(...factoriesOf(implementation, spec, log));
  }
  return { specs, factories };
}
