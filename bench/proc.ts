/**
 * What the benchmark reads about the processes it measures: resident memory from /proc, and,
 * through each process's inspector (the server runs with `--inspect=127.0.0.1:0`), a forced
 * garbage collection and the V8 heap figures. The inspector reaches forked workers too, without
 * any hook in the product.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const CLOCK_TICKS = 100;

/** User + system CPU seconds of one process (all its threads), 0 if it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces): utime is field 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0; // the process ended
  }
}

/** A `Name:   N kB` figure from one of a process's /proc files, 0 if the process is gone. */
function procKiB(pid: number, file: string, field: string): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, 'm').exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0; // the process ended
  }
}

/** Resident set size of a process in KiB (VmRSS), 0 if it is gone. */
export function rssKiB(pid: number): number {
  return procKiB(pid, 'status', 'VmRSS');
}

/**
 * Proportional set size of a process in KiB (smaps_rollup's Pss), 0 if it is gone: its private
 * pages plus its share of pages mapped by several processes. Summed over a process tree it counts
 * the node binary and shared libraries once, where a sum of RSS counts them once per process.
 */
export function pssKiB(pid: number): number {
  return procKiB(pid, 'smaps_rollup', 'Pss');
}

/** The process and all its descendants, from the parent pids in /proc. */
export function processTree(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parentOf.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // the process ended while /proc was listed
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) for (const [pid, ppid] of parentOf) if (ppid === tree[i]) tree.push(pid);
  return tree;
}

export { collectGarbage, heapFigures, inspectorUrls, type HeapFigures } from '../test/helpers/inspector.js';
