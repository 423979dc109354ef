/**
 * Operations answered by the control process itself: the MediaObject members (identity, family,
 * name and tags live here because events are tagged here) and the whole ServerManager.
 */
import { availableParallelism } from 'node:os';
import type { ApiCatalog } from '../api/catalog.js';
import { renderKmd } from '../api/kmd.js';
import { KurentoError } from '../errors.js';
import type { RemoteObject } from '../registry/remote-object.js';
import { usedCpuPercent, usedMemoryKiB } from './system-usage.js';

export const SERVER_MANAGER_ID = 'manager_ServerManager';
export const SERVER_VERSION = '7.3.0';

type Params = Record<string, unknown>;

/** What the ServerManager operations need to know about the server. */
export interface ServerFacts {
  readonly catalog: ApiCatalog;
  readonly metadata: string;
  /** Every pipeline (listing them does not make the caller hold them). */
  pipelines(): string[];
  sessionIds(): string[];
  /** Process ids of the control process and every media worker. */
  pids(): number[];
}

export type LocalOperation = (target: RemoteObject, params: Params, sessionId: string) => unknown;

export function mediaObjectOperations(): Map<string, LocalOperation> {
  return new Map<string, LocalOperation>([
    ['getId', (o) => o.id],
    // KMS answers the id for an empty name (MediaObjectImpl::getName falls back to it).
    ['getName', (o) => (o.name === '' ? o.id : o.name)],
    ['setName', (o, p) => {
      o.name = p.name as string;
      return null;
    }],
    ['getParent', (o) => o.parent?.id ?? null],
    ['getMediaPipeline', (o) => o.pipeline?.id ?? null],
    ['getChildren', (o) => [...o.children].map((c) => c.id)],
    ['getCreationTime', (o) => o.creationTime],
    ['getSendTagsInEvents', (o) => o.sendTagsInEvents],
    ['setSendTagsInEvents', (o, p) => {
      o.sendTagsInEvents = p.sendTagsInEvents as boolean;
      return null;
    }],
    ['addTag', (o, p) => {
      o.tags.set(p.key as string, p.value as string);
      return null;
    }],
    ['removeTag', (o, p) => {
      o.tags.delete(p.key as string);
      return null;
    }],
    ['getTag', (o, p) => {
      const value = o.tags.get(p.key as string);
      if (value === undefined) throw new KurentoError('MEDIA_OBJECT_TAG_KEY_NOT_FOUND', `Tag key not found: ${String(p.key)}`);
      return value;
    }],
    ['getTags', (o) => o.sortedTags()],
  ]);
}

/**
 * The longest `getUsedCpu` measurement: KMS sleeps for whatever interval it is given, so a huge
 * one held the request (and the client waiting on it) for weeks.
 */
export const MAX_CPU_INTERVAL_MS = 60_000;

function cpuInterval(value: unknown): number {
  const interval = value as number;
  if (!(interval >= 0 && interval <= MAX_CPU_INTERVAL_MS)) {
    throw new KurentoError('MARSHALL_ERROR', `'interval' must be between 0 and ${MAX_CPU_INTERVAL_MS} ms, got ${String(value)}`);
  }
  return interval;
}

export function serverManagerOperations(facts: ServerFacts): Map<string, LocalOperation> {
  const info = {
    version: SERVER_VERSION,
    type: 'KMS',
    capabilities: ['transactions'],
    modules: facts.catalog.modules.map((m) => ({
      name: m.spec.name,
      version: m.spec.version,
      generationTime: 'Kuroshio',
      factories: facts.catalog.factories(m),
    })),
  };
  return new Map<string, LocalOperation>([
    ['getInfo', () => info],
    ['getPipelines', () => facts.pipelines()],
    ['getSessions', () => facts.sessionIds()],
    ['getMetadata', () => facts.metadata],
    ['getKmd', (_o, p) => {
      const module = facts.catalog.findModule(p.moduleName as string);
      if (!module) throw new KurentoError('SERVER_MANAGER_ERROR_KMD_NOT_FOUND', "Requested kmd module doesn't exist");
      return renderKmd(facts.catalog, module);
    }],
    ['getCpuCount', () => availableParallelism()],
    ['getUsedCpu', (_o, p) => usedCpuPercent(facts.pids(), cpuInterval(p.interval))],
    ['getUsedMemory', () => usedMemoryKiB(facts.pids())],
  ]);
}
