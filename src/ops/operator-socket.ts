// The operator's unix socket (--ops-socket): the way to the actions that change what VPP forwards.
// Node cannot ask a unix socket's peer who it is (no SO_PEERCRED), so the filesystem proves it:
// the socket sits in a directory that belongs to fibmgr's user and is closed to everyone else
// (0700), and the socket itself is 0600. Only that user and root can reach it, from the moment
// it exists (the directory is private before the socket is bound).
import { connect } from 'node:net';
import { chmodSync, lstatSync, mkdirSync, realpathSync, statSync, unlinkSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export class OperatorSocketError extends Error {
  constructor(readonly path: string, why: string) {
    super(`operator socket ${path}: ${why}`);
    this.name = 'OperatorSocketError';
  }
}

/**
 * Makes `path` ready to bind: its directory created private to this user (0700) or checked to be
 * so (never loosened or tightened: it may be shared, /tmp), and a socket file left by a fibmgr
 * that died removed. Another process still answering there is an error.
 */
export async function prepareOperatorSocket(path: string): Promise<void> {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new OperatorSocketError(path, `cannot create its directory ${dir}: ${(e as Error).message}`);
  }
  const st = statSync(dir);
  const me = process.geteuid?.() ?? 0;
  if (st.uid !== me) throw new OperatorSocketError(path, `its directory ${dir} belongs to uid ${st.uid}, not to fibmgr's user (uid ${me})`);
  if ((st.mode & 0o077) !== 0) {
    throw new OperatorSocketError(path, `its directory ${dir} is open to others (mode ${(st.mode & 0o7777).toString(8)}): give the socket a directory of its own, mode 700 (systemd: RuntimeDirectory=fibmgr)`);
  }
  // A private directory is only as private as the way to it: checked as named and as it resolves.
  for (const way of [resolve(dir), realpathSync(dir)]) {
    const loose = swappableOnTheWay(way, me);
    if (loose) throw new OperatorSocketError(path, `${loose}: another user could replace the way to the socket (give it a directory of its own, e.g. /run/fibmgr)`);
  }
  let file: import('node:fs').Stats;
  try {
    file = lstatSync(path);
  } catch {
    return; // nothing there
  }
  if (!file.isSocket()) throw new OperatorSocketError(path, 'exists and is not a socket');
  if (await answers(path)) throw new OperatorSocketError(path, 'another process answers there (another fibmgr? give each its own --ops-socket)');
  unlinkSync(path);
}

/**
 * Why another user could swap `dir` or a directory (or link) above it, or null: each must belong
 * to root or `me`, and each directory above `dir` be writable by others only with the sticky bit
 * (then they cannot rename what is not theirs).
 */
function swappableOnTheWay(dir: string, me: number): string | null {
  for (let cur = dir; ; cur = dirname(cur)) {
    const st = lstatSync(cur);
    if (st.uid !== 0 && st.uid !== me) return `${cur} belongs to uid ${st.uid}`;
    if (cur !== dir && st.isDirectory() && (st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) {
      return `${cur} is writable by others (mode ${(st.mode & 0o7777).toString(8)}) without the sticky bit`;
    }
    if (dirname(cur) === cur) return null;
  }
}

/** After binding: the socket file itself only for this user (root passes anyway). */
export function restrictOperatorSocket(path: string): void {
  chmodSync(path, 0o600);
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}
