/**
 * Runs Debian's coturn (`/usr/bin/turnserver`) for a test: on 127.0.0.1 and a free port, with a
 * temporary configuration (one static long-term-credential user, no TLS/DTLS, relays on loopback)
 * and state directory, and stops it again. A machine without coturn fails the test with a clear
 * message: CI installs it (`apt-get install coturn`), so a missing binary must not pass silently.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { access, constants, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TURNSERVER_PATH = process.env.TURNSERVER_PATH ?? '/usr/bin/turnserver';

export interface Coturn {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  readonly realm: string;
  /** Relay ports coturn allocates from. */
  readonly relayPorts: readonly [number, number];
  /** What coturn printed (its log goes to stdout). */
  readonly output: string[];
  /** The server as a browser's RTCIceServer. */
  iceServer(transport?: 'udp' | 'tcp'): { urls: string; username: string; credential: string };
  /** The server in Kurento's `turnUrl` format: `user:password@host:port?transport=...`. */
  kurentoTurnUrl(transport?: 'udp' | 'tcp'): string;
  stop(): Promise<void>;
}

export interface CoturnOptions {
  username?: string;
  password?: string;
  realm?: string;
}

/** A port free for both UDP and TCP on 127.0.0.1 right now (coturn listens on both). */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const tcp = createServer();
    tcp.listen(0, '127.0.0.1');
    await once(tcp, 'listening');
    const port = (tcp.address() as { port: number }).port;
    const udp = createSocket('udp4');
    const udpFree = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '127.0.0.1', () => resolve(true));
    });
    udp.close();
    tcp.close();
    await once(tcp, 'close');
    if (udpFree) return port;
  }
  throw new Error('no port free for both UDP and TCP on 127.0.0.1');
}

/** Sends a STUN Binding request (RFC 5389) and resolves once any answer arrives. */
async function stunAnswers(host: string, port: number, timeoutMs: number): Promise<boolean> {
  const socket = createSocket('udp4');
  try {
    const request = Buffer.alloc(20);
    request.writeUInt16BE(0x0001, 0); // Binding request, no attributes
    request.writeUInt32BE(0x2112a442, 4); // magic cookie
    randomBytes(12).copy(request, 8); // transaction id
    const answered = once(socket, 'message').then(() => true);
    socket.send(request, port, host);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const result = await Promise.race([answered, timedOut]);
    clearTimeout(timer);
    return result;
  } finally {
    socket.close();
  }
}

export async function startCoturn(options: CoturnOptions = {}): Promise<Coturn> {
  try {
    await access(TURNSERVER_PATH, constants.X_OK);
  } catch {
    throw new Error(`coturn is not installed: ${TURNSERVER_PATH} is missing (apt-get install coturn); the TURN tests need it`);
  }
  const host = '127.0.0.1';
  const username = options.username ?? 'kuroshio';
  const password = options.password ?? randomBytes(8).toString('hex');
  const realm = options.realm ?? 'kuroshio.test';
  const port = await freePort();
  // A relay window of its own, above Kuroshio's default RTP range (40000-57999).
  const low = 60000 + Math.floor(Math.random() * 50) * 100;
  const relayPorts = [low, low + 99] as const;
  const dir = await mkdtemp(join(tmpdir(), 'kuroshio-coturn-'));
  const config = [
    `listening-ip=${host}`,
    `listening-port=${port}`,
    `relay-ip=${host}`,
    `min-port=${relayPorts[0]}`,
    `max-port=${relayPorts[1]}`,
    'lt-cred-mech',
    `user=${username}:${password}`,
    `realm=${realm}`,
    'fingerprint',
    'no-tls',
    'no-dtls',
    // Peers here are 127.0.0.1, which coturn refuses to relay to unless told otherwise.
    'allow-loopback-peers',
    'no-cli',
    `pidfile=${join(dir, 'turnserver.pid')}`,
    // Its own user database, so the system's /var/lib/turn is never touched.
    `userdb=${join(dir, 'turndb')}`,
    'log-file=stdout',
    'simple-log',
  ].join('\n');
  const configPath = join(dir, 'turnserver.conf');
  await writeFile(configPath, `${config}\n`);

  const child: ChildProcess = spawn(TURNSERVER_PATH, ['-c', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const collect = (chunk: Buffer): void => {
    output.push(...chunk.toString().split('\n').filter((l) => l.length > 0));
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = once(child, 'exit');
  let exitCode: number | null | undefined;
  void exited.then(([code]) => {
    exitCode = code as number | null;
  });

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  // Ready when it answers STUN on its port (it prints no reliable "listening" line).
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (exitCode !== undefined) {
      await stop();
      throw new Error(`coturn exited with code ${String(exitCode)} before answering:\n${output.slice(-20).join('\n')}`);
    }
    if (await stunAnswers(host, port, 200)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`coturn did not answer STUN on ${host}:${port} within 10 s:\n${output.slice(-20).join('\n')}`);
    }
  }

  return {
    host,
    port,
    username,
    password,
    realm,
    relayPorts,
    output,
    iceServer: (transport = 'udp') => ({ urls: `turn:${host}:${port}?transport=${transport}`, username, credential: password }),
    kurentoTurnUrl: (transport = 'udp') => `${username}:${password}@${host}:${port}?transport=${transport}`,
    stop,
  };
}
