import type { ModuleSpec } from '../spec.js';
import { core } from './core.js';
import { elements } from './elements.js';
import { filters } from './filters.js';

/**
 * The built-in modules, core first. Kurento's example modules (chroma, crowddetector,
 * platedetector, pointerdetector) are plugin modules in `modules/`, loaded at start like any other.
 */
export const allModules: readonly ModuleSpec[] = [core, elements, filters];
