/**
 * The servers the benchmark measures, each started as its own process tree with an inspector on
 * a free loopback port in every process (`--inspect=127.0.0.1:0` through NODE_OPTIONS, which
 * forked media workers inherit), so the bench can force a GC in them without a hook in the product.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inspectorEnv } from '../test/helpers/inspector.js';
import { startServer } from '../test/helpers/server-process.js';

/**
 * Kuroshio keeps each response for 20 s (REQUEST_CACHE_TTL_MS in src/server.ts) to answer a
 * retried request id, as KMS does. Memory held for that window is by design, so memory samples
 * wait for it to pass (plus the cache's sweep granularity, a tenth of it).
 */
const KUROSHIO_CACHE_WINDOW_MS = 23_000;

export interface Target {
  name: string;
  url: string;
  /** The server process; its descendants are its media workers. */
  pid: number;
  /** How long responses stay cached after a request: memory samples wait that long. */
  cacheWindowMs: number;
  /** Every line the target's processes wrote on stderr. */
  stderr(): string[];
  stop(): Promise<void>;
}


/** The real server, as users start it, at the default log level. */
export async function startKuroshio(workers: number): Promise<Target> {
  const server = await startServer({ args: ['--workers', String(workers), '--log-level', 'info'], env: inspectorEnv() });
  return {
    name: 'Kuroshio',
    url: server.url,
    pid: server.process.pid!,
    cacheWindowMs: KUROSHIO_CACHE_WINDOW_MS,
    stderr: () => server.logs.map((r) => String(r.msg)),
    stop: () => server.stop(),
  };
}

/** The baseline: `echo-server.ts`, one process answering every request with a canned result. */
export async function startEcho(): Promise<Target> {
  const entry = fileURLToPath(new URL('./echo-server.js', import.meta.url));
  const child = spawn(process.execPath, [entry], { env: { ...process.env, ...inspectorEnv() }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => lines.push(...chunk.split('\n')));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.setEncoding('utf8').once('data', (chunk: string) => resolve((JSON.parse(chunk) as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`echo server exited with ${String(code)}: ${lines.join('\n')}`)));
  });
  return {
    name: 'echo baseline',
    url: `ws://127.0.0.1:${port}/kurento`,
    pid: child.pid!,
    cacheWindowMs: 0,
    stderr: () => lines,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
