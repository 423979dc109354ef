/**
 * Entry point of a media worker process. Requests arrive on the IPC channel from the control
 * process; the worker exits when that channel closes, so an orphaned worker never lingers.
 */
import type { Socket } from 'node:net';
import type { FromWorkerMessage, ToWorkerMessage } from '../ipc/protocol.js';
import { DEFAULT_CONFIG, type ServerConfig } from '../config.js';
import { createLogger } from '../log.js';
import { ObjectHost } from './object-host.js';
import { builtInFactories } from '../elements/index.js';
import type { ElementFactory } from '../elements/media-object.js';
import { startCpuProfile, type CpuProfiler } from './cpu-profile.js';
import { loadPlugins } from '../plugins/implementation-loader.js';

const log = createLogger('worker', process.env.KUROSHIO_LOG_LEVEL);

function send(message: FromWorkerMessage): void {
  if (process.connected) process.send?.(message);
}

const config: ServerConfig = process.env.KUROSHIO_CONFIG ? { ...DEFAULT_CONFIG, ...(JSON.parse(process.env.KUROSHIO_CONFIG) as Partial<ServerConfig>) } : DEFAULT_CONFIG;
// Plugin modules (Kurento's example modules and those named by --modules): their classes are
// announced with the built-in ones.
const plugins = await loadPlugins(config.modules ?? [], log);
// FFmpeg's log joins ours before the first object is built: loading node-av at start would cost
// an idle worker the memory that creating classes on first use saves (elements/index.ts).
let ffmpegLogsRouted: Promise<void> | undefined;
const routeFfmpegLogs = (): Promise<void> =>
  (ffmpegLogsRouted ??= import('../codec/ffmpeg-log.js').then((m) => m.routeFfmpegLogs(log.child('ffmpeg'))));
const factories = [...builtInFactories, ...plugins.factories].map(
  (factory): ElementFactory => ({ type: factory.type, create: async (init) => (await routeFfmpegLogs(), factory.create(init)) }),
);
const host = new ObjectHost(send, factories, config, plugins.specs);
let profiler: CpuProfiler | undefined;
const profileDirectory = process.env.KUROSHIO_CPU_PROFILE;
if (profileDirectory) {
  startCpuProfile(profileDirectory).then(
    (p) => (profiler = p),
    (err: Error) => log.error('cannot start CPU profiling', { error: err.message }),
  );
}

process.on('message', (message: ToWorkerMessage, handle?: unknown) => {
  if (message.kind === 'connection') host.acceptConnection(message.objectId, handle as Socket, message.head);
  else void host.handle(message);
});

/** Longer than this and an orphaned worker ends anyway: no control process is left to kill it. */
const RELEASE_ALL_TIMEOUT_MS = 4_000;
let shuttingDown = false;

/** The control process closed the channel (shutdown) or died: release the media and end. */
function shutdown(): void {
  if (shuttingDown) return;
  shuttingDown = true;
  setTimeout(() => {
    log.error('media worker did not release its objects in time; exiting', { timeoutMs: RELEASE_ALL_TIMEOUT_MS });
    process.exit(1);
  }, RELEASE_ALL_TIMEOUT_MS).unref();
  host.releaseAll().then(
    async (failures) => {
      for (const { objectId, error } of failures) log.error('releasing an object at shutdown failed', { objectId, error: error.message });
      await profiler?.stop().catch((err: Error) => log.error('cannot write the CPU profile', { error: err.message }));
      process.exit(failures.length === 0 ? 0 : 1);
    },
    (err: Error) => {
      log.error('releasing objects at shutdown failed', { error: err.stack ?? err.message });
      process.exit(1);
    },
  );
}

process.on('disconnect', shutdown);
// The channel may have closed while this module was still loading (the control process died
// meanwhile): `disconnect` was then emitted before anyone listened for it.
if (!process.connected) shutdown();

// The log is stderr, a pipe to whoever runs the server. When that reader goes away every write
// fails with EPIPE; unhandled, each failure would reach the uncaughtException handler below,
// whose log line fails again on the next tick — a loop that never yields to the event loop, so
// not even `disconnect` could end the worker. With stderr gone nothing can be logged any more:
// the error is dropped on purpose and the worker keeps serving.
process.stderr.on('error', () => undefined);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // The control process ends workers through the IPC channel; a terminal's Ctrl-C reaches the
  // whole process group, so ignore it here and let the control process shut down in order.
  process.on(signal, () => log.debug('signal ignored by worker', { signal }));
}

// A failure inside one element's callbacks (a malformed packet deep in a library, say) must not
// take down the other pipelines of this worker: log it and keep serving. A crash the process
// cannot survive (native code) ends the worker, and the control process recovers from that.
process.on('uncaughtException', (err) => {
  log.error('uncaught exception in media worker', { error: err.stack ?? String(err) });
});
process.on('unhandledRejection', (reason) => {
  log.error('unhandled rejection in media worker', { error: reason instanceof Error ? (reason.stack ?? reason.message) : String(reason) });
});

// Logged before `ready` is sent: the control process logs that it is listening only once every
// worker is ready, so whoever reads the shared stderr sees each worker's line first.
log.debug('media worker ready', { pid: process.pid });
send({ kind: 'ready', pid: process.pid, factories: host.factoryNames });
