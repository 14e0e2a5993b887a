// Which process holds a socket: the one with a link to `socket:[INODE]` under /proc/PID/fd. The
// FPM server asks it for zebra's end of a new session, because a session from another zebra
// process than the last one means zebra restarted — which its replay alone cannot always show
// (stale-rule.ts). A process is named "pid@start", its start time since boot (field 22 of
// /proc/PID/stat) telling a restarted zebra from an old one whose pid was reused.
//
// Processes named zebra are looked at first: the whole walk reads every descriptor of every
// process, which on a busy host is thousands of links.
import { readdir, readFile, readlink } from 'node:fs/promises';

export interface SocketOwnerOptions {
  /** Tests: another /proc. */
  procRoot?: string;
  /** How long the walk may take before the owner counts as not seen. */
  budgetMs?: number;
}

/**
 * Field n of a /proc/PID/stat text, numbered as in proc(5) (3 on: 1 is the pid, 2 the command),
 * or undefined when the text has none. Pure.
 */
export function statField(stat: string, n: number): string | undefined {
  // field 2, the command, is in parentheses and may itself hold spaces and ')'
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  return stat.slice(close + 2).split(' ')[n - 3];
}

/** The start time (field 22) of a /proc/PID/stat text, or null. Pure. */
export function statStartTime(stat: string): string | null {
  const start = statField(stat, 22);
  return start !== undefined && /^\d+$/.test(start) ? start : null;
}

/**
 * "pid@start" of the process holding socket `inode`, or null when none this host shows holds it
 * — or when the walk takes longer than `budgetMs` (default 2 s): zebra waits to be let in meanwhile.
 */
export async function socketOwner(inode: number, opts: SocketOwnerOptions = {}): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const budget = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), opts.budgetMs ?? 2000);
  });
  try {
    return await Promise.race([findOwner(inode, opts), budget]);
  } finally {
    clearTimeout(timer);
  }
}

async function findOwner(inode: number, opts: SocketOwnerOptions): Promise<string | null> {
  if (!Number.isInteger(inode) || inode <= 0) return null;
  const root = opts.procRoot ?? '/proc';
  const link = `socket:[${inode}]`;
  let pids: string[];
  try {
    pids = (await readdir(root)).filter((n) => /^\d+$/.test(n));
  } catch {
    return null;
  }
  const comms = await Promise.all(pids.map((pid) => readFile(`${root}/${pid}/comm`, 'utf8').catch(() => '')));
  const order = pids.map((pid, i) => ({ pid, first: comms[i]!.trim() === 'zebra' })).sort((a, b) => Number(b.first) - Number(a.first));
  for (const { pid } of order) {
    if (await holds(`${root}/${pid}/fd`, link)) {
      const start = await readFile(`${root}/${pid}/stat`, 'utf8').then(statStartTime, () => null);
      return start === null ? null : `${pid}@${start}`;
    }
  }
  return null;
}

async function holds(fdDir: string, link: string): Promise<boolean> {
  let fds: string[];
  try {
    fds = await readdir(fdDir);
  } catch {
    return false; // gone, or not ours to read
  }
  const targets = await Promise.all(fds.map((fd) => readlink(`${fdDir}/${fd}`).catch(() => '')));
  return targets.includes(link);
}
