// One logger for the daemon: pino, one event a line, on stderr so that stdout stays free for
// command output (`fibmgr decode`). JSON for machines (systemd's journal, docker); on a terminal,
// pino's own pretty printer (pino-pretty): a time, the level, the message and its fields.
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export type LogFormat = 'json' | 'pretty' | 'auto';

/** 'auto': pretty when the logs go to a terminal, JSON otherwise. */
export function resolveLogFormat(format: LogFormat, fd = 2): 'json' | 'pretty' {
  if (format !== 'auto') return format;
  return fd === 2 ? (process.stderr.isTTY ? 'pretty' : 'json') : fd === 1 && process.stdout.isTTY ? 'pretty' : 'json';
}

export function createLogger(level = 'info', destination: NodeJS.WritableStream | number = 2, format: LogFormat = 'json'): Logger {
  const opts = { level, base: { name: 'fibmgr' }, timestamp: pino.stdTimeFunctions.isoTime };
  const fd = typeof destination === 'number' ? destination : -1;
  if ((fd >= 0 ? resolveLogFormat(format, fd) : format === 'pretty' ? 'pretty' : 'json') === 'pretty') {
    const stream = pretty({
      destination: typeof destination === 'number' ? destination : destination,
      colorize: fd >= 0 ? (fd === 2 ? process.stderr.isTTY : process.stdout.isTTY) : false,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,name',
      singleLine: true,
      sync: true,
    });
    return pino(opts, stream);
  }
  const dest = typeof destination === 'number' ? pino.destination({ fd: destination, sync: false }) : destination;
  return pino(opts, dest);
}
