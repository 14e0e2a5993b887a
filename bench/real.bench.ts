// Speed against a real VPP (issue 21), in one run, side by side on one VPP (6G main heap, 1G stats
// segment): VPP's own CLI insert rate (`ip route add count N`), a raw pipelined client written with
// the project's bulk encoder (every request packed beforehand; a few windows / batches tried, the
// best reported), and fibmgr end to end (the sync bench's zebra-like FPM stream → fibmgr's pipeline
// in this process → VPP), with fibmgr's CPU per million routes, VPP's CPU share during the replay,
// peak RSS per route, and an unchanged resync's route writes.
// Run: npm run bench:real   (REAL_BENCH_V4 / REAL_BENCH_V6 change the counts; FIBMGR_VPP_PREFIX
// names the VPP, else scripts/ensure-vpp.sh finds it).
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { startRealVpp, type RealVpp, type TestContext } from '../test/helpers/real-vpp.js';
import { countOf, openVpp, sourceId } from '../test/helpers/vpp-fib.js';
import { routeRequestDef } from 'vpp-binapi-ts';
import { fib_source_add, ip_route_add_del_v2, FibPathNhProto } from 'vpp-binapi-ts/gen';
import { connectPipeline, forkSender, measure, peakRss, until } from './lib/pipeline.js';
import { encodeSockclntCreate, encodeSockclntDelete, decodeSockclntCreateReply, MEMCLNT } from 'vpp-binapi-ts';
import { FrameReader, HEADER_SIZE, frame, writeHeader } from 'vpp-binapi-ts';

const V4 = Number(process.env.REAL_BENCH_V4 ?? 1_000_000);
const V6 = Number(process.env.REAL_BENCH_V6 ?? 200_000);
const TOTAL = V4 + V6;
const GRACE_MS = 1000;

// startRealVpp is the test tier's helper: a bench stands in for node:test's context
const cleanups: (() => unknown)[] = [];
const ctx: TestContext = {
  name: 'bench:real', fullName: 'bench:real',
  skip: (msg) => { console.error(`bench:real cannot run: ${msg}`); process.exit(2); },
  after: (fn) => { cleanups.push(fn); },
  test: () => Promise.reject(new Error('no subtests in a bench')),
};
const vpp = (await startRealVpp(ctx, { mainHeap: '6G', statsegSize: '1G', startMs: 120_000 })) as RealVpp;

/** VPP's CPU (user + system, all threads) in seconds so far. */
function vppCpu(): number {
  const f = readFileSync(`/proc/${vpp.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

interface Row { run: string; routes: number; seconds: number; 'routes/s': number; 'vs raw': string; 'client CPU s per 1M': string; 'VPP CPU share': string; 'peak RSS B/route': string; note: string }
const rows: Row[] = [];
let best: { s: number; label: string } | null = null;

// ---- 1. VPP's own CLI: the FIB's insert rate with no API in the way
{
  const t0 = performance.now();
  const c0 = vppCpu();
  await vpp.cli(`ip route add count ${V4} 11.0.0.0/32 via 10.0.2.2`);
  const s = (performance.now() - t0) / 1000;
  const share = (vppCpu() - c0) / s;
  rows.push({ run: `VPP CLI: ip route add count ${V4} (IPv4 only)`, routes: V4, seconds: +s.toFixed(2), 'routes/s': Math.round(V4 / s), 'vs raw': '', 'client CPU s per 1M': '', 'VPP CPU share': `${Math.round(share * 100)}%`, 'peak RSS B/route': '', note: 'incl. vppctl start' });
  await vpp.cli(`ip route del count ${V4} 11.0.0.0/32 via 10.0.2.2`);
}

// ---- 2. a raw pipelined client: the project's bulk encoder, every request packed beforehand
const bulk = routeRequestDef(ip_route_add_del_v2);
const path4 = bulk.pathBytes([1, 2].map((i) => ({ sw_if_index: 0xffffffff, weight: 1, proto: FibPathNhProto.FIB_API_PATH_NH_PROTO_IP4, nh: { address: { ip4: `10.0.0.${i}` } } })));
const path6 = bulk.pathBytes([1, 2].map((i) => ({ sw_if_index: 0xffffffff, weight: 1, proto: FibPathNhProto.FIB_API_PATH_NH_PROTO_IP6, nh: { address: { ip6: `2001:db8:2::${i}` } } })));

/** Every request of one pass, framed, in one buffer; `ends[i]` is where request i ends. The same prefixes as the FPM stream. */
function pack(clientIndex: number, msgId: number, src: number, isAdd: boolean): { buf: Buffer; ends: Uint32Array } {
  const per = HEADER_SIZE + bulk.size({ paths: path6 } as any);
  const buf = Buffer.alloc(TOTAL * per);
  const ends = new Uint32Array(TOTAL);
  let off = 0;
  for (let i = 0; i < TOTAL; i++) {
    const v6 = i >= V4;
    const j = v6 ? i - V4 : i;
    const paths = isAdd ? (v6 ? path6 : path4) : new Uint8Array(0);
    const req = {
      client_index: clientIndex, context: i + 1, is_add: isAdd, table: 0, src, paths,
      prefix: v6 ? { w0: 0x20010db8, w1: j >>> 0, w2: 0, w3: 0 } : (((11 + (j >>> 24)) << 24) | (j & 0xffffff)) >>> 0,
      len: v6 ? 64 : 32,
    };
    const size = bulk.size(req as any);
    writeHeader(buf, off, size);
    bulk.encodeInto(buf, off + HEADER_SIZE, msgId, req as any);
    off += HEADER_SIZE + size;
    ends[i] = off;
  }
  return { buf: buf.subarray(0, off), ends };
}

async function rawSession(): Promise<{ sock: net.Socket; index: number; msgId: number; onReply: (f: (ok: boolean) => void) => void; bye: () => Promise<void> }> {
  const sock = net.connect(vpp.apiSock);
  await new Promise((r, j) => { sock.once('connect', r); sock.once('error', j); });
  let handler: ((buf: Buffer, s: number, e: number) => void) | null = null;
  const reader = new FrameReader((buf, s, e) => handler?.(buf, s, e));
  sock.on('data', (c) => reader.push(c));
  const hello = await new Promise<ReturnType<typeof decodeSockclntCreateReply>>((resolve) => {
    handler = (buf, s, e) => resolve(decodeSockclntCreateReply(buf, s, e));
    sock.write(frame(encodeSockclntCreate(1, 'fibmgr-bench-raw')));
  });
  const msgId = hello.table.get(ip_route_add_del_v2.key)!;
  return {
    sock, index: hello.index, msgId,
    // the reply's retval sits after id (2) and context (4)
    onReply: (f) => { handler = (buf, s) => f(buf.readInt32BE(s + 6) === 0); },
    // a client that leaves without sockclnt_delete makes VPP spin on its socket (docs/upstream)
    bye: () => new Promise<void>((resolve) => {
      handler = () => { sock.destroy(); resolve(); };
      sock.write(frame(encodeSockclntDelete(hello.table.get(MEMCLNT.sockclnt_delete)!, hello.index)));
    }),
  };
}

async function rawPass(window: number, batch: number, isAdd: boolean, src: number): Promise<{ s: number; cpu: number; vppShare: number; failed: number }> {
  const r = await rawSession();
  const { buf, ends } = pack(r.index, r.msgId, src, isAdd);
  const m = measure();
  const v0 = vppCpu();
  let failed = 0;
  await new Promise<void>((resolve) => {
    let sent = 0;
    let done = 0;
    const pump = (): void => {
      while (sent < TOTAL && sent - done + batch <= window) {
        const n = Math.min(batch, TOTAL - sent);
        sr(sent, n);
        sent += n;
      }
    };
    const sr = (from: number, n: number): void => { r.sock.write(buf.subarray(from === 0 ? 0 : ends[from - 1]!, ends[from + n - 1]!)); };
    r.onReply((ok) => {
      if (!ok) failed++;
      if (++done === TOTAL) resolve();
      else if (sent - done + batch <= window) pump();
    });
    pump();
  });
  const s = m.seconds();
  const cpu = m.cpuS();
  const vppShare = (vppCpu() - v0) / s;
  await r.bye();
  return { s, cpu, vppShare, failed };
}

const admin = await openVpp(vpp.apiSock);

// ---- 3. fibmgr end to end (first, so that its peak RSS is its own: the raw client's packed
// requests come later, in the same process): a zebra-like FPM stream (bench/lib/fpm-sender) → fibmgr's pipeline → VPP
const sender = await forkSender(V4, V6);
const rssBase = process.memoryUsage().rss;
const pipeline = await connectPipeline({ socketPath: vpp.apiSock, resyncGraceMs: GRACE_MS, window: 1024, notify: 'auto', logLevel: process.env.REAL_BENCH_LOG ?? 'warn', auditClient: true, timeoutMs: 120_000 });
const { client, rec, server } = pipeline;
await rec.start();
const { port: fpmPort } = await server.listen();
const routeWrites = (): number => [...client.requestStats()].filter(([name]) => name.startsWith('ip_route_add_del')).reduce((a, [, st]) => a + st.count, 0);

async function fibmgrPhase(name: string, start: (s: ChildProcess) => void, done: () => boolean): Promise<void> {
  const w0 = routeWrites();
  const m = measure();
  const v0 = vppCpu();
  start(sender);
  await until(name, done, Infinity);
  await rec.idle();
  const s = m.seconds();
  const cpu = m.cpuS();
  const share = (vppCpu() - v0) / s;
  const peak = peakRss();
  rows.push({
    run: name, routes: TOTAL, seconds: +s.toFixed(2), 'routes/s': Math.round(TOTAL / s), 'vs raw': '',
    'client CPU s per 1M': (cpu / TOTAL * 1e6).toFixed(2), 'VPP CPU share': `${Math.round(share * 100)}%`,
    'peak RSS B/route': String(Math.round((peak - rssBase) / TOTAL)), note: `${routeWrites() - w0} route writes`,
  });
}

await fibmgrPhase('fibmgr end to end: first sync (FPM in, VPP API out)', (s) => s.send({ send: fpmPort }), () => rec.state().installed >= TOTAL && rec.state().backlog === 0);
rows.at(-1)!.note += `, VPP holds ${await countOf(admin, (await sourceId(admin, 'fibmgr'))!)}`;
const resync0 = rec.state().lastResync;
await fibmgrPhase(`fibmgr: unchanged resync (zebra reconnects, incl. ${GRACE_MS} ms grace)`, (s) => { s.send('close'); s.send({ send: fpmPort }); }, () => { const st = rec.state(); return st.lastResync !== resync0 && !st.resyncing; });

// fibmgr stops (its routes stay in VPP); the raw client's deletes under fibmgr's source clear them
await pipeline.stop();
sender.send('exit');
const fibmgrRows = rows.filter((r) => r.run.startsWith('fibmgr end'));
await rawPass(8192, 512, false, (await sourceId(admin, 'fibmgr'))!);
if (await countOf(admin, (await sourceId(admin, 'fibmgr'))!) !== 0) throw new Error('fibmgr\'s routes are still in VPP');

// ---- 2. the raw client, on the same (now empty of routes) VPP
const rawSrc = (await admin.request<any, any>(fib_source_add, { src: { priority: 100, name: 'rawbench' } })).id as number;
for (const [window, batch] of [[1024, 64], [4096, 256], [8192, 512]] as const) {
  const add = await rawPass(window, batch, true, rawSrc);
  const held = await countOf(admin, rawSrc);
  const label = `raw client (bulk encoder, packed beforehand), window ${window}, ${batch} per write`;
  rows.push({ run: label, routes: TOTAL, seconds: +add.s.toFixed(2), 'routes/s': Math.round(TOTAL / add.s), 'vs raw': '', 'client CPU s per 1M': (add.cpu / TOTAL * 1e6).toFixed(2), 'VPP CPU share': `${Math.round(add.vppShare * 100)}%`, 'peak RSS B/route': '', note: `${add.failed} failed, VPP holds ${held}` });
  if (!best || add.s < best.s) best = { s: add.s, label };
  await rawPass(window, batch, false, rawSrc);
}

for (const r of fibmgrRows) r['vs raw'] = `${(best!.s / r.seconds).toFixed(2)}x`;
console.table(rows);
console.log(`routes: ${V4} IPv4 /32 + ${V6} IPv6 /64, each via 2 recursive next hops; VPP ${vpp.version}; best raw: ${best?.label}`);
console.log('targets (issue 21): fibmgr ≥ 1.0x the raw client, ≤ 300 B/route, 0 route writes on an unchanged resync');
await admin.close();
for (const f of cleanups.reverse()) await f();
process.exit(0);
