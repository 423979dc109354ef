/**
 * Finds plugin modules and loads their API descriptions. A module is a folder, or an npm package
 * (then found from the current directory like any dependency), with two ES modules:
 *
 *   - its **description** (default export: a `ModuleSpec`, plain data) — loaded by the control
 *     process and by every media worker;
 *   - its **implementation** (default export: a function given the plugin API that returns the
 *     classes) — loaded by the media workers only, so the control process never loads a plugin's
 *     media code (FFmpeg, wasm detectors...).
 *
 * Their files are named in the folder's `package.json` (`"kuroshio": { "api": "./api.js",
 * "implementation": "./implementation.js" }`), or are `api.js` and `implementation.js` beside it.
 * The four example modules of Kurento (chroma, crowddetector, platedetector, pointerdetector)
 * ship in this repository as such modules and are always loaded (`BUNDLED_MODULES`).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ApiCatalog } from '../api/catalog.js';
import type { ModuleSpec } from '../api/spec.js';

/** Where a module's two halves are. */
export interface ModuleLocation {
  /** As the user named it (`--modules`). */
  readonly source: string;
  readonly directory: string;
  /** Absolute path of the description's ES module. */
  readonly api: string;
  /** Absolute path of the implementation's ES module; absent for a description-only module. */
  readonly implementation?: string;
}

export interface DescribedModule {
  readonly location: ModuleLocation;
  readonly spec: ModuleSpec;
}

export class ModuleLoadError extends Error {}

const BUNDLED_ROOT = fileURLToPath(new URL('../../modules/', import.meta.url));
/** Kurento's example modules, built with the server (`modules/` in the repository). */
export const BUNDLED_MODULES: readonly string[] = ['chroma', 'crowddetector', 'platedetector', 'pointerdetector'].map((name) => join(BUNDLED_ROOT, name));

interface PackageManifest {
  kuroshio?: { api?: string; implementation?: string };
}

function packageDirectory(source: string, from: string): string {
  const looksLikePath = source.startsWith('.') || isAbsolute(source) || existsSync(resolve(from, source));
  if (looksLikePath) return resolve(from, source);
  try {
    const require = createRequire(join(from, 'package.json'));
    return dirname(require.resolve(`${source}/package.json`));
  } catch {
    throw new ModuleLoadError(`module '${source}' is neither a folder nor an installed package`);
  }
}

/** Finds a module's description and implementation files. */
export function locateModule(source: string, from = process.cwd()): ModuleLocation {
  const directory = packageDirectory(source, from);
  if (!existsSync(directory) || !statSync(directory).isDirectory()) throw new ModuleLoadError(`module '${source}': ${directory} is not a folder`);
  let manifest: PackageManifest = {};
  const manifestPath = join(directory, 'package.json');
  if (existsSync(manifestPath)) {
    try {
      manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as PackageManifest;
    } catch (err) {
      throw new ModuleLoadError(`module '${source}': cannot read ${manifestPath}: ${(err as Error).message}`);
    }
  }
  const api = resolve(directory, manifest.kuroshio?.api ?? 'api.js');
  if (!existsSync(api)) throw new ModuleLoadError(`module '${source}' has no API description (${api})`);
  const implementation = resolve(directory, manifest.kuroshio?.implementation ?? 'implementation.js');
  return { source, directory, api, ...(existsSync(implementation) ? { implementation } : {}) };
}

function isModuleSpec(value: unknown): value is ModuleSpec {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<ModuleSpec>;
  return typeof v.name === 'string' && typeof v.namespace === 'string' && typeof v.version === 'string' && Array.isArray(v.classes);
}

/** Imports one module's description and checks its shape. */
export async function loadDescription(location: ModuleLocation): Promise<DescribedModule> {
  let exported: { default?: unknown };
  try {
    exported = (await import(pathToFileURL(location.api).href)) as { default?: unknown };
  } catch (err) {
    throw new ModuleLoadError(`module '${location.source}': cannot load ${location.api}: ${(err as Error).message}`);
  }
  if (!isModuleSpec(exported.default)) {
    throw new ModuleLoadError(`module '${location.source}': ${location.api} must export a module description (name, namespace, version, classes) as default`);
  }
  return { location, spec: exported.default };
}

/**
 * Locates and loads the descriptions of the bundled modules and of `sources`, in that order, and
 * checks that they fit with the built-in ones (`builtIn`): unique module names and class names,
 * and signatures that parse and name known types.
 */
export async function loadDescriptions(sources: readonly string[], builtIn: readonly ModuleSpec[]): Promise<DescribedModule[]> {
  const loaded: DescribedModule[] = [];
  for (const source of [...BUNDLED_MODULES, ...sources]) loaded.push(await loadDescription(locateModule(source)));
  const moduleNames = new Set(builtIn.map((m) => m.name));
  const classNames = new Set(builtIn.flatMap((m) => m.classes.map((c) => c.name)));
  for (const { spec, location } of loaded) {
    if (moduleNames.has(spec.name)) throw new ModuleLoadError(`module '${location.source}': a module named '${spec.name}' is already loaded`);
    moduleNames.add(spec.name);
    for (const cls of spec.classes) {
      if (classNames.has(cls.name)) throw new ModuleLoadError(`module '${location.source}': class '${cls.name}' is already defined by another module`);
      classNames.add(cls.name);
    }
  }
  try {
    new ApiCatalog([...builtIn, ...loaded.map((m) => m.spec)]);
  } catch (err) {
    throw new ModuleLoadError(`the module descriptions do not link: ${(err as Error).message}`);
  }
  return loaded;
}
