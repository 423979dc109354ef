import type { ModuleSpec } from '../spec.js';
import { core } from './core.js';
import { elements } from './elements.js';
import { filters } from './filters.js';
import { chroma } from './chroma.js';
import { crowddetector } from './crowddetector.js';
import { platedetector } from './platedetector.js';
import { pointerdetector } from './pointerdetector.js';

/** Every module Kuroshio describes, core first. */
export const allModules: readonly ModuleSpec[] = [core, elements, filters, chroma, crowddetector, platedetector, pointerdetector];
