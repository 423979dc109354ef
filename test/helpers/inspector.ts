/**
 * Reaches a Node process's inspector (a process started with `--inspect=127.0.0.1:0`, which forked
 * media workers inherit through NODE_OPTIONS) without any hook in the product: forced garbage
 * collections, heap figures and expressions evaluated in the process. Benchmarks and memory tests
 * use it to compare retained memory rather than garbage not yet collected.
 */
import WebSocket from 'ws';

/** NODE_OPTIONS for a server whose every process opens an inspector on a free loopback port. */
export function inspectorEnv(): NodeJS.ProcessEnv {
  return { NODE_OPTIONS: [process.env.NODE_OPTIONS, '--inspect=127.0.0.1:0'].filter(Boolean).join(' ') };
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
export async function inspect(url: string, commands: { method: string; params?: Record<string, unknown> }[]): Promise<InspectorReply[]> {
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

/** Evaluates an expression in a process's main context; returns its value (by value). */
export async function evaluate(url: string, expression: string): Promise<unknown> {
  const [reply] = await inspect(url, [{ method: 'Runtime.evaluate', params: { expression, returnByValue: true } }]);
  return reply?.result?.result?.value;
}
