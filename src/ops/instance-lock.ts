// One fibmgr per VPP. Two would share the FIB source by name and sweep each other's routes, so a
// fibmgr holds a lock keyed by its VPP API socket's real path for as long as it lives: a Linux
// abstract unix socket, `\0fibmgr:<realpath>`. The kernel releases it when the process dies
// however it dies (no stale lock file to judge), binding it is atomic, and the holder answers
// whoever connects with who it is (pid, version), so that a second fibmgr can name the first.
// It must be taken before connecting to VPP: a live fibmgr is then never taken for a dead one.
//
// Abstract sockets belong to a network namespace: two fibmgrs in different namespaces sharing one
// VPP socket (containers with their own network, a shared /run/vpp) do not see each other's lock.
import { createServer, connect, type Server } from 'node:net';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { fibmgrVersion } from '../version.js';
import { basename, dirname, resolve } from 'node:path';

export interface LockHolder {
  pid: number;
  version: string;
  /** The VPP socket as the holder was told it (its real path is the key). */
  vppSock: string;
  startedAt: string;
  /** The pid was checked to hold the lock's socket (/proc), and its owner read. */
  verified: boolean;
  uid?: number;
}

export class InstanceLockedError extends Error {
  constructor(readonly vppSock: string, readonly key: string, readonly holder: LockHolder | null) {
    super(holder
      ? `another fibmgr (pid ${holder.pid}${holder.verified ? '' : ', as it claims: not verified'}${holder.uid !== undefined ? `, uid ${holder.uid}` : ''}, version ${holder.version}, started ${holder.startedAt}) already runs on this VPP (${key}): one fibmgr per VPP, two would sweep each other's routes; stop it first`
      : `the lock of this VPP (${key}) is held by a process that does not answer as fibmgr: one fibmgr per VPP; find it with \`ss -xlp | grep fibmgr:\``);
    this.name = 'InstanceLockedError';
  }
}

export interface InstanceLock {
  /** The VPP socket's real path: the lock's key. */
  readonly key: string;
  release(): Promise<void>;
}

const MAX_ABSTRACT = 107;

/** The abstract socket's name for a VPP socket (without the leading NUL); long paths are hashed. */
export function lockName(key: string): string {
  const plain = `fibmgr:${key}`;
  return Buffer.byteLength(plain) <= MAX_ABSTRACT - 1 ? plain : `fibmgr:sha256:${createHash('sha256').update(key).digest('hex')}`;
}

/**
 * The VPP socket's real path; while it (or its directories) does not exist yet (VPP not started),
 * the real path of its nearest existing ancestor with the rest appended: a fibmgr started before
 * VPP and one started after, through another name of the same directory (/var/run and /run), must
 * find the same lock.
 */
export function lockKey(vppSock: string): string {
  let known = resolve(vppSock);
  const rest: string[] = [];
  for (;;) {
    try {
      return resolve(realpathSync(known), ...rest);
    } catch {
      const up = dirname(known);
      if (up === known) return resolve(vppSock);
      rest.unshift(basename(known));
      known = up;
    }
  }
}

export async function acquireInstanceLock(vppSock: string, opts: { version?: string } = {}): Promise<InstanceLock> {
  const key = lockKey(vppSock);
  const name = lockName(key);
  const me = JSON.stringify({ fibmgr: true, pid: process.pid, version: opts.version ?? fibmgrVersion(), vppSock, startedAt: new Date().toISOString() }) + '\n';
  // the holder may be on its way out between our bind and our question: try again a few times
  for (let attempt = 0; ; attempt++) {
    const server = createServer((s) => {
      s.on('error', () => undefined);
      s.end(me);
    });
    const bound = await new Promise<NodeJS.ErrnoException | null>((res) => {
      server.once('error', (e) => res(e));
      server.listen(`\0${name}`, () => res(null));
    });
    if (!bound) {
      server.unref(); // the lock never keeps the process alive
      server.on('error', () => undefined);
      return { key, release: () => closeServer(server) };
    }
    if (bound.code !== 'EADDRINUSE') throw bound;
    const holder = await askHolder(name);
    if (holder === 'gone' && attempt < 5) continue;
    throw new InstanceLockedError(vppSock, key, holder === 'gone' ? null : holder);
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((res) => server.close(() => res()));
}

/** What the lock's holder says of itself, checked against /proc where this user may look. */
async function askHolder(name: string): Promise<LockHolder | null | 'gone'> {
  const text = await new Promise<string | 'gone'>((res) => {
    let got = '';
    const s = connect(`\0${name}`);
    s.setEncoding('utf8');
    const timer = setTimeout(() => s.destroy(), 2_000);
    s.on('data', (d: string) => { if (got.length < 4096) got += d; });
    s.on('error', (e: NodeJS.ErrnoException) => { clearTimeout(timer); res(e.code === 'ECONNREFUSED' ? 'gone' : ''); });
    s.on('close', () => { clearTimeout(timer); res(got); });
  });
  if (text === 'gone') return 'gone';
  let claim: Partial<LockHolder> & { fibmgr?: boolean };
  try {
    claim = JSON.parse(text.split('\n')[0]!) as typeof claim;
  } catch {
    return null;
  }
  if (claim.fibmgr !== true || !Number.isInteger(claim.pid)) return null;
  const holder: LockHolder = { pid: claim.pid!, version: String(claim.version ?? '?'), vppSock: String(claim.vppSock ?? '?'), startedAt: String(claim.startedAt ?? '?'), verified: false };
  const inode = listenerInode(name);
  if (inode !== undefined && holdsSocket(holder.pid, inode)) {
    holder.verified = true;
    try { holder.uid = statSync(`/proc/${holder.pid}`).uid; } catch { /* gone meanwhile */ }
  }
  return holder;
}

/** The inode of the listening abstract socket `name`, from /proc/net/unix ("@name"). */
function listenerInode(name: string): number | undefined {
  try {
    for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n')) {
      const f = line.trim().split(/\s+/);
      // Num RefCount Protocol Flags Type St Inode Path; St 01 = unconnected (a listener). Node
      // binds abstract names padded with NULs to the whole sun_path, shown as trailing @s.
      if (f.length >= 8 && f[5] === '01' && f[7]!.replace(/@+$/, '') === `@${name}`) return Number(f[6]);
    }
  } catch { /* no /proc: cannot verify */ }
  return undefined;
}

function holdsSocket(pid: number, inode: number): boolean {
  try {
    const want = `socket:[${inode}]`;
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try { return readlinkSync(`/proc/${pid}/fd/${fd}`) === want; } catch { return false; }
    });
  } catch {
    return false; // another user's process (not root): cannot look
  }
}
