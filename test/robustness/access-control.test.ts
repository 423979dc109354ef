/**
 * Access control, all of it configured here (and off everywhere else, where every other test
 * runs unchanged): a token on connect (shared secret or HS256 JWT), an origin allow-list, a
 * read-only monitoring role, a media folder that file URIs must stay inside, and wss:// with a
 * certificate — used by the official JavaScript client.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { Kurento } from '../helpers/kurento-client.js';
import { RawClient } from '../helpers/raw-client.js';
import { resultOf } from '../helpers/rpc-assert.js';
import { startServer, type RunningServer } from '../helpers/server-process.js';

const TOKEN = 'full-secret';
const MONITOR_TOKEN = 'monitor-secret';
const JWT_SECRET = 'a-key-of-at-least-32-bytes-for-hs256!';
const ORIGIN = 'https://app.example';

let server: RunningServer;
let folder: string;
let media: string;
let secureUrl: string;

before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'kuroshio-access-'));
  media = join(folder, 'media');
  await mkdir(join(media, 'sub'), { recursive: true });
  const pem = join(folder, 'cert+key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', join(folder, 'key.pem'), '-out', join(folder, 'cert.pem')], { stdio: 'ignore' });
  execFileSync('sh', ['-c', `cat "${join(folder, 'cert.pem')}" "${join(folder, 'key.pem')}" > "${pem}"`]);
  const config = join(folder, 'config.json');
  await writeFile(config, JSON.stringify({ securePort: 0, certificate: pem }));
  server = await startServer({
    args: ['--workers', '1', '--config', config, '--access-token', TOKEN, '--monitor-token', MONITOR_TOKEN, '--allowed-origins', ORIGIN, '--uri-root', media],
    env: { KUROSHIO_JWT_SECRET: JWT_SECRET },
  });
  const listening = await server.waitForLog((r) => r.msg === 'Kuroshio listening');
  secureUrl = String(listening.secureUrl).replace(/\/\/\[?[^/]*\]?:/, '//127.0.0.1:');
});

after(async () => {
  await server?.stop();
  await rm(folder, { recursive: true, force: true });
});

/** Opens a WebSocket; resolves with the refusal (HTTP status and body) or 'open'. */
function tryConnect(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string } | 'open'> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once('open', () => {
      socket.close();
      resolve('open');
    });
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    socket.once('error', (err) => {
      if (!/Unexpected server response/.test(err.message)) reject(err);
    });
  });
}

const withToken = (token: string): string => `${server.url}?token=${encodeURIComponent(token)}`;

test('no token, a wrong one, or a browser from another origin are refused with a clear error', async () => {
  assert.deepEqual(await tryConnect(server.url), { status: 401, body: 'A token is required: connect with ?token=<token>' });
  assert.deepEqual(await tryConnect(withToken('wrong')), { status: 401, body: 'Invalid token' });
  const expired = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(new TextEncoder().encode(JWT_SECRET));
  assert.deepEqual(await tryConnect(withToken(expired)), { status: 401, body: 'Invalid token' });
  assert.deepEqual(await tryConnect(withToken(TOKEN), { Origin: 'https://evil.example' }), { status: 403, body: 'Origin https://evil.example is not allowed' });
  assert.deepEqual(await tryConnect(withToken(TOKEN), { Origin: 'null' }), { status: 403, body: 'Origin null is not allowed' });
  assert.equal(await tryConnect(withToken(TOKEN), { Origin: ORIGIN }), 'open');
  assert.equal(await tryConnect(server.url, { Authorization: `Bearer ${TOKEN}` }), 'open');
});

test('a JWT signed with the key is a token; a monitoring one is read-only', async () => {
  const key = new TextEncoder().encode(JWT_SECRET);
  const full = await RawClient.connect(withToken(await new SignJWT({ sub: 'app' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(key)));
  const pipeline = resultOf(await full.request('create', { type: 'MediaPipeline' })).value as string;
  for (const token of [MONITOR_TOKEN, await new SignJWT({ role: 'monitor' }).setProtectedHeader({ alg: 'HS256' }).sign(key)]) {
    const monitor = await RawClient.connect(withToken(token));
    assert.ok((resultOf(await monitor.request('invoke', { object: 'manager_ServerManager', operation: 'getPipelines' })).value as string[]).includes(pipeline));
    resultOf(await monitor.request('subscribe', { object: pipeline, type: 'Error' }));
    for (const [method, params] of [
      ['create', { type: 'MediaPipeline' }],
      ['release', { object: pipeline }],
      ['invoke', { object: pipeline, operation: 'setName', operationParams: { name: 'x' } }],
      ['transaction', { operations: [] }],
    ] as const) {
      const refused = await monitor.request(method, params);
      assert.equal(refused.error?.code, -32000, `${method}: ${JSON.stringify(refused)}`);
      assert.equal(refused.error?.data?.type, 'ACCESS_DENIED');
    }
    monitor.close();
  }
  assert.equal(resultOf(await full.request('describe', { object: pipeline })).type, 'MediaPipeline');
  resultOf(await full.request('release', { object: pipeline }));
  full.close();
});

test('file URIs outside the media folder, resolved as the file system does, are refused with 40001 and write nothing', async () => {
  const c = await RawClient.connect(withToken(TOKEN));
  const pipeline = resultOf(await c.request('create', { type: 'MediaPipeline' })).value as string;
  for (const uri of [`file://${media}/../outside.webm`, `file://${media}/missing/../../outside.webm`, `file://${folder}/outside.webm`, '/etc/passwd']) {
    for (const type of ['RecorderEndpoint', 'PlayerEndpoint']) {
      const refused = await c.request('create', { type, constructorParams: { mediaPipeline: pipeline, uri } });
      assert.equal(refused.error?.code, 40001, `${type} ${uri}: ${JSON.stringify(refused)}`);
    }
  }
  resultOf(await c.request('create', { type: 'RecorderEndpoint', constructorParams: { mediaPipeline: pipeline, uri: `file://${media}/inside.webm` } }));
  // `..` through a folder that exists stays inside.
  resultOf(await c.request('create', { type: 'RecorderEndpoint', constructorParams: { mediaPipeline: pipeline, uri: `file://${media}/./sub/../inside2.webm` } }));
  assert.deepEqual((await readdir(folder)).filter((f) => f.startsWith('outside')), []);
  resultOf(await c.request('release', { object: pipeline }));
  c.close();
});

test('the official JavaScript client works over wss:// with a token', async () => {
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0'; // the test's self-signed certificate
  // The client's own `access_token` option carries the token.
  const kurento = await Kurento.connect(secureUrl, { access_token: TOKEN });
  try {
    const pipeline = await kurento.create('MediaPipeline');
    const endpoint = await kurento.create('WebRtcEndpoint', { mediaPipeline: pipeline });
    assert.match(await endpoint.call<string>('generateOffer'), /^v=0/);
    await pipeline.call('release');
  } finally {
    kurento.raw.close();
  }
});
