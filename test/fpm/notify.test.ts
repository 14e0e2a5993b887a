// Route notifications on the wire: the frame zebra's dplane_fpm_nl reads (one netlink message per
// FPM frame, NLM_F_REQUEST, rtm_flags, table and protocol echoed), and the FPM server sending them
// on a real socket to sessions that show they are dplane_fpm_nl, and only to those.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { FpmServer, type OffloadNotify } from '../../src/fpm/server.js';
import { FpmSessionDecoder } from '../../src/fpm/session-decoder.js';
import { createLogger } from '../../src/log.js';
import { MAX_NOTIFICATION_LEN, NLM_F_REQUEST, RTM_F_OFFLOAD, RTM_F_OFFLOAD_FAILED, writeRouteNotification } from '../../src/fpm/netlink/notify.js';
import { decodeAll } from './decode-all.js';
import type { RouteReporter, RouteSink } from '../../src/route/sink.js';
import type { RouteEvent, RouteEventRoute } from '../../src/route/types.js';
import { parsePrefix, v4Prefix } from '../../src/route/prefix.js';

const FIXTURES = new URL('../fixtures/fpm/', import.meta.url);
const fixture = (name: string): Buffer => readFileSync(new URL(`${name}.bin`, FIXTURES));

/** The frames of a byte stream: [fpm type, netlink messages in it, nlmsg_flags, rtm_flags]. */
function frames(buf: Buffer): { type: number; messages: number; nlFlags: number; rtmFlags: number; len: number }[] {
  const out = [];
  for (let p = 0; p < buf.length; ) {
    const len = buf.readUInt16BE(p + 2);
    let messages = 0;
    for (let q = p + 4; q < p + len; q += (buf.readUInt32LE(q) + 3) & ~3) messages++;
    out.push({ type: buf[p + 1]!, messages, nlFlags: buf.readUInt16LE(p + 4 + 6), rtmFlags: buf.readUInt32LE(p + 4 + 16 + 8), len });
    p += len;
  }
  return out;
}

test('a notification is one RTM_NEWROUTE with NLM_F_REQUEST per frame, zebra\'s destination, table, protocol and type echoed', () => {
  const buf = Buffer.alloc(4 * MAX_NOTIFICATION_LEN);
  let p = writeRouteNotification(buf, 0, parsePrefix('8.8.8.8/32'), 254, 196, 1, RTM_F_OFFLOAD);
  p = writeRouteNotification(buf, p, parsePrefix('2001:db8:100::/48'), 1000, 186, 1, RTM_F_OFFLOAD_FAILED);
  p = writeRouteNotification(buf, p, parsePrefix('0.0.0.0/0'), 100, 2, 6, RTM_F_OFFLOAD);
  p = writeRouteNotification(buf, p, parsePrefix('255.255.255.0/24'), 255, 11, 7, RTM_F_OFFLOAD);
  const stream = buf.subarray(0, p);
  const f = frames(stream);
  assert.deepEqual(f.map((x) => [x.type, x.messages, x.nlFlags, x.rtmFlags]), [
    [1, 1, NLM_F_REQUEST, RTM_F_OFFLOAD], [1, 1, NLM_F_REQUEST, RTM_F_OFFLOAD_FAILED], [1, 1, NLM_F_REQUEST, RTM_F_OFFLOAD], [1, 1, NLM_F_REQUEST, RTM_F_OFFLOAD],
  ]);
  assert.ok(f.every((x) => x.len <= MAX_NOTIFICATION_LEN));
  // read back by our own decoder, as zebra reads it: family, prefix, table (RTA_TABLE past 255), protocol, type
  const { events, decoder } = decodeAll(stream);
  assert.equal(decoder.stats.errors, 0);
  assert.deepEqual(events.map((e) => { const r = e as RouteEventRoute; return [r.op, r.family, String(r.prefix), r.table, r.protocolId, r.type]; }), [
    ['add', 4, '8.8.8.8/32', 254, 196, 'unicast'],
    ['add', 6, '2001:db8:100::/48', 1000, 186, 'unicast'],
    ['add', 4, '0.0.0.0/0', 100, 2, 'blackhole'],
    ['add', 4, '255.255.255.0/24', 255, 11, 'unreachable'],
  ]);
  // a table that fits rtm_table is echoed there without RTA_TABLE, as zebra writes it
  assert.equal(stream[4 + 16 + 4], 254);
  assert.equal(f[0]!.len, 4 + 16 + 12 + 8);
  assert.equal(stream[f[0]!.len + 4 + 16 + 4], 0, 'table 1000: rtm_table 0 and RTA_TABLE');
});

test('a source-specific route\'s notification names its source (rtm_src_len, RTA_SRC): zebra looks IPv6 routes up by both', () => {
  const buf = Buffer.alloc(MAX_NOTIFICATION_LEN);
  const src = parsePrefix('2001:db8:5::/48');
  const p = writeRouteNotification(buf, 0, parsePrefix('2001:db8:100::/48'), 1000, 196, 1, RTM_F_OFFLOAD_FAILED, src);
  assert.ok(p <= MAX_NOTIFICATION_LEN);
  const { events } = decodeAll(buf.subarray(0, p));
  assert.deepEqual(events.map((e) => e.kind === 'error' && [e.what, String(e.route?.prefix), String(e.route?.src), e.route?.table]), [['source-specific', '2001:db8:100::/48', '2001:db8:5::/48', 1000]]);
});

/** Reports every route event back as installed, as the reconciler would once VPP holds it. */
class EchoSink implements RouteSink {
  congested = false;
  reporter: RouteReporter | null = null;
  attached: number[] = [];
  sessionStart(): void {}
  sessionEnd(): void {}
  apply(_id: number, events: RouteEvent[]): void {
    for (const e of events) {
      if (e.kind !== 'route' || e.op !== 'add' || !this.reporter) continue;
      this.reporter.report(e.prefix, e.table, e.protocolId ?? 0, e.type, true);
    }
  }
  onDrain(): void {}
  attachReporter(id: number, reporter: RouteReporter): void {
    this.attached.push(id);
    this.reporter = reporter;
  }
}

const servers: FpmServer[] = [];
after(async () => { for (const s of servers) await s.close(); });

async function session(notify: OffloadNotify, stream: Buffer): Promise<{ sink: EchoSink; back: Buffer; sock: Socket }> {
  const sink = new EchoSink();
  const server = new FpmServer({ host: '127.0.0.1', port: 0, decoder: () => new FpmSessionDecoder(), sink, logger: createLogger('silent'), notify });
  servers.push(server);
  const { port } = await server.listen();
  const sock = connect(port, '127.0.0.1');
  await once(sock, 'connect');
  const chunks: Buffer[] = [];
  sock.on('data', (c: Buffer) => chunks.push(c));
  sock.write(stream);
  const want = decodeAll(stream).events.filter((e) => e.kind === 'route' && e.op === 'add').length;
  // wait for the echo of every add, or (notifications off) for the session to have read it all
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const got = frames(Buffer.concat(chunks)).length;
    if (got >= want && (notify === 'off' || sink.reporter)) break;
    if (notify !== 'on' && server.stats.session && server.stats.session.bytes >= stream.length && !sink.reporter) break;
    await new Promise((r) => setImmediate(r));
  }
  return { sink, back: Buffer.concat(chunks), sock };
}

test('dplane_fpm_nl sessions get a notification per route on their own socket (auto)', async () => {
  const stream = fixture('static-nhg');
  const { sink, back, sock } = await session('auto', stream);
  const adds = decodeAll(stream).events.filter((e): e is RouteEventRoute => e.kind === 'route' && e.op === 'add');
  assert.deepEqual(sink.attached, [1]);
  const echoed = decodeAll(back).events as RouteEventRoute[];
  assert.deepEqual(echoed.map((e) => `${e.table} ${e.prefix} ${e.protocolId}`).sort(), adds.map((e) => `${e.table} ${e.prefix} ${e.protocolId}`).sort());
  assert.ok(frames(back).every((f) => f.messages === 1 && f.nlFlags === NLM_F_REQUEST && f.rtmFlags === RTM_F_OFFLOAD));
  sock.destroy();
});

test('the legacy module gets none in auto (it reads nothing back), but does with --offload-notify on; off sends none', async () => {
  const legacy = fixture('legacy-fpm');
  const a = await session('auto', legacy);
  assert.deepEqual(a.sink.attached, [], 'auto: a legacy session is not told');
  assert.equal(a.back.length, 0);
  a.sock.destroy();
  const on = await session('on', legacy);
  assert.deepEqual(on.sink.attached, [1]);
  assert.ok(frames(on.back).length > 0);
  on.sock.destroy();
  const off = await session('off', fixture('static-nhg'));
  assert.deepEqual(off.sink.attached, []);
  assert.equal(off.back.length, 0);
  off.sock.destroy();
});

test('NotifyWriter: notifications of several turns share one write, and writes share one 64 KB chunk until it fills', async (t) => {
  const { NotifyWriter } = await import('../../src/fpm/notify-writer.js');
  const { EventEmitter } = await import('node:events');
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const written: Buffer[] = [];
  const sock = Object.assign(new EventEmitter(), { destroyed: false, writableLength: 0, write: (b: Buffer) => written.push(b) });
  const w = new NotifyWriter(sock as unknown as Socket);
  const v4 = (i: number) => v4Prefix(0x0a000000 + i, 32);
  for (let turn = 0; turn < 3; turn++) {
    assert.equal(w.report(v4(turn), 254, 196, 'unicast', true), true);
    await new Promise((r) => setImmediate(r)); // a turn of the event loop: a busy replay's pump
  }
  assert.equal(written.length, 0, 'nothing written per turn');
  t.mock.timers.tick(1000);
  assert.equal(written.length, 1, 'one write for the three turns');
  assert.equal(frames(written[0]!).length, 3);
  for (let i = 0; i < 3; i++) {
    w.report(v4(10 + i), 254, 196, 'unicast', true);
    w.flush();
  }
  assert.equal(written.length, 4);
  assert.ok(written.every((b) => b.buffer === written[0]!.buffer), 'flushes share a chunk: no 64 KB allocated per flush');
  // past the chunk: a new one, and what was written before is left as it was
  const before = Buffer.concat(written);
  for (let i = 0; i < 2000; i++) w.report(v4(100 + i), 254, 196, 'unicast', true);
  w.flush();
  assert.ok(written.at(-1)!.buffer !== written[0]!.buffer, 'a full chunk is replaced');
  assert.deepEqual(Buffer.concat(written.slice(0, 4)), before);
  assert.equal(frames(Buffer.concat(written)).length, 3 + 3 + 2000);
});
