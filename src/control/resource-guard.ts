/**
 * KMS's resource guard: `create` answers NOT_ENOUGH_RESOURCES (40009) while the server uses more
 * than a configured share of its port range, of the file descriptors it may open, or of the
 * machine's memory — an application then fails one call cleanly instead of every call failing
 * later in odd ways (candidates that never gather, files that cannot open). Readings come from
 * /proc and are kept for a second: a burst of creates costs one reading.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { KurentoError } from '../errors.js';

const READING_TTL_MS = 1000;

export interface ResourceUsage {
  /** Shares in [0, 1]. */
  ports: number;
  fds: number;
  memory: number;
}

export class ResourceGuard {
  private reading: { at: number; usage: Promise<ResourceUsage> } | undefined;

  constructor(
    /** The share above which `create` is refused. */
    private readonly limit: number,
    private readonly portRange: { min: number; max: number },
    /** The control process and its media workers. */
    private readonly pids: () => number[],
  ) {}

  /** Throws NOT_ENOUGH_RESOURCES when a share is above the limit. */
  async check(): Promise<void> {
    const usage = await this.usage();
    for (const [what, share] of Object.entries(usage)) {
      if (share > this.limit) {
        throw new KurentoError('NOT_ENOUGH_RESOURCES', `Not enough resources: ${what} at ${(share * 100).toFixed(0)}% (limit ${(this.limit * 100).toFixed(0)}%)`);
      }
    }
  }

  usage(): Promise<ResourceUsage> {
    if (!this.reading || Date.now() - this.reading.at > READING_TTL_MS) {
      this.reading = { at: Date.now(), usage: this.read() };
      // A failed reading (a process gone meanwhile) is not kept.
      this.reading.usage.catch(() => (this.reading = undefined));
    }
    return this.reading.usage;
  }

  private async read(): Promise<ResourceUsage> {
    const pids = this.pids();
    const perProcess = await Promise.all(pids.map((pid) => processUsage(pid, this.portRange)));
    const ports = perProcess.reduce((n, p) => n + p.portsInRange, 0);
    const rss = perProcess.reduce((n, p) => n + p.rssBytes, 0);
    return {
      ports: ports / (this.portRange.max - this.portRange.min + 1),
      fds: Math.max(0, ...perProcess.map((p) => p.fds / p.fdLimit)),
      memory: rss / totalmem(),
    };
  }
}

interface ProcessUsage {
  portsInRange: number;
  fds: number;
  fdLimit: number;
  rssBytes: number;
}

async function processUsage(pid: number, range: { min: number; max: number }): Promise<ProcessUsage> {
  try {
    const fds = await readdir(`/proc/${pid}/fd`);
    const inodes = new Set<string>();
    await Promise.all(
      fds.map(async (fd) => {
        const inode = /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/${pid}/fd/${fd}`).catch(() => ''))?.[1];
        if (inode) inodes.add(inode);
      }),
    );
    let portsInRange = 0;
    for (const table of ['udp', 'udp6', 'tcp', 'tcp6']) {
      const lines = (await readFile(`/proc/${pid}/net/${table}`, 'utf8').catch(() => '')).split('\n').slice(1);
      for (const line of lines) {
        const fields = line.trim().split(/\s+/);
        if (fields.length < 10 || !inodes.has(fields[9]!)) continue;
        const port = parseInt(fields[1]!.slice(fields[1]!.indexOf(':') + 1), 16);
        if (port >= range.min && port <= range.max) portsInRange++;
      }
    }
    const limits = await readFile(`/proc/${pid}/limits`, 'utf8');
    const fdLimit = Number(/^Max open files\s+(\d+)/m.exec(limits)?.[1] ?? Infinity);
    const statm = await readFile(`/proc/${pid}/statm`, 'utf8');
    return { portsInRange, fds: fds.length, fdLimit, rssBytes: Number(statm.split(' ')[1]) * 4096 };
  } catch {
    // The process ended while being read: it holds nothing any more.
    return { portsInRange: 0, fds: 0, fdLimit: Infinity, rssBytes: 0 };
  }
}
