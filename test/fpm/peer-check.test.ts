// Who may connect as zebra: the address against --fpm-allow, and a local socket's owner (read
// from /proc/net/tcp{,6}) against --fpm-user. Only an ESTABLISHED row still held by a process
// tells an owner: a client that wrote and closed leaves FIN_WAIT / TIME_WAIT rows the kernel
// prints with uid 0 and inode 0, which must never read as root. Real sockets on loopback; a
// connection from another user is made by a child run as nobody (setpriv, as root).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { endianness } from 'node:os';
import { PeerCheck, parseAllowList } from '../../src/fpm/peer-check.js';

async function listen(host: string): Promise<{ port: number; next: () => Promise<Socket>; close: () => void }> {
  const waiting: ((s: Socket) => void)[] = [];
  const srv = createServer((s) => waiting.shift()?.(s));
  await new Promise<void>((r) => srv.listen(0, host, () => r()));
  return {
    port: (srv.address() as { port: number }).port,
    next: () => new Promise((r) => waiting.push(r)),
    close: () => srv.close(),
  };
}

/** An endpoint as /proc/net/tcp prints it (written here, not taken from the code under test). */
function hex(addr: string, port: number): string {
  let b: Buffer;
  if (addr.includes(':')) {
    // enough of IPv6 for the addresses below: ::1 and ::ffff:a.b.c.d
    b = Buffer.alloc(16);
    if (addr === '::1') b[15] = 1;
    else { b[10] = 0xff; b[11] = 0xff; addr.slice(7).split('.').forEach((x, i) => { b[12 + i] = Number(x); }); }
  } else b = Buffer.from(addr.split('.').map(Number));
  if (endianness() === 'LE') b.swap32();
  return `${b.toString('hex').toUpperCase()}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** A table holding one row for the connecting end `peer:40000` → `local:2620`. */
function table(peer: string, local: string, state: string, uid: number, inode: number): string {
  return '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
    `   0: ${hex(local, 2620)} 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0\n` +
    `   1: ${hex(peer, 40000)} ${hex(local, 2620)} ${state} 00000000:00000000 00:00000000 00000000 ${String(uid).padStart(5)}        0 ${inode} 1 0000000000000000 20 4 30 10 -1\n`;
}

function checker(tcp: string, tcp6 = '', users = ['frr']) {
  const files: Record<string, string> = { '/proc/net/tcp': tcp, '/proc/net/tcp6': tcp6, '/etc/passwd': 'frr:x:101:101::/:/bin/false\n' };
  return new PeerCheck({ allow: ['127.0.0.0/8', '::1/128', '10.0.0.0/8'], users, readFile: (p) => files[p] ?? '', localAddresses: () => ['10.1.1.1'] });
}

test('addresses: loopback by default, prefixes and single addresses, IPv4-mapped peers read as IPv4', async () => {
  const c = new PeerCheck({ allow: ['127.0.0.0/8', '::1/128', '192.0.2.7'], users: ['0'], readFile: () => '', localAddresses: () => [] });
  assert.equal((await c.check('203.0.113.9', 40000, '203.0.113.1', 2620)).ok, false);
  assert.match((await c.check('203.0.113.9', 40000, '203.0.113.1', 2620)).reason, /not in --fpm-allow/);
  assert.equal((await c.check('192.0.2.7', 40000, '192.0.2.1', 2620)).ok, true, 'another host: the address decides');
  assert.equal((await c.check('::ffff:192.0.2.7', 40000, '::ffff:192.0.2.1', 2620)).ok, true);
  assert.match((await c.check('127.0.0.1', 40000, '127.0.0.1', 2620)).reason, /owner cannot be told/, 'loopback with no socket found is refused');
  assert.throws(() => parseAllowList(['10.0.0.0/33']), /not an address or prefix/);
});

test('the row decides only when ESTABLISHED and held by a process: TIME_WAIT, FIN_WAIT, CLOSE_WAIT, inode 0 are refused', async () => {
  const cases: [state: string, uid: number, inode: number, ok: boolean, why: RegExp][] = [
    ['01', 101, 55501, true, /allowed/],
    ['01', 0, 55502, true, /allowed/], // root's own live socket
    ['06', 0, 0, false, /TIME_WAIT, not ESTABLISHED/],
    ['04', 0, 0, false, /FIN_WAIT1, not ESTABLISHED/],
    ['05', 0, 0, false, /FIN_WAIT2, not ESTABLISHED/],
    ['08', 101, 55503, false, /CLOSE_WAIT, not ESTABLISHED/],
    ['0B', 0, 0, false, /CLOSING, not ESTABLISHED/],
    ['01', 0, 0, false, /held by no process \(inode 0\)/],
    ['01', 65534, 55504, false, /belongs to uid 65534, not to --fpm-user/],
  ];
  for (const [state, uid, inode, ok, why] of cases) {
    for (const [peer, local, v6] of [['127.0.0.1', '127.0.0.1', false], ['::1', '::1', true], ['127.0.0.1', '127.0.0.1', true]] as const) {
      // an IPv4 client of a dual-stack listener shows in tcp6 as ::ffff:a.b.c.d
      const rowPeer = v6 && !peer.includes(':') ? `::ffff:${peer}` : peer, rowLocal = v6 && !local.includes(':') ? `::ffff:${local}` : local;
      const t = table(rowPeer, rowLocal, state, uid, inode);
      const c = v6 ? checker('', t) : checker(t, '');
      const v = await c.check(v6 && !peer.includes(':') ? `::ffff:${peer}` : peer, 40000, v6 && !local.includes(':') ? `::ffff:${local}` : local, 2620);
      assert.equal(v.ok, ok, `state ${state} uid ${uid} inode ${inode} (${peer}, tcp${v6 ? '6' : ''}): ${v.reason}`);
      assert.match(v.reason, why);
    }
  }
  // another connection's row (other port) tells nothing about this one
  const other = table('127.0.0.1', '127.0.0.1', '01', 101, 1).replace(hex('127.0.0.1', 40000), hex('127.0.0.1', 40001));
  assert.match((await checker(other).check('127.0.0.1', 40000, '127.0.0.1', 2620)).reason, /not in \/proc\/net\/tcp/);
});

test('a peer on one of this host\'s own addresses must show its row: none found is a refusal, not "another host"', async () => {
  const c = checker('');
  const v = await c.check('10.1.1.1', 40000, '10.9.9.9', 2620);
  assert.equal(v.ok, false);
  assert.match(v.reason, /not in \/proc\/net\/tcp/);
  assert.equal((await c.check('10.2.2.2', 40000, '10.9.9.9', 2620)).ok, true, 'another host: the address decides');
});

test('many checks at once: one pass over the table serves them; past the bound they are refused as busy', async () => {
  let reads = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const c = new PeerCheck({
    allow: ['127.0.0.0/8'], users: ['0'], maxWaiting: 5, localAddresses: () => [],
    readFile: (p) => (p === '/etc/passwd' ? '' : (reads++, gate.then(() => table('127.0.0.1', '127.0.0.1', '01', 0, 7)))) as unknown as string,
  });
  const first = c.check('127.0.0.1', 40000, '127.0.0.1', 2620); // starts a pass, which waits on the gate
  const queued = Array.from({ length: 5 }, () => c.check('127.0.0.1', 40000, '127.0.0.1', 2620));
  const over = await c.check('127.0.0.1', 40000, '127.0.0.1', 2620);
  assert.deepEqual([over.ok, over.kind], [false, 'busy']);
  release();
  const all = await Promise.all([first, ...queued]);
  assert.ok(all.every((v) => v.ok), JSON.stringify(all));
  assert.equal(c.tablePasses, 2, 'the first pass, then one for all that waited during it');
});

function asNobody(script: string): ChildProcess {
  return spawn('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '-e', script], { stdio: 'ignore' });
}

function needRootAndSetpriv(): void {
  // CI runs as root with util-linux: this must not pass silently elsewhere
  if (process.getuid!() !== 0 || spawnSync('setpriv', ['--version']).status !== 0) assert.fail('needs root and setpriv (util-linux) to connect as another user');
}

test('the owner of a loopback connection is read from /proc/net/tcp and tcp6: allowed for its user, refused for another (nobody)', async () => {
  needRootAndSetpriv();
  const me = process.getuid!();
  const nobody = Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim());
  for (const host of ['127.0.0.1', '::1']) {
    const l = await listen(host);
    // this process's own connection: its owner is me
    const got = l.next();
    const cl = connect(l.port, host);
    const s = await got;
    const c = new PeerCheck({ allow: ['127.0.0.0/8', '::1/128'], users: [String(me)] });
    const row = await c.socketRow(s.remoteAddress!, s.remotePort!, s.localAddress!, s.localPort!);
    assert.equal(row?.uid, me, host);
    assert.deepEqual(await c.check(s.remoteAddress, s.remotePort, s.localAddress, s.localPort), { ok: true, kind: 'owner', reason: 'allowed', uid: me, inode: row!.inode });
    const other = new PeerCheck({ allow: ['127.0.0.0/8', '::1/128'], users: ['frr-nobody-such'] });
    assert.deepEqual(other.unknownUsers, ['frr-nobody-such']);
    cl.destroy();
    s.destroy();
    // a connection made by nobody: its row says so, and only root and --fpm-user may connect
    const gotN = l.next();
    const child = asNobody(`const s=require('net').connect(${l.port},'${host}');s.on('error',()=>{})`);
    const n = await gotN;
    const v = await other.check(n.remoteAddress, n.remotePort, n.localAddress, n.localPort);
    assert.deepEqual(v, { ok: false, kind: 'owner', reason: `the connecting socket belongs to uid ${nobody}, not to --fpm-user`, uid: nobody }, host);
    n.destroy();
    child.kill();
    l.close();
  }
});

test('a client that wrote and closed before the check ran (FIN_WAIT, uid 0 in /proc) is refused, not taken for root', async () => {
  needRootAndSetpriv();
  for (const host of ['127.0.0.1', '::1']) {
    const l = await listen(host);
    const got = l.next();
    const child = asNobody(`const s=require('net').connect(${l.port},'${host}',()=>s.end(Buffer.from([1,1,0,4]),()=>process.exit(0)));s.on('error',()=>{})`);
    const exited = once(child, 'exit');
    const s = await got;
    try {
      const ends = [s.remoteAddress!, s.remotePort!, s.localAddress!, s.localPort!] as const;
      // the check runs late, as under a busy event loop: the client has written, closed and gone
      s.resume();
      await Promise.all([once(s, 'end'), exited]);
      const c = new PeerCheck({ allow: ['127.0.0.0/8', '::1/128'], users: ['frr'] });
      const v = await c.check(...ends);
      assert.equal(v.ok, false, `${host}: ${v.reason}`);
      assert.match(v.reason, /not ESTABLISHED/);
      const row = await c.socketRow(...ends);
      assert.ok(row && row.state !== 1 && row.uid === 0 && row.inode === 0, `the kernel shows the closed client as uid 0, inode 0: ${JSON.stringify(row)}`);
    } finally {
      s.destroy();
      child.kill();
      l.close();
    }
  }
});
