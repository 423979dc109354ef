/**
 * What the bench reads and sets on the machine: CPU time and resident memory of a process tree
 * (from /proc), and which core each side runs on (taskset, from util-linux).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { processTree, rssKiB } from '../proc.js';

const TASKSET = '/usr/bin/taskset';
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** Cores for the server under test and for the client process; undefined when not pinned. */
export interface Pinning {
  server: number | undefined;
  client: number | undefined;
}

/** User + system CPU seconds of one process (all its threads), 0 if it is gone. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** CPU seconds used so far by a process and every process under it (Kuroshio: control + workers). */
export function treeCpuSeconds(root: number): number {
  return processTree(root).reduce((sum, pid) => sum + cpuSeconds(pid), 0);
}

/**
 * Interrupt and softirq time of one core so far (/proc/stat), in seconds. The kernel accounts
 * there, not to any process, the loopback delivery of the datagrams a process sends: on the
 * server's core it is mostly the server's forwarding, on the client's core the clients'.
 */
export function coreInterruptSeconds(core: number): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith(`cpu${core} `));
  // cpuN user nice system idle iowait irq softirq ...
  const fields = line?.split(/\s+/) ?? [];
  return (Number(fields[6] ?? 0) + Number(fields[7] ?? 0)) / CLOCK_TICKS;
}

export function treeRssKiB(root: number): number {
  return processTree(root).reduce((sum, pid) => sum + rssKiB(pid), 0);
}

/** Inodes of the sockets a process holds open, from its file descriptors. */
function socketInodes(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        return match ? [Number(match[1])] : [];
      } catch {
        return []; // closed meanwhile
      }
    });
  } catch {
    return []; // the process ended
  }
}

/**
 * Datagrams the kernel dropped at a process tree's UDP sockets because a receive buffer was
 * full (the `drops` column of /proc/net/udp[6]): loss that no process ever saw.
 */
export function treeUdpDrops(root: number): number {
  const ours = new Set(processTree(root).flatMap(socketInodes));
  let drops = 0;
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // sl local rem st queues tr retrnsmt uid timeout inode ref pointer drops
      if (fields.length >= 13 && ours.has(Number(fields[9]))) drops += Number(fields[12]);
    }
  }
  return drops;
}

/** The core set this process may use (its affinity), in order. */
function allowedCores(): number[] {
  try {
    const list = execFileSync(TASKSET, ['-c', '-p', String(process.pid)], { encoding: 'utf8' }).split(':')[1]!.trim();
    return list.split(',').flatMap((part) => {
      const [from, to] = part.split('-').map(Number);
      return Array.from({ length: (to ?? from!) - from! + 1 }, (_, i) => from! + i);
    });
  } catch {
    return Array.from({ length: availableParallelism() }, (_, i) => i);
  }
}

/**
 * The server gets the first allowed core, the clients (and this process) the last. With a
 * single core nothing is pinned: the figures then include the clients' share of the machine.
 */
export function choosePinning(server?: number, client?: number): Pinning {
  const cores = allowedCores();
  if (server !== undefined || client !== undefined) return { server, client };
  if (cores.length < 2) return { server: undefined, client: undefined };
  return { server: cores[0], client: cores[cores.length - 1] };
}

/** The command prefix that runs a program on a core. */
export function pinnedCommand(core: number | undefined, command: string, args: string[]): [string, string[]] {
  return core === undefined ? [command, args] : [TASKSET, ['-c', String(core), command, ...args]];
}

/** Pins every thread of every process in a tree to a core; threads and children created later inherit it. */
export function pinTree(root: number, core: number | undefined): void {
  if (core === undefined) return;
  for (const pid of processTree(root)) {
    try {
      execFileSync(TASKSET, ['-a', '-c', '-p', String(core), String(pid)], { stdio: 'ignore' });
    } catch {
      // the process ended meanwhile
    }
  }
}

/** Whether taskset is present; without it nothing is pinned and the output says so. */
export function canPin(): boolean {
  try {
    execFileSync(TASKSET, ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
