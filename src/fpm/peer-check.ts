// Who may feed the FIB: a connection to the FPM port is zebra's only if its address is allowed
// (--fpm-allow, loopback by default) and, when it comes from this host, the socket on the other
// end belongs to zebra's user (--fpm-user, default frr; root too). Linux shows each TCP socket's
// owner uid in /proc/net/tcp and /proc/net/tcp6 (of the reader's network namespace), so the
// connecting end is found there by its address and port.
//
// Only a row that is ESTABLISHED and still held by a process (a non-zero inode) tells an owner.
// A client that writes and closes at once leaves a FIN_WAIT row, later a TIME_WAIT one, both
// printed with uid 0 and inode 0: read as "root", they let any local user in. Anything but a live
// row of this exact connection is a refusal, and the server decodes nothing of a connection
// before its check has passed (see FpmServer.accept).
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { isIPv6 } from 'node:net';
import { parseAddress, parsePrefix, prefixBytes } from '../route/prefix.js';
import { ProcTcpReader, TCP_ESTABLISHED, TCP_STATES, procEndpoint, type RowWanted, type TcpRow } from './proc-tcp.js';

export interface PeerVerdict {
  ok: boolean;
  /** What was checked last (the refusal counter's label): the address, the connecting socket's owner, or nothing (busy). */
  kind: 'address' | 'owner' | 'busy';
  /** Why not (logged), or 'allowed'. */
  reason: string;
  /** The owner of the connecting socket, when it is on this host and its row told one. */
  uid?: number;
  /** The connecting socket's inode, when it is on this host (who holds it: socket-owner.ts). */
  inode?: number;
}

export interface PeerCheckOptions {
  /** Addresses or prefixes allowed to connect (IPv4-mapped IPv6 peers are read as IPv4). */
  allow: string[];
  /** User names or numeric uids whose local sockets may connect (root always may). */
  users: string[];
  /** Tests: where /proc/net/tcp{,6} and /etc/passwd are read from. */
  readFile?: (path: string) => string;
  /** Connections whose check may wait for a read of the socket table; more are refused at once (default 64). */
  maxWaiting?: number;
  /** Tests: this host's own addresses (default: the interfaces' addresses, read when needed). */
  localAddresses?: () => string[];
}

interface Net {
  family: 4 | 6;
  bytes: Buffer;
  len: number;
}

/**
 * The verdict on the row found for a connection from this host (undefined: none found). Pure: the
 * rule itself, apart from reading the table.
 */
export function judgeOwnerRow(row: TcpRow | undefined, uids: ReadonlySet<number>): PeerVerdict {
  if (!row) return { ok: false, kind: 'owner', reason: 'the connecting socket is not in /proc/net/tcp: its owner cannot be told' };
  if (row.state !== TCP_ESTABLISHED) {
    return { ok: false, kind: 'owner', reason: `the connecting socket is ${TCP_STATES[row.state] ?? `in state ${row.state}`}, not ESTABLISHED: its owner cannot be told` };
  }
  if (row.inode === 0) return { ok: false, kind: 'owner', reason: 'the connecting socket is held by no process (inode 0): its owner cannot be told' };
  if (!uids.has(row.uid)) return { ok: false, kind: 'owner', reason: `the connecting socket belongs to uid ${row.uid}, not to --fpm-user`, uid: row.uid };
  return { ok: true, kind: 'owner', reason: 'allowed', uid: row.uid, inode: row.inode };
}

export class PeerCheck {
  private readonly nets: Net[];
  private readonly uids = new Set<number>([0]);
  private readonly table: ProcTcpReader;
  private readonly localAddresses: () => string[];
  /** User names that are not on this host (told once, at start). */
  readonly unknownUsers: string[] = [];

  constructor(opts: PeerCheckOptions) {
    const read = opts.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
    this.table = new ProcTcpReader({ readFile: opts.readFile, maxWaiting: opts.maxWaiting });
    this.localAddresses = opts.localAddresses ?? hostAddresses;
    this.nets = opts.allow.map(parseAllow);
    const passwd = new Map<string, number>();
    try {
      for (const line of read('/etc/passwd').split('\n')) {
        const f = line.split(':');
        if (f.length > 2) passwd.set(f[0]!, Number(f[2]));
      }
    } catch { /* no passwd: numeric uids only */ }
    for (const u of opts.users) {
      if (/^\d+$/.test(u)) this.uids.add(Number(u));
      else if (passwd.has(u)) this.uids.add(passwd.get(u)!);
      else this.unknownUsers.push(u);
    }
  }

  /** Passes made over the socket table (one serves every check that waited for it). */
  get tablePasses(): number {
    return this.table.passes;
  }

  async check(peerAddr: string | undefined, peerPort: number | undefined, localAddr: string | undefined, localPort: number | undefined): Promise<PeerVerdict> {
    if (!peerAddr || peerPort === undefined || !localAddr || localPort === undefined) return { ok: false, kind: 'address', reason: 'peer address unknown' };
    const peer = plain(peerAddr);
    let a: { family: 4 | 6; bytes: Buffer };
    try {
      a = parseAddress(peer);
    } catch {
      return { ok: false, kind: 'address', reason: `peer address ${peerAddr} not understood` };
    }
    if (!this.nets.some((n) => inNet(n, a.family, a.bytes))) return { ok: false, kind: 'address', reason: `address ${peer} is not in --fpm-allow` };
    const row = await this.table.find(rowsWanted(peerAddr, peerPort, localAddr, localPort));
    if (row === 'busy') return { ok: false, kind: 'busy', reason: 'too many connections wait for the peer check' };
    // A peer on another host has no row here: its address decides. One on this host must show its row.
    if (row === undefined && !this.isThisHost(peer, plain(localAddr), a)) return { ok: true, kind: 'address', reason: 'allowed' };
    return judgeOwnerRow(row, this.uids);
  }

  /** The row of the local socket at peerAddr:peerPort connected to localAddr:localPort, as the table shows it now. */
  async socketRow(peerAddr: string, peerPort: number, localAddr: string, localPort: number): Promise<TcpRow | undefined> {
    const row = await this.table.find(rowsWanted(peerAddr, peerPort, localAddr, localPort));
    return row === 'busy' ? undefined : row;
  }

  private isThisHost(peer: string, local: string, a: { family: 4 | 6; bytes: Buffer }): boolean {
    if (isLoopback(a.family, a.bytes) || peer === local) return true;
    try {
      return this.localAddresses().some((x) => plain(x) === peer);
    } catch {
      return true; // cannot tell: fail closed
    }
  }
}

/** Where the connecting end's row may be: an IPv4 peer (also one shown as ::ffff:a.b.c.d) in either table. */
function rowsWanted(peerAddr: string, peerPort: number, localAddr: string, localPort: number): RowWanted[] {
  const peer = plain(peerAddr), local = plain(localAddr);
  if (isIPv6(peer)) return [{ file: '/proc/net/tcp6', local: procEndpoint(peer, peerPort), remote: procEndpoint(local, localPort) }];
  return [
    { file: '/proc/net/tcp', local: procEndpoint(peer, peerPort), remote: procEndpoint(local, localPort) },
    { file: '/proc/net/tcp6', local: procEndpoint(`::ffff:${peer}`, peerPort), remote: procEndpoint(`::ffff:${local}`, localPort) },
  ];
}

function hostAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((l) => (l ?? []).map((i) => i.address.split('%')[0]!));
}

/** Validates an --fpm-allow list (throws naming the bad entry). */
export function parseAllowList(entries: string[]): void {
  for (const e of entries) parseAllow(e);
}

function parseAllow(e: string): Net {
  try {
    const p = parsePrefix(e, { host: true });
    return { family: p.family, bytes: prefixBytes(p), len: p.len };
  } catch {
    throw new Error(`${JSON.stringify(e)} is not an address or prefix`);
  }
}

function plain(addr: string): string {
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}

function inNet(n: Net, family: 4 | 6, bytes: Buffer): boolean {
  if (n.family !== family) return false;
  for (let bit = 0; bit < n.len; bit++) {
    const m = 0x80 >> (bit & 7);
    if ((n.bytes[bit >> 3]! & m) !== (bytes[bit >> 3]! & m)) return false;
  }
  return true;
}

function isLoopback(family: 4 | 6, b: Buffer): boolean {
  if (family === 4) return b[0] === 127;
  return b.subarray(0, 15).every((x) => x === 0) && b[15] === 1;
}
