/**
 * kurento-client@7.3.0 against Kuroshio: the strict-mode handshake and the ServerManager.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kurento, clientModule, failureOf, useKurento, type Remote } from '../helpers/kurento-client.js';

const PIPELINE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}_kurento\.MediaPipeline$/;

interface ModuleInfo {
  __module__: string;
  __type__: string;
  name: string;
  version: string;
  generationTime: string;
  factories: string[];
}

interface ServerInfo {
  __module__: string;
  __type__: string;
  version: string;
  type: string;
  capabilities: string[];
  modules: ModuleInfo[];
}

let manager: Remote;

const fixture = useKurento(async ({ kurento }) => {
  manager = await kurento.serverManager();
});

// This client is the first of the process: the client keeps its ping counter in module state,
// and only the first ping it ever sends carries `interval`.
test('strict mode connects: ping, describe of the ServerManager, then getInfo', () => {
  const [ping, describe, getInfo] = fixture.kurento.sent;
  assert.deepEqual(ping, { jsonrpc: '2.0', method: 'ping', params: { interval: 5000 }, id: 0 });
  assert.equal(describe?.method, 'describe');
  assert.deepEqual(describe?.params, { object: 'manager_ServerManager' });
  assert.equal(getInfo?.method, 'invoke');
  assert.equal(getInfo?.params?.object, 'manager_ServerManager');
  assert.equal(getInfo?.params?.operation, 'getInfo');
  // The session the server chose is the one the client uses from then on.
  assert.equal(getInfo?.params?.sessionId, fixture.kurento.sessionId);
  assert.match(fixture.kurento.sessionId, /^[0-9a-f-]{36}$/);
});

test('getServerManager gives the ServerManager proxy', () => {
  assert.equal(manager.id, 'manager_ServerManager');
  assert.equal(manager.type, 'ServerManager');
});

test('getInfo lists every module the client registered by default, with their factories', async () => {
  const info = await manager.call<ServerInfo>('getInfo');
  assert.equal(info.__module__, 'kurento');
  assert.equal(info.__type__, 'ServerInfo');
  assert.equal(info.version, '7.3.0');
  assert.equal(info.type, 'KMS');
  assert.deepEqual(info.capabilities, ['transactions']);
  const names = info.modules.map((m) => m.name);
  for (const name of ['core', 'elements', 'filters']) assert.ok(names.includes(name), `module ${name} missing from ${names.join(',')}`);
  // Nothing but the default packages is registered, and the strict check found them all.
  for (const name of clientModule().register.modules) assert.ok(names.includes(name), `client module ${name} not installed`);
  for (const m of info.modules) {
    assert.equal(m.__module__, 'kurento');
    assert.equal(m.__type__, 'ModuleInfo');
    assert.equal(typeof m.version, 'string');
    assert.equal(typeof m.generationTime, 'string');
  }
  const factories = (name: string): string[] => info.modules.find((m) => m.name === name)!.factories;
  for (const f of ['MediaPipeline', 'PassThrough', 'HubPort']) assert.ok(factories('core').includes(f), `core factory ${f}`);
  for (const f of ['WebRtcEndpoint', 'PlayerEndpoint', 'RecorderEndpoint', 'Composite']) assert.ok(factories('elements').includes(f), `elements factory ${f}`);
  for (const f of ['GStreamerFilter', 'FaceOverlayFilter', 'ZBarFilter']) assert.ok(factories('filters').includes(f), `filters factory ${f}`);
  // Abstract classes are no factories.
  assert.ok(!factories('core').includes('MediaElement'));
});

test('ObjectCreated and ObjectDestroyed reach every session subscribed on the ServerManager', async () => {
  const other = await Kurento.connect(fixture.server.url);
  try {
    const otherManager = await other.serverManager();
    const created = manager.events('ObjectCreated');
    const destroyed = manager.events('ObjectDestroyed');
    const createdElsewhere = otherManager.events('ObjectCreated');
    // A round trip after the subscriptions: the server has processed them by its answer.
    await manager.call('getName');
    await otherManager.call('getName');

    const pipeline = await fixture.kurento.create('MediaPipeline');
    const element = await pipeline.create('PassThrough');
    for (const expected of [pipeline.id, element.id]) {
      const event = await created.next();
      assert.equal(event.object, expected);
      assert.equal(event.source, 'manager_ServerManager');
      assert.deepEqual(event.tags, []);
      assert.match(String(event.timestampMillis), /^\d{13}$/);
      // ObjectCreated is not a media event: its data has no `type`.
      assert.equal(event.type, undefined);
      assert.equal((await createdElsewhere.next()).object, expected);
    }

    await pipeline.release();
    const gone = [await destroyed.next(), await destroyed.next()];
    assert.deepEqual(gone.map((e) => e.objectId).sort(), [pipeline.id, element.id].sort());
    for (const event of gone) assert.equal(event.source, 'manager_ServerManager');
    created.stop();
    destroyed.stop();
    createdElsewhere.stop();
  } finally {
    await other.close();
  }
});

test('getPipelines gives proxies of every pipeline, getSessions includes ours', async () => {
  const first = await fixture.kurento.create('MediaPipeline');
  const second = await fixture.kurento.create('MediaPipeline');
  try {
    const pipelines = await manager.call<Remote[]>('getPipelines');
    const ids = pipelines.map((p) => p.id);
    assert.ok(ids.includes(first.id) && ids.includes(second.id), `getPipelines: ${ids.join(',')}`);
    for (const p of pipelines) {
      assert.match(p.id, PIPELINE_ID);
      assert.equal(p.type, 'MediaPipeline');
    }
    // Known ids come back as the very proxies the client already holds.
    assert.equal(pipelines.find((p) => p.id === first.id)!.proxy, first.proxy);

    const sessions = await manager.call<string[]>('getSessions');
    assert.ok(Array.isArray(sessions) && sessions.includes(fixture.kurento.sessionId), `getSessions: ${JSON.stringify(sessions)}`);
  } finally {
    await first.release();
    await second.release();
  }
});

test('CPU, memory and metadata', async () => {
  const cpus = await manager.call<number>('getCpuCount');
  assert.ok(Number.isInteger(cpus) && cpus >= 1, `getCpuCount: ${cpus}`);
  const used = await manager.call<number>('getUsedCpu', 100);
  assert.equal(typeof used, 'number');
  // A percentage of one CPU, so a busy multi-process server may pass 100.
  assert.ok(used >= 0 && used <= 100 * cpus, `getUsedCpu: ${used}`);
  const memory = await manager.call<number>('getUsedMemory');
  assert.ok(Number.isInteger(memory) && memory > 1000, `getUsedMemory (KiB): ${memory}`);
  assert.equal(typeof (await manager.call<string>('getMetadata')), 'string');
});

test('getKmd answers each module as kmd JSON; an unknown module is error 40500', async () => {
  for (const name of ['core', 'elements', 'filters']) {
    const text = await manager.call<string>('getKmd', name);
    const kmd = JSON.parse(text) as { name: string; remoteClasses: Array<{ name: string }>; complexTypes: unknown[]; events: unknown[] };
    assert.equal(kmd.name, name);
    assert.ok(Array.isArray(kmd.remoteClasses) && kmd.remoteClasses.length > 0);
    assert.ok(Array.isArray(kmd.complexTypes) && Array.isArray(kmd.events));
  }
  const core = JSON.parse(await manager.call<string>('getKmd', 'core')) as { remoteClasses: Array<{ name: string }> };
  const classes = core.remoteClasses.map((c) => c.name);
  for (const c of ['MediaObject', 'ServerManager', 'MediaPipeline', 'MediaElement', 'PassThrough']) assert.ok(classes.includes(c), `core kmd lacks ${c}`);

  const err = await failureOf(manager.call('getKmd', 'nosuchmodule'));
  assert.deepEqual({ code: err.code, type: err.type }, { code: 40500, type: 'SERVER_MANAGER_ERROR_KMD_NOT_FOUND' });
});
