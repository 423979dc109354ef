/**
 * Loads plugin modules in a media worker: their descriptions (for property defaults) and their
 * implementations, turned into factories the worker announces like its built-in ones. A module
 * whose implementation fails to load is logged and left out: its classes then answer
 * NOT_IMPLEMENTED, and the worker serves everything else.
 */
import { pathToFileURL } from 'node:url';
import type { ModuleSpec } from '../api/spec.js';
import type { ElementFactory } from '../elements/media-object.js';
import type { Logger } from '../log.js';
import { BUNDLED_MODULES, loadDescription, locateModule } from './module-loader.js';
import { pluginApi, type ImplementFunction, type PluginImplementation } from './plugin-api.js';

export interface LoadedPlugins {
  readonly specs: ModuleSpec[];
  readonly factories: ElementFactory[];
}

async function implementationOf(path: string, spec: ModuleSpec): Promise<PluginImplementation> {
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
    try {
      const classes = await implementationOf(implementation, spec);
      for (const cls of spec.classes) {
        const Implementation = classes[cls.name];
        if (typeof Implementation === 'function') factories.push({ type: `${spec.namespace}.${cls.name}`, create: (init) => new Implementation(init) });
      }
    } catch (err) {
      log.error('plugin module implementation failed to load; its classes are not available', { module: spec.name, error: (err as Error).stack ?? String(err) });
    }
  }
  return { specs, factories };
}
