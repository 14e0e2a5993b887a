// The daemon: the FPM listener feeding a sink, until SIGTERM/SIGINT.
import { once } from 'node:events';
import type { Config } from './config/options.js';
import { createLogger, type Logger } from './log.js';
import { FpmServer } from './fpm/server.js';
import { FpmSessionDecoder } from './fpm/session-decoder.js';
import type { RouteSink } from './route/sink.js';
import { DryRunSink } from './sync/dry-run-sink.js';

function createSink(config: Config, log: Logger): RouteSink {
  if (config.dryRun) return new DryRunSink(log);
  // The sync engine (VPP programming) plugs in here.
  log.warn({ vppSock: config.vppSock }, 'VPP programming is not wired yet: running as --dry-run');
  return new DryRunSink(log);
}

export async function runDaemon(config: Config): Promise<void> {
  const log = createLogger(config.logLevel);
  const sink = createSink(config, log);
  const server = new FpmServer({ host: config.fpmHost, port: config.fpmPort, decoder: () => new FpmSessionDecoder({ weights: config.fpmWeights }), sink, logger: log });
  await server.listen();

  const signal = await Promise.race([once(process, 'SIGTERM'), once(process, 'SIGINT')]);
  log.info({ signal: String(signal[0] ?? '') }, 'stopping');
  await server.close();
  log.info({ stats: server.stats }, 'stopped');
  await new Promise<void>((resolve) => log.flush(() => resolve()));
  process.exit(0);
}
