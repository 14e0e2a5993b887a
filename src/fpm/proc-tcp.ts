// The kernel's TCP socket table as /proc/net/tcp and /proc/net/tcp6 print it (of the reader's
// network namespace): the rows, and a reader that finds the rows of many connections in one pass.
// One pass at a time, read in large chunks between which the event loop runs: a flood of
// connections costs one read of the table per pass, never one per connection, and never a
// synchronous read that stalls everything else.
import { open } from 'node:fs/promises';
import { endianness } from 'node:os';
import { parseAddress } from '../route/prefix.js';

/** Socket states as the kernel numbers them (include/net/tcp_states.h). */
export const TCP_STATES: Record<number, string> = {
  1: 'ESTABLISHED', 2: 'SYN_SENT', 3: 'SYN_RECV', 4: 'FIN_WAIT1', 5: 'FIN_WAIT2', 6: 'TIME_WAIT',
  7: 'CLOSE', 8: 'CLOSE_WAIT', 9: 'LAST_ACK', 10: 'LISTEN', 11: 'CLOSING', 12: 'NEW_SYN_RECV',
};
export const TCP_ESTABLISHED = 1;

export interface TcpRow {
  /** `ADDR:PORT` in the table's own hex form. */
  local: string;
  remote: string;
  state: number;
  /**
   * The socket's owner. The kernel prints 0 for sockets no process holds any more (TIME_WAIT,
   * and FIN_WAIT after close(), where the inode is 0 too): 0 there means "nobody", not root.
   */
  uid: number;
  /** The socket's inode; 0 once no file refers to it. */
  inode: number;
}

/** One row of the table, or null for the header and anything that is not a row. */
export function parseTcpRow(line: string): TcpRow | null {
  // "  0: 0100007F:A3C2 0100007F:0A3C 01 00000000:00000000 00:00000000 00000000  1000  0 123456 1 …"
  const f = line.trim().split(/\s+/);
  if (f.length < 10 || !/^\d+:$/.test(f[0]!)) return null;
  const state = parseInt(f[3]!, 16), uid = Number(f[7]), inode = Number(f[9]);
  if (!/^[0-9A-F]+:[0-9A-F]{4}$/i.test(f[1]!) || !/^[0-9A-F]+:[0-9A-F]{4}$/i.test(f[2]!)) return null;
  if (!Number.isInteger(state) || !Number.isInteger(uid) || !Number.isInteger(inode)) return null;
  return { local: f[1]!.toUpperCase(), remote: f[2]!.toUpperCase(), state, uid, inode };
}

/** An address and port as the table prints them: each 32-bit word of the address in host order. */
export function procEndpoint(addr: string, port: number): string {
  const b = Buffer.from(parseAddress(addr).bytes);
  if (endianness() === 'LE') b.swap32();
  return `${b.toString('hex').toUpperCase()}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** What one lookup asks for: the row whose local and remote ends are these, in one of the files. */
export interface RowWanted {
  file: '/proc/net/tcp' | '/proc/net/tcp6';
  local: string;
  remote: string;
}

export interface ProcTcpReaderOptions {
  /** Tests: the whole text of a table file instead of reading it. */
  readFile?: (path: string) => string | Promise<string>;
  /** Lookups that may wait for a pass; more are answered at once with 'busy'. */
  maxWaiting?: number;
}

interface Lookup {
  wanted: RowWanted[];
  resolve: (row: TcpRow | undefined | 'busy') => void;
}

/** Bytes a read of the table asks for: a few thousand rows, usually the whole table at once. */
const CHUNK = 256 * 1024;

export class ProcTcpReader {
  private waiting: Lookup[] = [];
  private running = false;
  private readonly maxWaiting: number;
  /** Passes made over the tables (each serves every lookup that waited for it). */
  passes = 0;

  constructor(private readonly opts: ProcTcpReaderOptions = {}) {
    this.maxWaiting = opts.maxWaiting ?? 64;
  }

  /**
   * The first row found among `wanted` (undefined: none), read by a pass that starts after this
   * call — never an older view of the table. 'busy' when too many lookups already wait.
   */
  find(wanted: RowWanted[]): Promise<TcpRow | undefined | 'busy'> {
    if (this.waiting.length >= this.maxWaiting) return Promise.resolve('busy');
    return new Promise((resolve) => {
      this.waiting.push({ wanted, resolve });
      if (!this.running) void this.pass();
    });
  }

  private async pass(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.length) {
        const batch = this.waiting;
        this.waiting = [];
        this.passes++;
        const found = new Map<string, TcpRow>();
        const byFile = new Map<string, Set<string>>();
        for (const l of batch) for (const w of l.wanted) {
          const keys = byFile.get(w.file) ?? new Set<string>();
          keys.add(`${w.local} ${w.remote}`);
          byFile.set(w.file, keys);
        }
        for (const [file, keys] of byFile) {
          try {
            await this.scan(file, keys, found);
          } catch { /* a table that cannot be read holds no row: the lookup fails closed */ }
        }
        for (const l of batch) {
          const hit = l.wanted.map((w) => found.get(`${w.file} ${w.local} ${w.remote}`)).find((r) => r !== undefined);
          l.resolve(hit);
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** Reads `file` until every key in `keys` is found (or the end), recording what it finds. */
  private async scan(file: string, keys: Set<string>, found: Map<string, TcpRow>): Promise<void> {
    let left = keys.size;
    const take = (line: string): boolean => {
      const row = parseTcpRow(line);
      if (!row) return false;
      const key = `${row.local} ${row.remote}`;
      if (!keys.has(key) || found.has(`${file} ${key}`)) return false;
      found.set(`${file} ${key}`, row);
      return --left === 0;
    };
    if (this.opts.readFile) {
      for (const line of (await this.opts.readFile(file)).split('\n')) if (take(line)) return;
      return;
    }
    const fh = await open(file, 'r');
    try {
      const buf = Buffer.allocUnsafe(CHUNK);
      let rest = '';
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
        if (bytesRead === 0) break;
        const lines = (rest + buf.toString('latin1', 0, bytesRead)).split('\n');
        rest = lines.pop()!;
        for (const line of lines) if (take(line)) return;
      }
      take(rest);
    } finally {
      await fh.close();
    }
  }
}
