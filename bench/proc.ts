/**
 * What the benchmark reads about the processes it measures: resident memory from /proc, and,
 * through each process's inspector (the server runs with `--inspect=127.0.0.1:0`), a forced
 * garbage collection and the V8 heap figures. The inspector reaches forked workers too, without
 * any hook in the product.
 */
import { readFileSync, readdirSync } from 'node:fs';
import WebSocket from 'ws';

/** Resident set size of a process in KiB (VmRSS), 0 if it is gone. */
export function rssKiB(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0; // the process ended
  }
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

/** Inspector WebSocket addresses announced on a process tree's stderr. */
export function inspectorUrls(lines: readonly string[]): string[] {
  return [...new Set(lines.flatMap((l) => /Debugger listening on (ws:\/\/\S+)/.exec(l)?.[1] ?? []))];
}

interface InspectorReply {
  id: number;
  result?: { result?: { value?: unknown } };
  error?: unknown;
}

/** Opens an inspector session, runs the given commands in order, returns their results. */
async function inspect(url: string, commands: { method: string; params?: Record<string, unknown> }[]): Promise<InspectorReply[]> {
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const replies: InspectorReply[] = [];
  try {
    for (const [i, command] of commands.entries()) {
      const reply = new Promise<InspectorReply>((resolve) => {
        const onMessage = (data: WebSocket.RawData): void => {
          const message = JSON.parse(data.toString()) as InspectorReply;
          if (message.id !== i + 1) return;
          socket.off('message', onMessage);
          resolve(message);
        };
        socket.on('message', onMessage);
      });
      socket.send(JSON.stringify({ id: i + 1, ...command }));
      replies.push(await reply);
    }
  } finally {
    socket.close();
  }
  return replies;
}

/** Forces a full garbage collection in every process (twice: finalizers free more on the second). */
export async function collectGarbage(urls: readonly string[]): Promise<void> {
  const gc = { method: 'HeapProfiler.collectGarbage' };
  await Promise.all(urls.map((url) => inspect(url, [gc, gc])));
}

export interface HeapFigures {
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** `process.memoryUsage()` of every process, summed (bytes). */
export async function heapFigures(urls: readonly string[]): Promise<HeapFigures> {
  const expression = 'JSON.stringify(process.memoryUsage())';
  const all = await Promise.all(urls.map((url) => inspect(url, [{ method: 'Runtime.evaluate', params: { expression, returnByValue: true } }])));
  const sum: HeapFigures = { heapUsed: 0, external: 0, arrayBuffers: 0 };
  for (const [reply] of all) {
    const usage = JSON.parse(String(reply?.result?.result?.value ?? '{}')) as Partial<HeapFigures>;
    sum.heapUsed += usage.heapUsed ?? 0;
    sum.external += usage.external ?? 0;
    sum.arrayBuffers += usage.arrayBuffers ?? 0;
  }
  return sum;
}
