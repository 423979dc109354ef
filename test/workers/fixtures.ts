/**
 * What the media-worker tests share: building a small pipeline over raw JSON-RPC, finding where
 * the control process placed it, and waiting for processes to come and go (via /proc).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { pollUntil } from '../helpers/poll.js';
import type { RawClient } from '../helpers/raw-client.js';
import type { RunningServer } from '../helpers/server-process.js';

export const MANAGER = 'manager_ServerManager';

/** A pipeline holding two PassThroughs, the first connected to the second. */
export interface PassThroughPair {
  pipeline: string;
  first: string;
  second: string;
}

export async function createPair(client: RawClient): Promise<PassThroughPair> {
  const pipeline = (await client.call('create', { type: 'MediaPipeline', constructorParams: {}, properties: {} })).value as string;
  const first = (await client.call('create', { type: 'PassThrough', constructorParams: { mediaPipeline: pipeline }, properties: {} })).value as string;
  const second = (await client.call('create', { type: 'PassThrough', constructorParams: { mediaPipeline: pipeline }, properties: {} })).value as string;
  await client.call('invoke', { object: first, operation: 'connect', operationParams: { sink: second } });
  return { pipeline, first, second };
}

/** The objects of a pair, children first. */
export function objectsOf(pair: PassThroughPair): string[] {
  return [pair.first, pair.second, pair.pipeline];
}

/** Asserts that `first` feeds `second` (one connection per media kind), as the worker reports it. */
export async function assertConnected(client: RawClient, pair: PassThroughPair): Promise<void> {
  const connections = (await client.call('invoke', { object: pair.first, operation: 'getSinkConnections', operationParams: {} })).value as {
    source: string;
    sink: string;
    type: string;
  }[];
  assert.deepEqual(connections.map((c) => c.type).sort(), ['AUDIO', 'DATA', 'VIDEO']);
  for (const c of connections) assert.deepEqual([c.source, c.sink], [pair.first, pair.second]);
}

export interface Placement {
  worker: number;
  pid: number;
}

/** Where the control process placed a pipeline, from its `pipeline placed` debug record. */
export async function placementOf(server: RunningServer, pipelineId: string): Promise<Placement> {
  const record = await server.waitForLog((r) => r.msg === 'pipeline placed' && r.pipelineId === pipelineId);
  assert.equal(typeof record.worker, 'number');
  assert.equal(typeof record.pid, 'number');
  return { worker: record.worker as number, pid: record.pid as number };
}

/**
 * The pids of the first `count` media workers, once each has logged that it is ready (a test
 * must not rely on having read those lines by the time the server says it is listening).
 */
export async function bootWorkerPids(server: RunningServer, count: number): Promise<number[]> {
  await server.waitForLog(() => server.workerPids().length >= count);
  return server.workerPids().slice(0, count);
}

/**
 * Waits until the control process has a ready media worker that is not one of `known` (its
 * `media worker started` record: from then on placement may choose it); returns its pid.
 */
export async function nextWorkerPid(server: RunningServer, known: readonly number[], timeoutMs = 10_000): Promise<number> {
  const record = await server.waitForLog((r) => r.msg === 'media worker started' && !known.includes(Number(r.workerPid)), timeoutMs);
  return Number(record.workerPid);
}

/** A process is gone when /proc no longer lists it, or lists it only as a zombie awaiting its reaper. */
export function processGone(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true; // it vanished between the two reads
  }
}

/**
 * Polls a condition the test cannot be told about by an event (a process leaving /proc) until
 * it holds or the time is up.
 */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 10_000, everyMs = 25): Promise<void> {
  await pollUntil(async () => condition(), (holds) => holds, timeoutMs, what, everyMs);
}

/** Resolves with the exit code and signal of a child process (at once if it already ended). */
export function exitOf(child: RunningServer['process']): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}
