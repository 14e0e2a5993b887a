// One logger for the daemon: pino, one event a line, on stderr so that stdout stays free for
// command output (`fibmgr decode`). JSON for machines (systemd's journal, docker); on a terminal,
// pino's own pretty printer (pino-pretty): a time, the level, the message and its fields.
import { writeSync } from 'node:fs';
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
  const dest = typeof destination === 'number' ? failSafe(pino.destination({ fd: destination, sync: false }), destination) : destination;
  return pino(opts, dest);
}

type Boom = ReturnType<typeof pino.destination>;
/** sonic-boom's queue (4.x): lines not yet handed to the kernel, and the one being written. */
interface BoomQueue { _bufs: (string | Buffer)[]; _writing: boolean; _writingBuf: string | Buffer }

const EXIT_WRITE_TRIES = 20;

/**
 * A log destination that fails (stderr into a pipe whose reader has gone: EPIPE; a descriptor not
 * open for writing: EBADF) must never hold up or end fibmgr — losing the log is the lesser harm.
 * sonic-boom as pino uses it does both: an error other than EPIPE is re-emitted with nobody
 * listening (an uncaught exception: the last-resort guard, whose own log line fails the same way),
 * and the flush pino runs at process exit retries a failed write forever, sleeping 100 ms between
 * tries with the event loop blocked, so that not even SIGTERM ends the process. Here the first
 * error turns the destination into a sink, and the exit-time flush tries a bounded number of times.
 */
function failSafe(dest: Boom, fd: number): Boom {
  const noop = () => {};
  dest.on('error', () => {
    dest.write = () => true;
    dest.flushSync = noop;
    dest.flush = (cb?: (err?: Error) => void) => cb?.();
    dest.end = noop;
  });
  dest.flushSync = () => {
    const q = dest as unknown as BoomQueue;
    const pending = [...(!q._writing && q._writingBuf.length ? [q._writingBuf] : []), ...q._bufs];
    q._bufs = [];
    if (!q._writing) q._writingBuf = '';
    let tries = 0;
    for (let chunk = Buffer.concat(pending.map((b) => (typeof b === 'string' ? Buffer.from(b) : b))); chunk.length > 0;) {
      try {
        chunk = chunk.subarray(writeSync(fd, chunk));
      } catch (err) {
        // A full pipe (EAGAIN) may drain: a few short waits. Any other error: the rest is lost.
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' || ++tries >= EXIT_WRITE_TRIES) return;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      }
    }
  };
  return dest;
}
