#!/usr/bin/env node
/** The `kuroshio` command: reads the configuration and runs the server until SIGINT/SIGTERM. */
import { allModules } from './api/modules/index.js';
import { ConfigError, loadConfig, usage } from './config.js';
import { createLogger } from './log.js';
import { ModuleLoadError, loadDescriptions } from './plugins/module-loader.js';
import { KuroshioServer } from './server.js';

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = loadConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof ConfigError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`kuroshio: ${(err as Error).message}\n\n${usage()}`);
      return 2;
    }
    throw err;
  }
  if (parsed.help) {
    process.stdout.write(usage());
    return 0;
  }
  // Logs go to stderr; if whoever reads it goes away (a closed pipe), logging stops but the
  // server keeps serving its clients rather than dying on the next log line.
  process.stderr.on('error', () => undefined);
  const log = createLogger('kuroshio', parsed.config.logLevel);
  let plugins;
  try {
    // Descriptions only: the implementations are loaded by the media workers.
    plugins = await loadDescriptions(parsed.config.modules, allModules);
  } catch (err) {
    if (!(err instanceof ModuleLoadError)) throw err;
    process.stderr.write(`kuroshio: ${err.message}\n`);
    return 2;
  }
  log.debug('modules loaded', { modules: plugins.map((m) => `${m.spec.name} (${m.location.directory})`) });
  const server = new KuroshioServer(parsed.config, log, plugins.map((m) => m.spec));
  let stopping: Promise<void> | undefined;
  const stop = (signal: string): void => {
    if (stopping) return;
    log.info('signal received', { signal });
    stopping = server.stop().then(
      () => process.exit(0),
      (err: Error) => {
        log.error('unclean shutdown', { error: err.message });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  await server.start();
  return -1;
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: Error) => {
    process.stderr.write(`kuroshio: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
