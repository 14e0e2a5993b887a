// One logger for the daemon: pino, JSON, one event a line, on stderr so that stdout stays free
// for command output (`fibmgr decode`).
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level = 'info', destination: NodeJS.WritableStream | number = 2): Logger {
  const dest = typeof destination === 'number' ? pino.destination({ fd: destination, sync: false }) : destination;
  return pino({ level, base: { name: 'fibmgr' }, timestamp: pino.stdTimeFunctions.isoTime }, dest);
}
