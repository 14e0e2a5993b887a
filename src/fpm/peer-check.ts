// Who may feed the FIB: a connection to the FPM port is zebra's only if its address is allowed
// (--fpm-allow, loopback by default) and, when it comes from this host, the socket on the other
// end belongs to zebra's user (--fpm-user, default frr; root too). Linux shows each TCP socket's
// owner uid in /proc/net/tcp and /proc/net/tcp6 (of the reader's network namespace), so the
// connecting end is found there by its address and port.
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { parseAddress, parsePrefix, prefixBytes } from '../route/prefix.js';

export interface PeerVerdict {
  ok: boolean;
  /** What was checked last: the address, or the connecting socket's owner (the refusal counter's label). */
  kind: 'address' | 'owner';
  /** Why not (logged), or 'allowed'. */
  reason: string;
  /** The owner of the connecting socket, when it is on this host. */
  uid?: number;
}

export interface PeerCheckOptions {
  /** Addresses or prefixes allowed to connect (IPv4-mapped IPv6 peers are read as IPv4). */
  allow: string[];
  /** User names or numeric uids whose local sockets may connect (root always may). */
  users: string[];
  /** Tests: where /proc/net/tcp{,6} and /etc/passwd are read from. */
  readFile?: (path: string) => string;
}

interface Net {
  family: 4 | 6;
  bytes: Buffer;
  len: number;
}

export class PeerCheck {
  private readonly nets: Net[];
  private readonly uids = new Set<number>([0]);
  private readonly read: (path: string) => string;
  /** User names that are not on this host (told once, at start). */
  readonly unknownUsers: string[] = [];

  constructor(opts: PeerCheckOptions) {
    this.read = opts.readFile ?? ((p) => readFileSync(p, 'utf8'));
    this.nets = opts.allow.map(parseAllow);
    const passwd = new Map<string, number>();
    try {
      for (const line of this.read('/etc/passwd').split('\n')) {
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

  check(peerAddr: string | undefined, peerPort: number | undefined, localAddr: string | undefined, localPort: number | undefined): PeerVerdict {
    if (!peerAddr || peerPort === undefined || !localAddr || localPort === undefined) return { ok: false, kind: 'address', reason: 'peer address unknown' };
    const peer = plain(peerAddr);
    let a: { family: 4 | 6; bytes: Buffer };
    try {
      a = parseAddress(peer);
    } catch {
      return { ok: false, kind: 'address', reason: `peer address ${peerAddr} not understood` };
    }
    if (!this.nets.some((n) => inNet(n, a.family, a.bytes))) return { ok: false, kind: 'address', reason: `address ${peer} is not in --fpm-allow` };
    const uid = this.ownerUid(peerAddr, peerPort, localAddr, localPort);
    if (uid === undefined) {
      if (isLoopback(a.family, a.bytes)) return { ok: false, kind: 'owner', reason: 'the connecting socket is not in /proc/net/tcp: its owner cannot be told' };
      return { ok: true, kind: 'address', reason: 'allowed' }; // another host: the address decides
    }
    if (!this.uids.has(uid)) return { ok: false, kind: 'owner', reason: `the connecting socket belongs to uid ${uid}, not to --fpm-user`, uid };
    return { ok: true, kind: 'owner', reason: 'allowed', uid };
  }

  /** The uid owning the local socket at peerAddr:peerPort connected to localAddr:localPort. */
  ownerUid(peerAddr: string, peerPort: number, localAddr: string, localPort: number): number | undefined {
    const peer = plain(peerAddr), local = plain(localAddr);
    const row = (p: string, l: string) => `${procAddr(p)}:${hex4(peerPort)} ${procAddr(l)}:${hex4(localPort)}`;
    // an IPv4 peer (also one an IPv6 socket shows as ::ffff:a.b.c.d) may sit in either table
    const v4 = !peer.includes(':');
    const wanted = v4 ? [['/proc/net/tcp', row(peer, local)], ['/proc/net/tcp6', row(`::ffff:${peer}`, `::ffff:${local}`)]] : [['/proc/net/tcp6', row(peer, local)]];
    for (const [file, key] of wanted) {
      let text: string;
      try {
        text = this.read(file!);
      } catch {
        continue;
      }
      for (const line of text.split('\n')) {
        const f = line.trim().split(/\s+/);
        if (f.length >= 8 && `${f[1]} ${f[2]}` === key) return Number(f[7]);
      }
    }
    return undefined;
  }
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

function hex4(port: number): string {
  return port.toString(16).toUpperCase().padStart(4, '0');
}

/** An address as /proc/net/tcp{,6} prints it: each 32-bit word in host (little-endian) order. */
function procAddr(addr: string): string {
  const b = Buffer.from(parseAddress(addr).bytes);
  if (endianness() === 'LE') b.swap32();
  return b.toString('hex').toUpperCase();
}
