// The simulator's FIB rules, driven with raw frames (layouts as in test/fixtures/README.md).
import { test, describe, before, after } from 'node:test';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VppSim, makePath, parsePrefix, SRC_API, SRC_CLI } from '../src/sim/index.js';
import { FrameReader, frame } from '../src/transport/frame.js';
import { encodeSockclntCreate, writeName } from '../src/client/handshake.js';

class Raw {
  private replies: Buffer[] = [];
  private waiters: (() => void)[] = [];
  index = 0;
  private ctx = 1;
  constructor(readonly sim: VppSim, readonly sock: net.Socket) {
    const r = new FrameReader((b, s, e) => {
      this.replies.push(Buffer.from(b.subarray(s, e)));
      this.waiters.shift()?.();
    });
    sock.on('data', (c: Buffer) => r.push(c));
  }
  static async open(sim: VppSim, path: string): Promise<Raw> {
    const sock = net.createConnection(path);
    await new Promise((r) => sock.once('connect', r));
    const raw = new Raw(sim, sock);
    sock.write(frame(encodeSockclntCreate(1, 'sim-test')));
    raw.index = (await raw.next()).readUInt32BE(14);
    return raw;
  }
  async next(): Promise<Buffer> {
    while (this.replies.length === 0) await new Promise<void>((r) => this.waiters.push(r));
    return this.replies.shift()!;
  }
  /** Sends message `key` with body bytes after client_index/context; returns the first reply. */
  async call(key: string, body: Buffer): Promise<Buffer> {
    const p = Buffer.alloc(10 + body.length);
    p.writeUInt16BE(this.sim.msgId(key)!, 0);
    p.writeUInt32BE(this.index, 2);
    p.writeUInt32BE(this.ctx++, 6);
    body.copy(p, 10);
    this.sock.write(frame(p));
    return this.next();
  }
  /** A dump followed by control_ping; returns the details. */
  async dump(key: string, body: Buffer): Promise<Buffer[]> {
    const ctx = this.ctx;
    const first = await this.call(key, body);
    const ping = Buffer.alloc(10);
    ping.writeUInt16BE(this.sim.msgId('control_ping_51077d14')!, 0);
    ping.writeUInt32BE(this.index, 2);
    ping.writeUInt32BE(ctx, 6);
    this.sock.write(frame(ping));
    const out = [first];
    for (;;) {
      const last = out[out.length - 1]!;
      if (last.readUInt16BE(0) === this.sim.msgId('control_ping_reply_f6b0b8ca')) return out.slice(0, -1);
      out.push(await this.next());
    }
  }
}

function routeBody(o: { add?: boolean; multipath?: boolean; table?: number; prefix: string; paths?: Buffer[]; src?: number }): Buffer {
  const paths = o.paths ?? [];
  const v2 = o.src !== undefined;
  const b = Buffer.alloc(29 + (v2 ? 1 : 0) + paths.length * 167);
  b[0] = o.add === false ? 0 : 1;
  b[1] = o.multipath ? 1 : 0;
  b.writeUInt32BE(o.table ?? 0, 2);
  const p = parsePrefix(o.prefix);
  b[10] = p.isIp6 ? 1 : 0;
  p.addr.copy(b, 11);
  b[27] = p.len;
  b[28] = paths.length;
  if (v2) b[29] = o.src!;
  paths.forEach((x, i) => x.copy(b, 29 + (v2 ? 1 : 0) + i * 167));
  return b;
}
const tableBody = (id: number, isIp6 = false, name = '') => {
  const b = Buffer.alloc(69);
  b.writeUInt32BE(id, 0);
  b[4] = isIp6 ? 1 : 0;
  writeName(b, 5, name);
  return b;
};
const nh = (a: string) => makePath({ swIfIndex: 1, nh: a });
const ADD = 'ip_route_add_del_b8ecfe0d';
const ADD2 = 'ip_route_add_del_v2_521ef330';
const rv = (b: Buffer) => b.readInt32BE(6);

describe('VppSim FIB rules', () => {
  let sim: VppSim;
  let raw: Raw;
  const path = join(tmpdir(), `vbt-sim-${process.pid}.sock`);
  before(async () => {
    sim = await new VppSim({ socketPath: path, interfaces: [{ swIfIndex: 1, name: 'loop0', flags: 3 }] }).start();
    raw = await Raw.open(sim, path);
  });
  after(async () => {
    raw.sock.destroy();
    await sim.stop();
  });

  test('a table must exist before its routes; table 0 exists from the start', async () => {
    assert.equal(rv(await raw.call(ADD, routeBody({ table: 5, prefix: '10.0.0.0/8', paths: [nh('192.0.2.2')] }))), -3);
    assert.equal(rv(await raw.call(ADD, routeBody({ prefix: '10.0.0.0/8', paths: [nh('192.0.2.2')] }))), 0);
    const tbl = Buffer.concat([Buffer.from([1]), tableBody(5)]);
    assert.equal(rv(await raw.call('ip_table_add_del_0ffdaec0', tbl)), 0);
    assert.equal(rv(await raw.call(ADD, routeBody({ table: 5, prefix: '10.0.0.0/8', paths: [nh('192.0.2.2')] }))), 0);
    assert.ok(sim.fib.get(5, '10.0.0.0/8'));
  });

  test('is_multipath adds and removes paths; is_multipath=0 replaces the set; delete of absent is 0', async () => {
    const pfx = '8.8.8.8/32';
    await raw.call(ADD, routeBody({ prefix: pfx, paths: [nh('192.0.2.2'), nh('192.0.2.3')] }));
    await raw.call(ADD, routeBody({ multipath: true, prefix: pfx, paths: [nh('192.0.2.4')] }));
    assert.equal(sim.fib.get(0, pfx)!.sources.get(SRC_API)!.length, 3);
    const r = await raw.call(ADD, routeBody({ add: false, multipath: true, prefix: pfx, paths: [nh('192.0.2.3')] }));
    assert.equal(r.readUInt32BE(10), 0xffffffff, 'stats ~0 after removing one path');
    assert.equal(sim.fib.get(0, pfx)!.sources.get(SRC_API)!.length, 2);
    await raw.call(ADD, routeBody({ prefix: pfx, paths: [nh('192.0.2.9')] }));
    assert.deepEqual(sim.fib.get(0, pfx)!.sources.get(SRC_API)!.map((p) => [...p.subarray(26, 30)].join('.')), ['192.0.2.9']);
    assert.equal(rv(await raw.call(ADD, routeBody({ add: false, prefix: pfx }))), 0);
    assert.equal(sim.fib.get(0, pfx), undefined);
    assert.equal(rv(await raw.call(ADD, routeBody({ add: false, prefix: pfx }))), 0);
    assert.equal(rv(await raw.call(ADD, routeBody({ add: false, multipath: true, prefix: pfx, paths: [nh('192.0.2.3')] }))), 0);
  });

  test('path values outside the enum and missing interfaces are refused, never fatal', async () => {
    for (const type of [3, 11, 0xffffffff]) {
      const p = makePath({ type, nh: '192.0.2.2' });
      assert.equal(rv(await raw.call(ADD, routeBody({ prefix: '10.66.0.0/16', paths: [p] }))), -7, `type ${type}`);
    }
    assert.equal(rv(await raw.call(ADD, routeBody({ prefix: '10.66.0.0/16', paths: [makePath({ swIfIndex: 99, nh: '192.0.2.2' })] }))), -54);
    assert.equal(sim.fib.get(0, '10.66.0.0/16'), undefined);
  });

  test('fib sources: new id per add from 23, dump lists built-ins, v2 dump filters by source, lowest priority wins', async () => {
    const body = (prio: number, name: string) => {
      const b = Buffer.alloc(66);
      b[0] = prio;
      writeName(b, 2, name);
      return b;
    };
    const a = await raw.call('fib_source_add_b3ac2aec', body(100, 'fibmgr'));
    const b = await raw.call('fib_source_add_b3ac2aec', body(100, 'fibmgr'));
    assert.deepEqual([a[10], b[10]], [23, 24]);
    const srcs = await raw.dump('fib_source_dump_51077d14', Buffer.alloc(0));
    assert.equal(srcs.length, 25);
    assert.deepEqual([srcs[8]![6], srcs[8]![7], srcs[9]![7]], [128, 8, 9]);
    await raw.call(ADD2, routeBody({ prefix: '10.44.0.0/16', paths: [nh('192.0.2.2')], src: 23 }));
    await raw.call(ADD2, routeBody({ prefix: '10.44.0.0/16', paths: [nh('192.0.2.3')], src: 0 }));
    sim.fib.add(0, '10.45.0.0/16', [nh('192.0.2.7')], SRC_CLI);
    const v2dump = (src: number) => {
      const q = Buffer.alloc(70);
      q[0] = src;
      return raw.dump('ip_route_v2_dump_d16f72e6', q);
    };
    const only23 = await v2dump(23);
    assert.equal(only23.length, 1);
    assert.equal(only23[0]![33], 23);
    const all = await v2dump(0);
    const e44 = all.find((d) => d.readUInt32BE(15) === 0x0a2c0000)!;
    assert.equal(e44[33], 23, 'priority 100 beats the API source (128)');
    assert.ok(all.some((d) => d[33] === SRC_CLI));
    assert.equal(sim.fib.countBySource().get(SRC_CLI), 1);
  });

  test('replace begin/end sweeps only the API routes not re-added', async () => {
    await raw.call(ADD, routeBody({ prefix: '10.50.0.0/16', paths: [nh('192.0.2.2')] }));
    await raw.call(ADD, routeBody({ prefix: '10.51.0.0/16', paths: [nh('192.0.2.2')] }));
    await raw.call(ADD2, routeBody({ prefix: '10.52.0.0/16', paths: [nh('192.0.2.2')], src: 23 }));
    assert.equal(rv(await raw.call('ip_table_replace_begin_b9d2e09e', tableBody(0))), 0);
    await raw.call(ADD, routeBody({ prefix: '10.50.0.0/16', paths: [nh('192.0.2.2')] }));
    assert.equal(rv(await raw.call('ip_table_replace_end_b9d2e09e', tableBody(0))), 0);
    assert.ok(sim.fib.get(0, '10.50.0.0/16'));
    assert.equal(sim.fib.get(0, '10.51.0.0/16'), undefined);
    assert.ok(sim.fib.get(0, '10.52.0.0/16'));
    assert.ok(sim.fib.get(0, '10.45.0.0/16'), 'the CLI route is not touched');
  });

  test('garbage requests with real message ids never break the simulator', async () => {
    const gpath = join(tmpdir(), `vbt-sim-garbage-${process.pid}.sock`);
    const g = await new VppSim({ socketPath: gpath, interfaces: [{ swIfIndex: 1, name: 'loop0' }] }).start();
    try {
      const handled = ['ip_route_add_del_b8ecfe0d', 'ip_route_add_del_v2_521ef330', 'ip_table_add_del_0ffdaec0', 'ip_route_dump_b9d2e09e',
        'ip_route_v2_dump_d16f72e6', 'ip_route_lookup_710d6471', 'ip_route_lookup_v2_710d6471', 'fib_source_add_b3ac2aec',
        'sw_interface_dump_aa610c27', 'sw_interface_set_flags_f5aec1b8', 'sw_interface_add_del_address_5463d73b',
        'ip_address_dump_2d033de4', 'create_loopback_instance_d36a3ee2', 'ip_table_replace_begin_b9d2e09e',
        'ip_table_replace_end_b9d2e09e', 'ip_table_flush_b9d2e09e', 'mpls_route_add_del_8e1d1e07', 'want_interface_events_476f5a08'];
      // Mostly messages the simulator handles, some it does not.
      const ids = [...handled.map((k) => g.msgId(k)!), ...handled.map((k) => g.msgId(k)!), ...[...g.messageTable.values()].slice(0, 18)];
      const runs = Math.min(2000, Number(process.env.VPP_BINAPI_FUZZ_RUNS ?? 300));
      const samples = fc.sample(fc.tuple(fc.constantFrom(...ids), fc.boolean(), fc.uint8Array({ maxLength: 400 }), fc.nat()), runs);
      const conn = await Raw.open(g, gpath);
      for (const [id, ours, body, cut] of samples) {
        const p = Buffer.alloc(10 + body.length);
        p.writeUInt16BE(id, 0);
        p.writeUInt32BE(ours ? conn.index : 7, 2);
        Buffer.from(body).copy(p, 10);
        if (!conn.sock.destroyed) conn.sock.write(frame(p.subarray(0, 2 + (cut % (p.length - 1)))));
      }
      await new Promise((r) => setTimeout(r, 50));
      conn.sock.destroy();
      assert.deepEqual(g.errors, []);
      // A new session still works.
      const fresh = await Raw.open(g, gpath);
      const reply = await fresh.call('control_ping_51077d14', Buffer.alloc(0));
      assert.equal(reply.readUInt16BE(0), g.msgId('control_ping_reply_f6b0b8ca'));
      fresh.sock.destroy();
    } finally {
      await g.stop();
    }
  });

  test('faults: reject by predicate, request counters, restart empty', async () => {
    sim.reject = (name, p) => (name === 'ip_route_add_del' && p[37] === 24 ? -126 : undefined);
    const r = await raw.call(ADD, routeBody({ prefix: '10.60.0.0/24', paths: [nh('192.0.2.2')] }));
    assert.equal(rv(r), -126);
    assert.equal(r.readUInt32BE(10), 0xffffffff);
    sim.reject = null;
    const before = sim.count('ip_route_add_del');
    const dels = sim.routeOps.del;
    await raw.call(ADD, routeBody({ add: false, prefix: '10.60.0.0/24' }));
    assert.equal(sim.count('ip_route_add_del'), before + 1);
    assert.equal(sim.routeOps.del, dels + 1);
    const closed = new Promise((res) => raw.sock.once('close', res));
    sim.restartEmpty();
    await closed;
    assert.equal(sim.fib.size, 0);
    assert.equal(sim.fib.sources.length, 23);
    assert.deepEqual([...sim.fib.tables.keys()].sort(), ['4:0', '6:0']);
    raw = await Raw.open(sim, path);
    assert.equal(raw.index, 0x80000001);
  });
});
