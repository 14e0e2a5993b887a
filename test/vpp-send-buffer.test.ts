// The VPP socket's send buffer (src/vpp-send-buffer.ts): the system's default holds ~4 ms of
// VPP's route work, so VPP ran dry each time fibmgr's thread was busy longer (bench:real: VPP idle
// 1.1–2.7 s a 1.2M-route sync, 0.2–0.4 s with 4 MB). Set through perl on the shared socket, checked
// here by what the kernel says (ss) and by what the socket then takes from a peer that reads nothing.
// What the kernel grants depends on this process's CAP_NET_ADMIN and on net.core.wmem_max: the
// tests expect what this host allows, and the force path is tested wherever it can be.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PERL, sendBufferPreparer, setSendBuffer } from '../src/vpp-send-buffer.js';
import { startSimDaemon, until } from './helpers/daemon.js';
import { DEFAULTS } from '../src/config/options.js';
import { HEADER_SIZE, PATH_BYTES, routeRequestDef } from 'vpp-binapi-ts';
import { ip_route_add_del_v2 } from 'vpp-binapi-ts/gen';

const MB4 = 4 * 1024 * 1024;
let n = 0;

/** This process may pass net.core.wmem_max (CAP_NET_ADMIN, bit 12 of its effective capabilities). */
const CAN_FORCE = (BigInt(`0x${/^CapEff:\s*([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0'}`) & (1n << 12n)) !== 0n;
const WMEM_MAX = Number(readFileSync('/proc/sys/net/core/wmem_max', 'utf8'));
/** What the kernel gives this process for `bytes` (an even number): all of it, or twice wmem_max. */
const grantable = (bytes: number): number => (CAN_FORCE ? bytes : Math.min(bytes, 2 * WMEM_MAX));

/** Why these tests cannot run here (perl or ss missing), or null. */
const missing = !existsSync(PERL) ? `no ${PERL} (Debian's perl-base)` : spawnSync('ss', ['-V']).status !== 0 ? 'no ss (iproute2)' : null;
if (missing) console.error(`vpp-send-buffer.test.ts: SKIPPED, ${missing}`);

test('the default send buffer takes the default window of route requests (two paths each) from a peer that reads nothing', { timeout: 60_000, skip: missing ?? (grantable(DEFAULTS.vppSendBuffer) < DEFAULTS.vppSendBuffer ? `net.core.wmem_max ${WMEM_MAX} without CAP_NET_ADMIN` : false) }, async () => {
  const req = { is_add: true, table: 0, src: 1, prefix: { family: 6, len: 64, w0: 0, w1: 0, w2: 0, w3: 0 }, paths: new Uint8Array(2 * PATH_BYTES) };
  const bytes = HEADER_SIZE + routeRequestDef(ip_route_add_del_v2).size(req as any);
  assert.equal(bytes, 390, 'a two-path route request on the wire');
  const { client, close } = await silentPeer();
  try {
    assert.deepEqual(await setSendBuffer(client, DEFAULTS.vppSendBuffer), { bytes: DEFAULTS.vppSendBuffer, forced: CAN_FORCE });
    // in the writer's batches (a 16th of the window): a window the kernel does not take leaves
    // a write pending (the test's timeout), and VPP runs dry whenever fibmgr's thread is held up
    // for longer than what the kernel holds lasts
    const batch = Buffer.alloc((DEFAULTS.vppWindow / 16) * bytes);
    for (let i = 0; i < 16; i++) await writeAll(client, batch);
    assert.equal(client.writableLength, 0, 'all of it in the kernel');
  } finally {
    close();
  }
});

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

/**
 * Resolves when `sock` has handed `bytes` to the kernel (the write's callback: the event itself).
 * A kernel that does not take them leaves it pending: the test's own timeout fails it.
 */
function writeAll(sock: net.Socket, bytes: Buffer | string): Promise<void> {
  return new Promise<void>((resolve, reject) => sock.write(bytes, (err) => (err ? reject(err) : resolve())));
}

test('a 4 MB send buffer: the kernel holds it, and half of it goes out to a peer that reads nothing', { timeout: 60_000, skip: missing ?? false }, async () => {
  const { client, close } = await silentPeer();
  try {
    const r = await setSendBuffer(client, MB4);
    assert.deepEqual(r, { bytes: grantable(MB4), forced: CAN_FORCE });
    const mine = unixSockets(process.pid).filter((s) => s.sndbuf === grantable(MB4));
    assert.equal(mine.length, 1, 'one socket of this process has the buffer: the client');
    // with the default (208 KB) this write would wait for the peer to read; here the kernel takes
    // it all (half the buffer: written in large pieces it takes nearly the whole, as the window's
    // test above shows)
    await writeAll(client, Buffer.alloc(grantable(MB4) / 2));
  } finally {
    close();
  }
});

test('past net.core.wmem_max: granted with CAP_NET_ADMIN (SO_SNDBUFFORCE), capped at twice it without', { skip: missing ?? false }, async () => {
  const { client, close } = await silentPeer();
  try {
    const want = 4 * WMEM_MAX; // whatever this host's wmem_max, beyond what SO_SNDBUF may give
    assert.deepEqual(await setSendBuffer(client, want), CAN_FORCE ? { bytes: want, forced: true } : { bytes: 2 * WMEM_MAX, forced: false });
  } finally {
    close();
  }
});

test('the socket is still read afterwards (a socket handed to spawn() itself would not be)', { skip: missing ?? false }, async () => {
  const { client, peer, close } = await silentPeer();
  try {
    assert.ok('bytes' in (await setSendBuffer(client, MB4)));
    const got = new Promise<string>((r) => client.once('data', (c) => r(c.toString())));
    (await peer()).write('reply');
    assert.equal(await got, 'reply');
  } finally {
    close();
  }
});

test('no perl, or a size out of range: a clear error, and the socket goes on as it was', { timeout: 60_000, skip: missing ?? false }, async () => {
  const { client, close } = await silentPeer();
  try {
    const r = await setSendBuffer(client, MB4, '/nonexistent/perl');
    assert.ok('error' in r && /\/nonexistent\/perl.*ENOENT/.test(r.error), JSON.stringify(r));
    for (const bad of [1, 4096, 2 ** 32, 1e21, Number.NaN]) {
      const e = await setSendBuffer(client, bad);
      assert.ok('error' in e && /not a size from 65536 to 1073741824/.test(e.error), `${bad}: ${JSON.stringify(e)}`);
    }
    assert.equal(client.destroyed, false);
    await writeAll(client, 'still here');
  } finally {
    close();
  }
});

test('an odd size is rounded up, not down (the kernel doubles half of it)', { skip: missing ?? false }, async () => {
  const { client, close } = await silentPeer();
  try {
    const r = await setSendBuffer(client, 1_000_001);
    assert.ok('bytes' in r && r.bytes === grantable(1_000_002), JSON.stringify(r));
  } finally {
    close();
  }
});

test('the daemon\'s preparer: 0 leaves the default; a failure or a cap warns, saying what would fix it', { skip: missing ?? false }, async () => {
  const logged: [string, string, Record<string, unknown>][] = [];
  const log = { info: (o: object, m: string) => logged.push(['info', m, o as Record<string, unknown>]), warn: (o: object, m: string) => logged.push(['warn', m, o as Record<string, unknown>]) };
  assert.equal(sendBufferPreparer(0, log), undefined);
  const { client, close } = await silentPeer();
  try {
    await sendBufferPreparer(MB4, log, '/nonexistent/perl')!(client);
    assert.equal(logged.length, 1);
    assert.equal(logged[0]![0], 'warn');
    assert.match(logged[0]![1], /send buffer left at the system default/);
    await sendBufferPreparer(MB4, log)!(client);
    if (grantable(MB4) === MB4) assert.deepEqual(logged[1], ['info', 'vpp socket: send buffer set', { bytes: MB4, forced: CAN_FORCE }]);
    else {
      assert.equal(logged[1]![0], 'warn');
      assert.match(logged[1]![1], /net.core.wmem_max caps it .*raise it to needWmemMax/);
      assert.deepEqual(logged[1]![2], { wanted: MB4, bytes: 2 * WMEM_MAX, wmemMax: WMEM_MAX, needWmemMax: MB4 / 2 });
    }
    // past what this host grants without the capability: the cap is named whenever it applies
    if (!CAN_FORCE) return;
    const over = 4 * WMEM_MAX;
    await sendBufferPreparer(over, log)!(client);
    assert.deepEqual(logged[2], ['info', 'vpp socket: send buffer set', { bytes: over, forced: true }]);
  } finally {
    close();
  }
});

test('the daemon sets it on its route connection to VPP', { timeout: 60_000, skip: missing ?? false }, async () => {
  const { sim, d, socketPath } = await startSimDaemon('sndbuf');
  try {
    await d.waitLog('listening for zebra FPM');
    // the default --vpp-send-buffer (16 MB: a whole default window of requests)
    const want = grantable(DEFAULTS.vppSendBuffer);
    if (want === DEFAULTS.vppSendBuffer) assert.equal((await d.waitLog('vpp socket: send buffer set')).bytes, DEFAULTS.vppSendBuffer);
    else assert.equal((await d.waitLog('vpp socket: send buffer smaller than asked: net.core.wmem_max caps it (fibmgr has no CAP_NET_ADMIN); raise it to needWmemMax (deploy/60-fibmgr-sysctl.conf)')).bytes, want);
    let big: ReturnType<typeof unixSockets> = [];
    await until('the daemon\'s socket with the buffer', () => (big = unixSockets(d.proc.pid!).filter((s) => s.sndbuf === want)).length > 0);
    assert.equal(big.length, 1, JSON.stringify(unixSockets(d.proc.pid!)));
    // its peer is the simulator's end of a connection to the VPP socket
    const simEnds = unixSockets(process.pid).filter((s) => s.inode === big[0]!.peer);
    assert.deepEqual(simEnds.map((s) => s.path), [socketPath]);
  } finally {
    await d.stop();
    await sim.stop();
  }
});
