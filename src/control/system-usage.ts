/** CPU and memory figures for ServerManager, measured the way KMS measures them (from /proc). */
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';

const CLOCK_TICKS_PER_SECOND = 100;

async function processTicks(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    // The process exited between listing and reading it: it uses no CPU any more.
    return 0;
  }
}

async function systemTicks(): Promise<number> {
  const stat = await readFile('/proc/stat', 'utf8');
  const fields = stat.split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 10).reduce((a, b) => a + b, 0);
  // guest and guest_nice are already counted in user time.
  return total - (fields[8] ?? 0) - (fields[9] ?? 0);
}

/** Percentage of one CPU used by the given processes over `intervalMs`. */
export async function usedCpuPercent(pids: readonly number[], intervalMs: number): Promise<number> {
  const sum = async (): Promise<number> => (await Promise.all(pids.map(processTicks))).reduce((a, b) => a + b, 0);
  const [p0, s0] = await Promise.all([sum(), systemTicks()]);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, intervalMs)));
  const [p1, s1] = await Promise.all([sum(), systemTicks()]);
  const systemPerCpu = (s1 - s0) / availableParallelism();
  return systemPerCpu > 0 ? (100 * (p1 - p0)) / systemPerCpu : 0;
}

/** Resident memory of the given processes, in KiB. */
export async function usedMemoryKiB(pids: readonly number[]): Promise<number> {
  const pageKiB = 4;
  const sizes = await Promise.all(
    pids.map(async (pid) => {
      try {
        const statm = await readFile(`/proc/${pid}/statm`, 'utf8');
        return Number(statm.split(' ')[1]) * pageKiB;
      } catch {
        // The process exited between listing and reading it: it holds no memory any more.
        return 0;
      }
    }),
  );
  return sizes.reduce((a, b) => a + b, 0);
}

/** CPU seconds (user+system) a process has used, from /proc. */
export async function cpuSeconds(pid: number): Promise<number> {
  return (await processTicks(pid)) / CLOCK_TICKS_PER_SECOND;
}
