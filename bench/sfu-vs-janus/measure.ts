/**
 * One scenario against one server: a fresh server on the server core, a fresh client process on
 * the client core, publishers first (memory baseline), then subscribers, a warm-up, and timed
 * windows. The server's CPU time is read from /proc around each window, for its whole process
 * tree; the client's CPU is read the same way, to show when the client rather than the server
 * was the limit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command, Reply, Scenario, WindowReport } from './client-protocol.js';
import { SERVERS, startTarget, type ServerName, type ServerUnderTest } from './servers.js';
import { coreInterruptSeconds, pinnedCommand, treeCpuSeconds, treeRssKiB, treeUdpDrops, type Pinning } from './system.js';
import { delay, withTimeout } from './time.js';

const CLIENT_ENTRY = fileURLToPath(new URL('./client-main.js', import.meta.url));
/** Publishers settle (DTLS done, first keyframes through) before the memory baseline. */
const BASELINE_SETTLE_MS = 1_500;

export interface Timing {
  warmupSeconds: number;
  windowSeconds: number;
  runs: number;
}

/** One measurement window, with the figures derived from it. */
export interface RunResult {
  report: WindowReport;
  serverCpuSeconds: number;
  clientCpuSeconds: number;
  /** Packets received by all subscribers per second. */
  forwardedPerSecond: number;
  /** Server CPU seconds per 1,000 forwarded packets. */
  cpuPerThousand: number;
  /** Share of one core the server used (1 = a full core). */
  serverCore: number;
  /** Share of the server's core spent in interrupts and softirqs (loopback delivery), when pinned. */
  serverCoreInterrupts: number;
  clientCore: number;
  /** Fraction of the packets expected from sequence numbers that never arrived. */
  loss: number;
  /** Datagrams the kernel dropped at full socket buffers during the window, server's and client's. */
  serverSocketDrops: number;
  clientSocketDrops: number;
}

export interface ScenarioResult {
  server: ServerName;
  scenario: Scenario;
  subscribers: number;
  setupSeconds: number;
  /** Resident memory of the server tree with publishers only, and after the subscribers joined (KiB). */
  rssBaselineKiB: number;
  rssLoadedKiB: number;
  runs: RunResult[];
}

/** The client process, one command at a time. */
class ClientProcess {
  private waiting: ((reply: Reply) => void) | undefined;
  private readonly exited: Promise<unknown>;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: Reply) => {
      const waiting = this.waiting;
      this.waiting = undefined;
      if (waiting) waiting(reply);
      else process.stderr.write(`client, unasked: ${JSON.stringify(reply)}\n`);
    });
    this.exited = new Promise((resolve) => child.once('exit', resolve));
    void this.exited.then(() => this.waiting?.({ type: 'error', message: 'client process exited' }));
  }

  static start(core: number | undefined): ClientProcess {
    const [command, args] = pinnedCommand(core, process.execPath, [CLIENT_ENTRY]);
    return new ClientProcess(spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  }

  get pid(): number {
    return this.child.pid!;
  }

  async send<T extends Reply['type']>(command: Command, expected: T): Promise<Extract<Reply, { type: T }>> {
    if (!this.child.connected) throw new Error('client process is gone');
    const reply = await new Promise<Reply>((resolve) => {
      this.waiting = resolve;
      this.child.send(command);
    });
    if (reply.type !== expected) throw new Error(`client: ${reply.type === 'error' ? reply.message : `unexpected ${reply.type}`}`);
    return reply as Extract<Reply, { type: T }>;
  }

  /** Asks the client to release everything; kills it if it does not finish. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await withTimeout(this.send({ type: 'teardown' }, 'closed'), 15_000, 'client teardown').catch((err: Error) => {
      process.stderr.write(`${err.message}\n`);
    });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    if (this.child.connected) this.child.disconnect();
    await this.exited;
    clearTimeout(timer);
  }
}

async function window(client: ClientProcess, server: ServerUnderTest, seconds: number, serverCoreId: number | undefined): Promise<RunResult> {
  const interrupts = (): number => (serverCoreId === undefined ? 0 : coreInterruptSeconds(serverCoreId));
  const interruptsBefore = interrupts();
  const serverBefore = treeCpuSeconds(server.pid);
  const clientBefore = treeCpuSeconds(client.pid);
  const serverDropsBefore = treeUdpDrops(server.pid);
  const clientDropsBefore = treeUdpDrops(client.pid);
  const wallBefore = performance.now();
  await client.send({ type: 'window-start' }, 'window-started');
  await delay(seconds * 1000);
  const { report } = await client.send({ type: 'window-stop' }, 'window');
  const wall = (performance.now() - wallBefore) / 1000;
  const serverCpuSeconds = treeCpuSeconds(server.pid) - serverBefore;
  const clientCpuSeconds = treeCpuSeconds(client.pid) - clientBefore;
  return {
    report,
    serverCpuSeconds,
    clientCpuSeconds,
    forwardedPerSecond: report.received / report.seconds,
    cpuPerThousand: report.received > 0 ? (serverCpuSeconds / report.received) * 1000 : Number.NaN,
    serverCore: serverCpuSeconds / wall,
    serverCoreInterrupts: (interrupts() - interruptsBefore) / wall,
    clientCore: clientCpuSeconds / wall,
    loss: report.expected > 0 ? Math.max(0, 1 - report.received / report.expected) : 1,
    serverSocketDrops: treeUdpDrops(server.pid) - serverDropsBefore,
    clientSocketDrops: treeUdpDrops(client.pid) - clientDropsBefore,
  };
}

/** Stops of what runs now, so that a signal can end the bench without leaving a server behind. */
const running = new Set<() => Promise<void>>();

export async function stopRunning(): Promise<void> {
  await Promise.allSettled([...running].map((stop) => stop()));
}

export async function measureScenario(name: ServerName, scenario: Scenario, timing: Timing, pinning: Pinning): Promise<ScenarioResult> {
  const server = await startTarget(name, pinning.server);
  const client = ClientProcess.start(pinning.client);
  const stop = async (): Promise<void> => {
    running.delete(stop);
    await client.stop();
    await server.stop();
  };
  running.add(stop);
  try {
    await client.send({ type: 'publish', protocol: SERVERS[name].protocol, url: server.url, clientAddress: server.clientAddress, scenario }, 'published');
    await delay(BASELINE_SETTLE_MS);
    await server.collectGarbage?.();
    const rssBaselineKiB = treeRssKiB(server.pid);
    const { setupSeconds } = await client.send({ type: 'subscribe' }, 'subscribed');
    await delay(timing.warmupSeconds * 1000);
    await server.collectGarbage?.();
    const rssLoadedKiB = treeRssKiB(server.pid);
    const runs: RunResult[] = [];
    for (let i = 0; i < timing.runs; i++) runs.push(await window(client, server, timing.windowSeconds, pinning.server));
    return { server: name, scenario, subscribers: scenario.rooms * scenario.subscribersPerRoom, setupSeconds, rssBaselineKiB, rssLoadedKiB, runs };
  } catch (err) {
    throw new Error(`${name}, ${scenario.label}: ${(err as Error).message}\n--- last server output ---\n${server.logTail().slice(-15).join('\n')}`);
  } finally {
    await stop();
  }
}
