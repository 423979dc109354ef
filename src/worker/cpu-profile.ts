/**
 * On-demand CPU profiling of a media worker, for performance work: with `KUROSHIO_CPU_PROFILE`
 * set to a directory, the worker profiles itself from start to shutdown and writes
 * `worker-<pid>.cpuprofile` there (open it in Chrome DevTools or summarise it with
 * `scripts/profile-summary.mjs`). Node's `--cpu-prof` cannot be passed through NODE_OPTIONS,
 * and workers are forked by the control process, hence this switch.
 */
import { Session } from 'node:inspector/promises';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface CpuProfiler {
  /** Stops profiling and writes the profile. */
  stop(): Promise<void>;
}

export async function startCpuProfile(directory: string): Promise<CpuProfiler> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      await writeFile(join(directory, `worker-${process.pid}.cpuprofile`), JSON.stringify(profile));
      session.disconnect();
    },
  };
}
