/**
 * The two servers under test, each started fresh for a scenario, pinned to the server core,
 * reachable from this host only, and stopped cleanly afterwards.
 *
 * Janus runs from Debian's package (`/usr/bin/janus`) with a configuration written by the bench
 * into a temporary directory: the package's plugin and transport folders, but only the
 * VideoRoom plugin and the WebSocket transport loaded (WebSocket on 127.0.0.1), its own ports,
 * no event handlers, no loggers and no log file (its stdout is kept in memory for error
 * reports). Its media use a local address (see janusMediaAddress).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { collectGarbage, inspectorEnv, inspectorUrls } from '../../test/helpers/inspector.js';
import { startServer } from '../../test/helpers/server-process.js';
import type { Protocol } from './signalling.js';
import { pinTree, pinnedCommand } from './system.js';

export const JANUS_BINARY = '/usr/bin/janus';
/** Debian's plugin, transport, logger and event-handler folders (multiarch path). */
const JANUS_LIBRARIES = `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu/janus`;
/** Media ports of each server, apart from each other and from the clients' ephemeral ports. */
const PORTS: Record<Protocol, [number, number]> = { janus: [20_000, 24_999], kurento: [25_000, 29_999] };
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;
const LOG_LINES_KEPT = 200;

export type ServerName = 'janus' | 'kuroshio' | 'kuroshio-werift' | 'kuroshio-jssrtp';

export interface ServerSpec {
  label: string;
  protocol: Protocol;
  /** Kuroshio's switches, set explicitly so that the caller's environment cannot change the variant. */
  env: Record<string, string>;
}

/**
 * What can be measured: Janus, and Kuroshio as built (fast RTP path, native SRTP when the addon
 * is built) or with its benchmark baselines: werift's own RTP stack (the path before the fast
 * path existed) and the fast path with werift's JavaScript SRTP.
 */
export const SERVERS: Record<ServerName, ServerSpec> = {
  janus: { label: 'Janus', protocol: 'janus', env: {} },
  'kuroshio-werift': { label: 'Kuroshio, werift RTP path', protocol: 'kurento', env: { KUROSHIO_RTP_PATH: 'werift', KUROSHIO_SRTP: '' } },
  'kuroshio-jssrtp': { label: 'Kuroshio, fast path, JS SRTP', protocol: 'kurento', env: { KUROSHIO_RTP_PATH: '', KUROSHIO_SRTP: 'js' } },
  kuroshio: { label: 'Kuroshio', protocol: 'kurento', env: { KUROSHIO_RTP_PATH: '', KUROSHIO_SRTP: '' } },
};

export interface ServerUnderTest {
  url: string;
  /**
   * The local address the clients' sockets use: one the server's media sockets can answer.
   * Either way packets stay in the kernel (local addresses are routed through `lo`).
   */
  clientAddress: string;
  /** Root of the server's process tree (Kuroshio: the control process, parent of its workers). */
  pid: number;
  /** The last lines the server printed, for error reports. */
  logTail(): string[];
  /**
   * Collects garbage in every process that has a collector (Kuroshio's, through their
   * inspectors), so that a memory reading counts what the server holds rather than how far its
   * heaps grew before their next collection. Janus frees as it goes and has none.
   */
  collectGarbage?(): Promise<void>;
  stop(): Promise<void>;
}

export function startTarget(name: ServerName, core: number | undefined): Promise<ServerUnderTest> {
  return name === 'janus' ? startJanus(core) : startKuroshio(SERVERS[name].env, core);
}

// ---- Kuroshio ---------------------------------------------------------------------------------

/** The built CLI as tests start it: one media worker, loopback ICE, the default log level (nothing per packet). */
async function startKuroshio(env: Record<string, string>, core: number | undefined): Promise<ServerUnderTest> {
  const [min, max] = PORTS.kurento;
  const server = await startServer({
    args: ['--workers', '1', '--log-level', 'info', '--min-port', String(min), '--max-port', String(max)],
    env: { ...env, KMS_NETWORK_INTERFACES: 'lo', ...inspectorEnv() },
  });
  // Workers forked later inherit the control process's affinity; those already running are in its tree.
  pinTree(server.process.pid!, core);
  return {
    url: server.url,
    clientAddress: '127.0.0.1',
    pid: server.process.pid!,
    logTail: () => server.logs.slice(-LOG_LINES_KEPT).map((r) => JSON.stringify(r)),
    collectGarbage: () => collectGarbage(inspectorUrls(server.logs.map((r) => String(r.msg)))),
    stop: () => server.stop(),
  };
}

// ---- Janus ------------------------------------------------------------------------------------

function freePort(): Promise<number> {
  const probe = createServer();
  return new Promise((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Every library in a Debian folder but `keep`, as Janus's comma-separated `disable` list. */
function disableAllBut(folder: string, keep: string): string {
  return readdirSync(join(JANUS_LIBRARIES, folder))
    .filter((name) => name.endsWith('.so') && name !== keep)
    .join(',');
}

/**
 * The address Janus's media sockets use. Janus 1.1 never gathers on a loopback interface (ice.c
 * skips IFF_LOOPBACK whatever the enforce list says, and with nothing left libnice gathers on
 * every interface, IPv6 included), so it gets one local non-loopback IPv4 address, enforced.
 * libnice 0.1.21 also pins each socket to its interface (IP_UNICAST_IF), so Janus cannot answer
 * a client on 127.0.0.1 (its replies would leave by eth0): the clients use this address too.
 * Packets to a local address never leave the host: the kernel routes them through `lo`.
 */
function janusMediaAddress(): string {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;
  if (!address) throw new Error('Janus needs a non-loopback IPv4 address on this host for its media sockets (it never uses loopback)');
  return address;
}

/**
 * janus.jcfg and the two configurations the loaded libraries read. ICE Lite lets the werift
 * clients (full ICE, controlling) run the checks. Session timeouts are off: the bench holds
 * sessions for minutes without keep-alives.
 */
function writeJanusConfig(dir: string, wsPort: number, mediaAddress: string): void {
  const [min, max] = PORTS.janus;
  writeFileSync(
    join(dir, 'janus.jcfg'),
    `general: {
  configs_folder = "${dir}"
  plugins_folder = "${JANUS_LIBRARIES}/plugins"
  transports_folder = "${JANUS_LIBRARIES}/transports"
  events_folder = "${JANUS_LIBRARIES}/events"
  loggers_folder = "${JANUS_LIBRARIES}/loggers"
  debug_level = 4
  debug_timestamps = true
  log_to_stdout = true
  session_timeout = 0
  hide_dependencies = true
}
certificates: {}
media: {
  ipv6 = false
  rtp_port_range = "${min}-${max}"
}
nat: {
  ice_lite = true
  ice_tcp = false
  full_trickle = false
  ice_enforce_list = "${mediaAddress}"
  ignore_mdns = true
  nice_debug = false
}
plugins: { disable = "${disableAllBut('plugins', 'libjanus_videoroom.so')}" }
transports: { disable = "${disableAllBut('transports', 'libjanus_websockets.so')}" }
loggers: { disable = "${disableAllBut('loggers', '')}" }
events: { broadcast = false }
`,
  );
  writeFileSync(
    join(dir, 'janus.transport.websockets.jcfg'),
    `general: {
  json = "plain"
  ws = true
  ws_port = ${wsPort}
  ws_ip = "127.0.0.1"
  wss = false
}
admin: {
  admin_ws = false
  admin_wss = false
}
`,
  );
  // Rooms are created by the bench through the API; none is predefined.
  writeFileSync(join(dir, 'janus.plugin.videoroom.jcfg'), 'general: {}\n');
}

/** Resolves once Janus answers an `info` request on its WebSocket. */
async function janusAnswers(url: string, child: ChildProcess, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`janus exited with code ${child.exitCode}`);
    const answered = await new Promise<boolean>((resolve) => {
      const socket = new WebSocket(url, 'janus-protocol');
      socket.once('open', () => socket.send(JSON.stringify({ janus: 'info', transaction: 'ready' })));
      socket.once('message', () => {
        socket.close();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (answered) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`janus did not answer on ${url} within ${START_TIMEOUT_MS} ms`);
}

async function startJanus(core: number | undefined): Promise<ServerUnderTest> {
  if (!existsSync(JANUS_BINARY)) throw new Error(`${JANUS_BINARY} is missing: install Debian's janus package (apt-get install janus)`);
  const dir = mkdtempSync(join(tmpdir(), 'bench-janus-'));
  const wsPort = await freePort();
  const mediaAddress = janusMediaAddress();
  writeJanusConfig(dir, wsPort, mediaAddress);
  const [command, args] = pinnedCommand(core, JANUS_BINARY, ['-C', join(dir, 'janus.jcfg'), '-F', dir, '--disable-colors']);
  const child = spawn(command, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const keep = (chunk: string): void => {
    lines.push(...chunk.split('\n').filter(Boolean));
    if (lines.length > LOG_LINES_KEPT) lines.splice(0, lines.length - LOG_LINES_KEPT);
  };
  child.stdout.setEncoding('utf8').on('data', keep);
  child.stderr.setEncoding('utf8').on('data', keep);
  const exited = once(child, 'exit');
  const url = `ws://127.0.0.1:${wsPort}`;
  try {
    await janusAnswers(url, child, Date.now() + START_TIMEOUT_MS);
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}\n${lines.slice(-20).join('\n')}`);
  }
  return {
    url,
    clientAddress: mediaAddress,
    pid: child.pid!,
    logTail: () => [...lines],
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        // SIGINT is Janus's clean shutdown (it closes sessions and plugins, then prints "Bye!").
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
