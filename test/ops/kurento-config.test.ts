/**
 * Kurento's own configuration folder: a sample `/etc/kurento` written for the test, with a
 * non-default value in every file, changes what each setting names, seen through the server's
 * behaviour: the WebSocket port and path, the secure port with its certificate, IPv4-only
 * listening, the request cache, the garbage collector period, the STUN server (a request reaches
 * ours, and the address it answers shows up as a candidate), the TURN server (an allocation
 * reaches ours), network interfaces and external address (the host candidates), ICE-TCP, the
 * port range, the DTLS certificate (the SDP fingerprint), the codecs offered, the MTU and encoder
 * bitrates, and the default path of URIs. Then the precedence against the environment and the
 * command line, and the error a malformed file gives at start-up.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { KurentoClient, type IceCandidateFoundEvent } from 'kuroshio-client';
import { ConfigError, loadConfig } from '../../src/config.js';
import { RawClient } from '../helpers/raw-client.js';
import { setUp, startServer, type RunningServer } from '../helpers/server-process.js';

const MANAGER = 'manager_ServerManager';
const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A STUN server of a few lines: it records the requests it gets and answers Binding requests with
 * a fixed mapped address, so the server-reflexive candidate it causes is recognisable.
 */
const MAPPED = { address: '198.51.100.9', port: 40_404 };
class StunListener {
  readonly requests: { method: number; from: number }[] = [];
  private waiters: (() => void)[] = [];
  private constructor(readonly socket: Socket) {
    socket.on('message', (message, remote) => {
      const method = message.readUInt16BE(0);
      this.requests.push({ method, from: remote.port });
      if (method === 0x0001) socket.send(bindingSuccess(message.subarray(8, 20)), remote.port, remote.address);
      for (const w of this.waiters.splice(0)) w();
    });
  }
  static async open(): Promise<StunListener> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new StunListener(socket);
  }
  get port(): number {
    return this.socket.address().port;
  }
  async waitFor(method: number, timeoutMs = 10_000): Promise<{ method: number; from: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.requests.find((r) => r.method === method);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no STUN message ${method} within ${timeoutMs} ms (got ${JSON.stringify(this.requests)})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/** RFC 5389 Binding success response with XOR-MAPPED-ADDRESS = MAPPED. */
function bindingSuccess(transactionId: Buffer): Buffer {
  const out = Buffer.alloc(32);
  out.writeUInt16BE(0x0101, 0);
  out.writeUInt16BE(12, 2);
  out.writeUInt32BE(0x2112a442, 4);
  transactionId.copy(out, 8);
  out.writeUInt16BE(0x0020, 20);
  out.writeUInt16BE(8, 22);
  out.writeUInt16BE(0x0001, 24);
  out.writeUInt16BE(MAPPED.port ^ 0x2112, 26);
  const ip = MAPPED.address.split('.').reduce((n, b) => (n << 8) | Number(b), 0) >>> 0;
  out.writeUInt32BE((ip ^ 0x2112a442) >>> 0, 28);
  return out;
}

let folder = '';
let server: RunningServer | undefined;
let stun: StunListener | undefined;
let turn: StunListener | undefined;
let ports = { ws: 0, wss: 0 };
let certificatePem = '';

before(async () => {
  folder = mkdtempSync(join(tmpdir(), 'kuroshio-kurento-conf-'));
  const modules = join(folder, 'modules', 'kurento');
  mkdirSync(modules, { recursive: true });
  mkdirSync(join(folder, 'media'));
  stun = await StunListener.open();
  turn = await StunListener.open();
  ports = { ws: await freeTcpPort(), wss: await freeTcpPort() };
  // One self-signed certificate + key file, as KMS takes it, for wss:// and for DTLS.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=kuroshio-test', '-keyout', join(folder, 'key.pem'), '-out', join(folder, 'cert.pem')], { stdio: 'ignore' });
  certificatePem = readFileSync(join(folder, 'cert.pem'), 'utf8');
  writeFileSync(join(folder, 'cert+key.pem'), certificatePem + readFileSync(join(folder, 'key.pem'), 'utf8'));
  // A 1 s clip in the default path, for a player given a bare file name.
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=15:duration=1', '-c:v', 'libvpx', '-y', join(folder, 'media', 'clip.webm')]);

  writeFileSync(
    join(folder, 'kurento.conf.json'),
    `{
  "mediaServer": {
    "resources": {
      "//": "Garbage collector period, in seconds",
      "garbageCollectorPeriod": 2,
      "disableRequestCache": true
    },
    "net": {
      "websocket": {
        "ipv6": false,
        "port": ${ports.ws},
        "secure": { "port": ${ports.wss}, "certificate": "cert+key.pem", "password": "" },
        "path": "media",
        "threads": 10
      }
    }
  }
}
`,
  );
  writeFileSync(
    join(modules, 'WebRtcEndpoint.conf.ini'),
    [
      ';; written for the test: every value differs from the default',
      'networkInterfaces=lo',
      'externalIPv4=203.0.113.7',
      'stunServerAddress=127.0.0.1',
      `stunServerPort=${stun.port}`,
      `turnURL=user:secret@127.0.0.1:${turn.port}?transport=udp`,
      'iceTcp=0',
      `pemCertificateRSA=${join(folder, 'cert+key.pem')}`,
      '',
    ].join('\n'),
  );
  writeFileSync(join(modules, 'BaseRtpEndpoint.conf.ini'), 'minPort=45100\nmaxPort=45199\nmtu=1100\n');
  writeFileSync(join(modules, 'MediaElement.conf.ini'), 'encoderBitrate=500000\nminEncoderBitrate=100000\nmaxEncoderBitrate=900000\n');
  writeFileSync(join(modules, 'SdpEndpoint.conf.json'), JSON.stringify({ numAudioMedias: 1, audioCodecs: [{ name: 'opus/48000/2' }], videoCodecs: [{ name: 'H264/90000' }] }));
  writeFileSync(join(modules, 'UriEndpoint.conf.ini'), `defaultPath=file://${join(folder, 'media')}/\n`);
  // Port 0: any free one, as KMS takes it (other servers on this machine may hold 9091).
  writeFileSync(join(modules, 'HttpEndpoint.conf.ini'), 'serverPort=0\nannouncedAddress=uploads.example.test\n');
  server = await startServer({ defaultArgs: false, args: ['--kurento-config', folder, '--workers', '1', '--log-level', 'debug'] });
});

after(async () => {
  await server?.stop();
  stun?.socket.close();
  turn?.socket.close();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

test('kurento.conf.json: port, path, IPv4 only, the secure port with its certificate', async () => {
  const s = setUp(server, 'server');
  const listening = await s.waitForLog((r) => r.msg === 'Kuroshio listening');
  assert.equal(listening.url, `ws://0.0.0.0:${ports.ws}/media`, 'ipv6 false binds IPv4 only');
  assert.equal(listening.secureUrl, `wss://0.0.0.0:${ports.wss}/media`);
  const plain = await RawClient.connect(`ws://127.0.0.1:${ports.ws}/media`);
  await plain.barrier();
  plain.close();
  const wrongPath = await RawClient.connect(`ws://127.0.0.1:${ports.ws}/kurento`);
  assert.equal((await wrongPath.closed).code, 1002);
  // wss:// with the configured certificate: the peer's certificate is the one in the file.
  const secure = new WebSocket(`wss://127.0.0.1:${ports.wss}/media`, { rejectUnauthorized: false });
  const peerCertificate = await new Promise<string>((resolve, reject) => {
    secure.once('upgrade', (response) => resolve((response.socket as unknown as { getPeerX509Certificate(): X509Certificate }).getPeerX509Certificate().fingerprint256));
    secure.once('error', reject);
  });
  assert.equal(peerCertificate, new X509Certificate(certificatePem).fingerprint256);
  const pong = await new Promise<string>((resolve) => {
    secure.once('message', (data) => resolve(String(data)));
    secure.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }));
  });
  assert.equal(JSON.parse(pong).result.value, 'pong');
  secure.close();
});

test('kurento.conf.json: the request cache is off, and idle sessions are collected after 2 s', async () => {
  const watcher = await RawClient.connect(`ws://127.0.0.1:${ports.ws}/media`);
  const owner = await RawClient.connect(`ws://127.0.0.1:${ports.ws}/media`);
  try {
    // With the cache a repeated request id gets the first answer back; without it, a second pipeline.
    const first = await owner.request('create', { type: 'MediaPipeline', constructorParams: {}, properties: {} }, 777_001);
    const again = await owner.request('create', { type: 'MediaPipeline', constructorParams: {}, properties: {}, sessionId: first.result.sessionId }, 777_001);
    assert.notEqual(again.result.value, first.result.value);
    await watcher.call('subscribe', { object: MANAGER, type: 'ObjectDestroyed' });
    const destroyed = watcher.waitFor((m) => m.method === 'onEvent' && m.params?.value?.data?.objectId === first.result.value, 10_000);
    const closedAt = Date.now();
    owner.close();
    await destroyed;
    // Collected on the first or second pass after the socket closed: within two periods, not 240 s.
    assert.ok(Date.now() - closedAt < 6_000, `collected after ${Date.now() - closedAt} ms`);
  } finally {
    watcher.close();
  }
});

test('WebRtcEndpoint and BaseRtpEndpoint files: STUN, TURN, interfaces, external address, ICE-TCP, port range, certificate, codecs', async () => {
  const client = await KurentoClient.connect(`ws://127.0.0.1:${ports.ws}/media`);
  try {
    const pipeline = await client.create('MediaPipeline');
    const endpoint = await client.create('WebRtcEndpoint', { mediaPipeline: pipeline });
    const candidates: IceCandidateFoundEvent['candidate'][] = [];
    await endpoint.on('IceCandidateFound', (event) => candidates.push(event.candidate));
    let gathered: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (gathered = resolve));
    await endpoint.on('IceGatheringDone', () => gathered());
    const offer = await endpoint.generateOffer();
    // SdpEndpoint: only the configured codecs are offered.
    const rtpmaps = [...offer.matchAll(/a=rtpmap:\d+ ([\w-]+)\//g)].map((m) => m[1]!.toUpperCase());
    assert.deepEqual([...new Set(rtpmaps)].sort(), ['H264', 'OPUS', 'RTX']);
    // pemCertificateRSA: the DTLS fingerprint is the configured certificate's.
    const fingerprint = /a=fingerprint:sha-256 (\S+)/.exec(offer)?.[1];
    assert.equal(fingerprint, new X509Certificate(certificatePem).fingerprint256);
    assert.equal(await endpoint.getStunServerAddress(), '127.0.0.1');
    await endpoint.gatherCandidates();
    const binding = await setUp(stun, 'stun').waitFor(0x0001);
    const allocation = await setUp(turn, 'turn').waitFor(0x0003);
    await done;
    const parsed = candidates.map((c) => {
      const [, , transport, , address, port, , type] = c.candidate.split(' ');
      return { transport: transport!.toLowerCase(), address: address!, port: Number(port), type: type! };
    });
    assert.ok(parsed.length > 0);
    assert.deepEqual([...new Set(parsed.map((c) => c.transport))], ['udp'], 'iceTcp=0: no TCP candidates');
    const hosts = parsed.filter((c) => c.type === 'host' && !c.address.includes(':'));
    assert.ok(hosts.length > 0);
    for (const c of hosts) assert.equal(c.address, '203.0.113.7', 'externalIPv4 replaces host addresses');
    for (const c of parsed.filter((p) => p.type === 'host')) assert.ok(c.port >= 45100 && c.port <= 45199, `port ${c.port} in 45100-45199`);
    assert.ok(binding.from >= 45100 && binding.from <= 45199, 'the STUN request comes from the configured range');
    assert.ok(allocation.from >= 45100 && allocation.from <= 45199, 'the TURN allocation comes from the configured range');
    // The STUN server's answer becomes the server-reflexive candidate.
    assert.ok(parsed.some((c) => c.type === 'srflx' && c.address === MAPPED.address && c.port === MAPPED.port), JSON.stringify(parsed));
    // BaseRtpEndpoint and MediaElement defaults.
    assert.equal(await endpoint.getMtu(), 1100);
    assert.equal(await endpoint.getEncoderBitrate(), 500000);
    assert.equal(await endpoint.getMinEncoderBitrate(), 100000);
    assert.equal(await endpoint.getMaxEncoderBitrate(), 900000);
    await pipeline.release();
  } finally {
    client.close();
  }
});

test('UriEndpoint.conf.ini: a URI without a scheme is read from the configured default path', async () => {
  const client = await KurentoClient.connect(`ws://127.0.0.1:${ports.ws}/media`);
  try {
    const pipeline = await client.create('MediaPipeline');
    const player = await client.create('PlayerEndpoint', { mediaPipeline: pipeline, uri: 'clip.webm' });
    const info = await player.getVideoInfo();
    assert.ok(info.duration >= 900 && info.duration <= 1100, `duration ${info.duration} ms of the clip in ${folder}/media`);
    await pipeline.release();
  } finally {
    client.close();
  }
});

test('HttpEndpoint.conf.ini: HttpPostEndpoint URLs name the announced address, on a port that takes uploads', async () => {
  const client = await KurentoClient.connect(`ws://127.0.0.1:${ports.ws}/media`);
  try {
    const pipeline = await client.create('MediaPipeline');
    const post = await client.create('HttpPostEndpoint', { mediaPipeline: pipeline });
    const url = new URL(await post.getUrl());
    assert.equal(url.hostname, 'uploads.example.test');
    assert.ok(Number(url.port) > 0, `a real port: ${url.href}`);
    const res = await fetch(`http://127.0.0.1:${url.port}/not-an-endpoint`, { method: 'POST', body: 'x' });
    assert.equal(res.status, 404);
    await pipeline.release();
  } finally {
    client.close();
  }
});

test('precedence: the folder, then --config, then KMS_* variables, then the command line', () => {
  const parsed = loadConfig(['--kurento-config', folder], { KMS_MIN_PORT: '45150' });
  assert.ok(!parsed.help);
  assert.equal(parsed.config.minPort, 45150, 'the environment beats the folder');
  assert.equal(parsed.config.maxPort, 45199, 'the folder beats the defaults');
  assert.equal(parsed.config.path, 'media');
  const json = join(folder, 'override.json');
  writeFileSync(json, JSON.stringify({ path: 'fromjson', minPort: 45140, maxPort: 45198 }));
  const withJson = loadConfig(['--kurento-config', folder, '--config', json, '--min-port', '45160'], { KMS_MIN_PORT: '45150' });
  assert.ok(!withJson.help);
  assert.equal(withJson.config.path, 'fromjson', '--config beats the folder');
  assert.equal(withJson.config.maxPort, 45198, '--config beats the folder');
  assert.equal(withJson.config.minPort, 45160, 'the command line beats everything');
  const envOverJson = loadConfig(['--kurento-config', folder, '--config', json], { KMS_MIN_PORT: '45150' });
  assert.ok(!envOverJson.help);
  assert.equal(envOverJson.config.minPort, 45150, 'the environment beats --config');
});

test('a malformed file stops the start-up with the file and line named', () => {
  const broken = mkdtempSync(join(tmpdir(), 'kuroshio-kurento-broken-'));
  try {
    mkdirSync(join(broken, 'modules', 'kurento'), { recursive: true });
    writeFileSync(join(broken, 'kurento.conf.json'), '{ "mediaServer": { "net": { "websocket": { "port": 8888 } } } }');
    writeFileSync(join(broken, 'modules', 'kurento', 'BaseRtpEndpoint.conf.ini'), 'minPort=40000\nmaxPort 50000\n');
    assert.throws(() => loadConfig(['--kurento-config', broken], {}), (err) => err instanceof ConfigError && err.message.includes('BaseRtpEndpoint.conf.ini:2'));
    writeFileSync(join(broken, 'modules', 'kurento', 'BaseRtpEndpoint.conf.ini'), 'minPort=forty\n');
    assert.throws(() => loadConfig(['--kurento-config', broken], {}), /minPort' must be an integer, got 'forty'/);
    writeFileSync(join(broken, 'modules', 'kurento', 'BaseRtpEndpoint.conf.ini'), '');
    writeFileSync(join(broken, 'kurento.conf.json'), '{ "mediaServer": { "net": { "websocket": { "port": 8888, } } }');
    const run = spawnSync(process.execPath, [CLI, '--kurento-config', broken], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /kurento\.conf\.json:1: JSON syntax error/);
  } finally {
    rmSync(broken, { recursive: true, force: true });
  }
});
