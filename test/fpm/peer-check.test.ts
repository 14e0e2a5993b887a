// Who may connect as zebra: the address against --fpm-allow, and a local socket's owner (read
// from /proc/net/tcp{,6}) against --fpm-user. Real sockets on loopback; a connection from
// another user is made by a child run as nobody (setpriv, as root).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { spawn, spawnSync } from 'node:child_process';
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

test('addresses: loopback by default, prefixes and single addresses, IPv4-mapped peers read as IPv4', () => {
  const c = new PeerCheck({ allow: ['127.0.0.0/8', '::1/128', '192.0.2.7'], users: ['0'], readFile: () => '' });
  assert.equal(c.check('203.0.113.9', 40000, '203.0.113.1', 2620).ok, false);
  assert.match(c.check('203.0.113.9', 40000, '203.0.113.1', 2620).reason, /not in --fpm-allow/);
  assert.equal(c.check('192.0.2.7', 40000, '192.0.2.1', 2620).ok, true, 'another host: the address decides');
  assert.equal(c.check('::ffff:192.0.2.7', 40000, '::ffff:192.0.2.1', 2620).ok, true);
  assert.match(c.check('127.0.0.1', 40000, '127.0.0.1', 2620).reason, /owner cannot be told/, 'loopback with no socket found is refused');
  assert.throws(() => parseAllowList(['10.0.0.0/33']), /not an address or prefix/);
});

test('the owner of a loopback connection is read from /proc/net/tcp and tcp6', async () => {
  for (const host of ['127.0.0.1', '::1']) {
    const l = await listen(host);
    const got = l.next();
    const { connect } = await import('node:net');
    const cl = connect(l.port, host);
    const s = await got;
    const me = process.getuid!();
    const c = new PeerCheck({ allow: ['127.0.0.0/8', '::1/128'], users: [String(me)] });
    assert.equal(c.ownerUid(s.remoteAddress!, s.remotePort!, s.localAddress!, s.localPort!), me, host);
    assert.deepEqual(c.check(s.remoteAddress, s.remotePort, s.localAddress, s.localPort), { ok: true, kind: 'owner', reason: 'allowed', uid: me });
    const other = new PeerCheck({ allow: ['127.0.0.0/8', '::1/128'], users: ['frr-nobody-such'] });
    assert.deepEqual(other.unknownUsers, ['frr-nobody-such']);
    if (me !== 0) assert.equal(other.check(s.remoteAddress, s.remotePort, s.localAddress, s.localPort).ok, false);
    cl.destroy();
    s.destroy();
    l.close();
  }
});

test('a connection from another user (setpriv --reuid=nobody) is refused by its owner', async (t) => {
  if (process.getuid!() !== 0 || spawnSync('setpriv', ['--version']).status !== 0) {
    // CI runs as root with util-linux: this must not pass silently elsewhere
    assert.fail('needs root and setpriv (util-linux) to connect as another user');
  }
  const l = await listen('127.0.0.1');
  const got = l.next();
  const child = spawn('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '-e',
    `const s=require('net').connect(${l.port},'127.0.0.1');s.on('error',()=>{})`], { stdio: 'ignore' });
  const s = await got;
  const c = new PeerCheck({ allow: ['127.0.0.0/8'], users: ['frr'] });
  const v = c.check(s.remoteAddress, s.remotePort, s.localAddress, s.localPort);
  assert.equal(v.ok, false);
  assert.match(v.reason, /belongs to uid \d+, not to --fpm-user/);
  assert.notEqual(v.uid, 0);
  s.destroy();
  child.kill();
  l.close();
  t.diagnostic(`refused: ${v.reason}`);
});
