// The VPP socket's send buffer (src/vpp-send-buffer.ts): the system's default holds ~10 ms of
// VPP's route work, so VPP ran dry each time fibmgr's thread was busy longer (bench:real: VPP idle
// 1.1–2.7 s a 1.2M-route sync, 0.3 s with 4 MB). Set through perl on the shared socket, checked
// here by what the kernel says (ss) and by what the socket then takes from a peer that reads nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sendBufferPreparer, setSendBuffer } from '../src/vpp-send-buffer.js';
import { startSimDaemon, until } from './helpers/daemon.js';

const MB4 = 4 * 1024 * 1024;
let n = 0;

/** What the kernel can give a process of this user: root passes net.core.wmem_max (SO_SNDBUFFORCE). */
function grantable(bytes: number): number {
  if (process.getuid?.() === 0) return bytes;
  return Math.min(bytes, 2 * Number(readFileSync('/proc/sys/net/core/wmem_max', 'utf8')));
}

/** Each unix stream socket of process `pid` (ss -xmp): its inode, its peer's, its local path, its send buffer (tb). */
function unixSockets(pid: number): { inode: number; peer: number; path: string; sndbuf: number }[] {
  const out: { inode: number; peer: number; path: string; sndbuf: number }[] = [];
  for (const line of execFileSync('ss', ['-xmpH'], { encoding: 'utf8' }).split('\n')) {
    if (!line.includes(`pid=${pid},`)) continue;
    // u_str ESTAB 0 0 PATH INODE PEERPATH PEERINODE users:(...) skmem:(...,tbN,...)
    const f = line.trim().split(/\s+/);
    const tb = /\btb(\d+)/.exec(line);
    out.push({ path: f[4]!, inode: Number(f[5]), peer: Number(f[7]), sndbuf: tb ? Number(tb[1]) : -1 });
  }
  return out;
}

/** A unix server whose connections read nothing, and a client connected to it. */
async function silentPeer(): Promise<{ client: net.Socket; peer(): Promise<net.Socket>; close(): void }> {
  const path = join(tmpdir(), `fibmgr-sndbuf-${process.pid}-${n++}.sock`);
  const held: net.Socket[] = [];
  const srv = net.createServer((c) => { c.pause(); held.push(c); });
  await new Promise<void>((r) => srv.listen(path, () => r()));
  const client = net.connect(path);
  await new Promise<void>((r, j) => { client.once('connect', () => r()); client.once('error', j); });
  return {
    client,
    async peer() {
      while (held.length === 0) await new Promise((r) => setImmediate(r));
      return held[0]!;
    },
    close() {
      client.destroy();
      for (const c of held) c.destroy();
      srv.close();
      rmSync(path, { force: true });
    },
  };
}

test('a 4 MB send buffer: the kernel holds it, and 2 MB go out to a peer that reads nothing', async () => {
  const { client, close } = await silentPeer();
  try {
    const r = await setSendBuffer(client, MB4);
    assert.deepEqual(r, { bytes: grantable(MB4) });
    const mine = unixSockets(process.pid).filter((s) => s.sndbuf === grantable(MB4));
    assert.equal(mine.length, 1, 'one socket of this process has the buffer: the client');
    // with the default (208 KB) this write would wait for the peer to read; here the kernel takes
    // it all (half the buffer: the rest is the kernel's own accounting)
    await new Promise<void>((resolve, reject) => client.write(Buffer.alloc(grantable(MB4) / 2), (err) => (err ? reject(err) : resolve())));
  } finally {
    close();
  }
});

test('the socket is still read afterwards (a socket handed to spawn() itself would not be)', async () => {
  const { client, peer, close } = await silentPeer();
  try {
    assert.deepEqual(await setSendBuffer(client, MB4), { bytes: grantable(MB4) });
    const got = new Promise<string>((r) => client.once('data', (c) => r(c.toString())));
    (await peer()).write('reply');
    assert.equal(await got, 'reply');
  } finally {
    close();
  }
});

test('no perl: a clear error, and the socket goes on as it was', async () => {
  const { client, close } = await silentPeer();
  try {
    const r = await setSendBuffer(client, MB4, '/nonexistent/perl');
    assert.ok('error' in r && /\/nonexistent\/perl.*ENOENT/.test(r.error), JSON.stringify(r));
    assert.equal(client.destroyed, false);
    await new Promise<void>((resolve, reject) => client.write('still here', (err) => (err ? reject(err) : resolve())));
  } finally {
    close();
  }
});

test('the daemon\'s preparer: 0 leaves the default, a failure warns and lets the session go on', async () => {
  const logged: [string, string, object][] = [];
  const log = { info: (o: object, m: string) => logged.push(['info', m, o]), warn: (o: object, m: string) => logged.push(['warn', m, o]) };
  assert.equal(sendBufferPreparer(0, log), undefined);
  const { client, close } = await silentPeer();
  try {
    await sendBufferPreparer(MB4, log, '/nonexistent/perl')!(client);
    assert.equal(logged.length, 1);
    assert.equal(logged[0]![0], 'warn');
    assert.match(logged[0]![1], /send buffer left at the system default/);
    await sendBufferPreparer(MB4, log)!(client);
    assert.deepEqual(logged[1], process.getuid?.() === 0 || grantable(MB4) === MB4
      ? ['info', 'vpp socket: send buffer set', { bytes: MB4 }]
      : ['warn', 'vpp socket: send buffer smaller than asked (capped by net.core.wmem_max; root can pass it)', { wanted: MB4, bytes: grantable(MB4) }]);
  } finally {
    close();
  }
});

test('the daemon sets it on its route connection to VPP, not on the others', { timeout: 60_000 }, async () => {
  const { sim, d } = await startSimDaemon('sndbuf', ['--audit-interval', '0']);
  try {
    await d.waitLog('listening for zebra FPM');
    const set = await d.waitLog('vpp socket: send buffer set');
    assert.equal(set.bytes, MB4);
    const simPath = (sim as unknown as { opts: { socketPath: string } }).opts?.socketPath;
    let big: ReturnType<typeof unixSockets> = [];
    await until('the daemon\'s socket with the buffer', () => (big = unixSockets(d.proc.pid!).filter((s) => s.sndbuf === MB4)).length > 0);
    assert.equal(big.length, 1, JSON.stringify(unixSockets(d.proc.pid!)));
    // its peer is the simulator's end of a connection to the VPP socket
    const simEnds = unixSockets(process.pid).filter((s) => s.inode === big[0]!.peer);
    assert.equal(simEnds.length, 1);
    if (simPath) assert.equal(simEnds[0]!.path, simPath);
  } finally {
    await d.stop();
    await sim.stop();
  }
});
