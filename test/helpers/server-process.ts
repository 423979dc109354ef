/**
 * Starts the real `kuroshio` command (the built CLI) as a child process on a free port, the way a
 * user runs it, and stops it again. Tests talk to it over the network only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** Everything the server logged, one parsed JSON record per line. */
  readonly logs: Record<string, unknown>[];
  /** Resolves with the first log record matching `predicate` (already logged or future). */
  waitForLog(predicate: (record: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Process ids of the media workers, from the server's own log. */
  workerPids(): number[];
  stop(): Promise<void>;
}

export interface StartOptions {
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Options for node itself, before the script (`--import`, ...); media workers inherit them. */
  nodeArgs?: string[];
  /**
   * False: start with `args` only, without the usual `--port 0 --host 127.0.0.1 --log-level debug`
   * (a test of settings that come from elsewhere, such as a Kurento configuration folder).
   */
  defaultArgs?: boolean;
}

export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const defaults = options.defaultArgs === false ? [] : ['--port', '0', '--host', '127.0.0.1', '--log-level', 'debug'];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), CLI, ...defaults, ...(options.args ?? [])], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const waiters = new Set<{ predicate: (r: Record<string, unknown>) => boolean; resolve: (r: Record<string, unknown>) => void }>();
  let buffered = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        record = { msg: line, level: 'raw' };
      }
      logs.push(record);
      if (process.env.KUROSHIO_TEST_LOGS) process.stderr.write(line + '\n');
      for (const w of [...waiters]) {
        if (w.predicate(record)) {
          waiters.delete(w);
          w.resolve(record);
        }
      }
    }
  });
  child.stdout!.resume();

  const waitForLog = (predicate: (r: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>> => {
    const seen = logs.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const entry = {
        predicate,
        resolve: (r: Record<string, unknown>) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(entry);
        reject(new Error('timed out waiting for a server log record'));
      }, timeoutMs);
      waiters.add(entry);
    });
  };

  const exited = once(child, 'exit');
  let listening: Record<string, unknown>;
  try {
    listening = await Promise.race([
      waitForLog((r) => r.msg === 'Kuroshio listening', 20_000),
      exited.then(([code]) => {
        throw new Error(`server exited with code ${String(code)} before listening: ${JSON.stringify(logs.slice(-5))}`);
      }),
    ]);
  } catch (err) {
    // Never leave a half-started server behind: it would keep the test process alive.
    child.kill('SIGKILL');
    throw err;
  }
  const url = String(listening.url).replace('[::]', '127.0.0.1').replace('0.0.0.0', '127.0.0.1');
  const port = Number(new URL(url).port);
  return {
    url,
    port,
    process: child,
    logs,
    waitForLog,
    workerPids: () => [...new Set(logs.filter((r) => r.msg === 'media worker ready').map((r) => Number(r.pid)))],
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * What a `before` hook set up, read by a test: undefined only when a test runs without its hook
 * having run (a helper used outside node:test, or a hook that failed, which node:test reports).
 */
export function setUp<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is not set up: it is made by a before hook`);
  return value;
}
