/**
 * Entry point of a media worker process. Requests arrive on the IPC channel from the control
 * process; the worker exits when that channel closes, so an orphaned worker never lingers.
 */
import type { FromWorkerMessage, ToWorkerMessage } from '../ipc/protocol.js';
import { createLogger } from '../log.js';
import { ObjectHost } from './object-host.js';

const log = createLogger('worker', process.env.KUROSHIO_LOG_LEVEL);

function send(message: FromWorkerMessage): void {
  if (process.connected) process.send?.(message);
}

const host = new ObjectHost(send);

process.on('message', (message: ToWorkerMessage) => {
  void host.handle(message);
});

process.on('disconnect', () => {
  void host.releaseAll().finally(() => process.exit(0));
});

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

send({ kind: 'ready', pid: process.pid });
log.debug('media worker ready', { pid: process.pid });
