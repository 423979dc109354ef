/**
 * What a process holds, read from Linux's /proc: UDP sockets (with proc-sockets.ts), open file
 * descriptors and resident memory. Soak and leak tests compare these against a baseline.
 */
import { readdir, readFile } from 'node:fs/promises';
import { socketsOf } from './proc-sockets.js';

export interface ProcUsage {
  readonly udp: number;
  readonly fds: number;
  readonly rssKiB: number;
}

export async function usageOf(pid: number): Promise<ProcUsage> {
  const [sockets, fds, statm] = await Promise.all([socketsOf(pid), readdir(`/proc/${pid}/fd`), readFile(`/proc/${pid}/statm`, 'utf8')]);
  return {
    udp: sockets.filter((s) => s.protocol === 'udp').length,
    fds: fds.length,
    rssKiB: Number(statm.split(' ')[1]) * 4,
  };
}

/** The UDP ports a process holds now. */
export async function udpPortsOf(pid: number): Promise<number[]> {
  return (await socketsOf(pid)).filter((s) => s.protocol === 'udp').map((s) => s.localPort);
}
