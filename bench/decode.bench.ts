// FPM decode rate: streams generated here as zebra sends them, fed to one FpmSessionDecoder in
// 64 KiB chunks (socket-sized reads). Each case runs in its own child process so that its peak
// RSS is its own. Run: npm run bench:decode   (DECODE_BENCH_SCALE=0.1 for a quick look)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FpmSessionDecoder } from '../src/fpm/session-decoder.js';
import { FpmMessage } from '../src/fpm/protobuf/schema.js';
import { Writer, netlinkNhg } from '../src/warm-up/stream.js';

const SCALE = Number(process.env.DECODE_BENCH_SCALE ?? 1);
const CHUNK = 64 * 1024;

interface Case { name: string; routes: number; build: (n: number) => Buffer }

/** `no fpm use-next-hop-groups`: each route carries a 2-way RTA_MULTIPATH. */
function netlinkInline(n: number): Buffer {
  const w = new Writer(64 * 1024 + n * 96);
  for (let i = 0; i < n; i++) {
    const end = w.frame(24);
    w.u8(2); w.u8(24); w.u8(0); w.u8(0); w.u8(254); w.u8(186); w.u8(0); w.u8(1); w.u32(0);
    w.attr(15, () => w.u32(254));
    w.attr(1, () => w.bytes([11 + (i >>> 16), (i >>> 8) & 255, i & 255, 0]));
    w.attr(6, () => w.u32(20));
    w.attr(9 | 0x8000, () => {
      for (let k = 0; k < 2; k++) {
        w.u16(16); w.u8(0); w.u8(0); w.u32(3 + k);
        w.attr(5, () => w.bytes([10, 0, 2 + k, 2]));
      }
    });
    end();
  }
  return w.buf.subarray(0, w.p);
}

function protobufStream(n: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const body = FpmMessage.encode(FpmMessage.fromObject({
      type: 1,
      add_route: {
        vrf_id: 0, address_family: 1, sub_address_family: 1, route_type: 1, protocol: 9, metric: 20,
        key: { prefix: { length: 32, bytes: Buffer.from([11 + (i >>> 24), (i >>> 16) & 255, (i >>> 8) & 255, i & 255]) } },
        nexthops: [{ if_id: { index: 3 }, address: { v4: { value: 167772674 } } }, { if_id: { index: 5 }, address: { v4: { value: 167772932 } } }],
      },
    })).finish();
    const h = Buffer.alloc(4);
    h[0] = 1; h[1] = 2; h.writeUInt16BE(4 + body.length, 2);
    parts.push(h, Buffer.from(body));
  }
  return Buffer.concat(parts);
}

const CASES: Case[] = [
  { name: 'netlink IPv4, nexthop groups', routes: Math.round(1_000_000 * SCALE), build: (n) => netlinkNhg(n, 4) },
  { name: 'netlink IPv6, nexthop groups', routes: Math.round(200_000 * SCALE), build: (n) => netlinkNhg(n, 6) },
  { name: 'netlink IPv4, inline 2-way multipath', routes: Math.round(1_000_000 * SCALE), build: netlinkInline },
  { name: 'protobuf IPv4, 2 next hops', routes: Math.round(200_000 * SCALE), build: protobufStream },
];

function runCase(c: Case): Record<string, string | number> {
  const stream = c.build(c.routes);
  const rssBefore = process.memoryUsage().rss;
  const d = new FpmSessionDecoder();
  let routes = 0;
  const t0 = process.hrtime.bigint();
  for (let p = 0; p < stream.length; p += CHUNK) {
    const events = d.push(stream.subarray(p, p + CHUNK));
    for (let i = 0; i < events.length; i++) if (events[i].kind === 'route') routes++;
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (routes !== c.routes || d.stats.errors) throw new Error(`${c.name}: ${routes} routes, ${d.stats.errors} errors`);
  return {
    case: c.name, routes, MB: +(stream.length / 1e6).toFixed(1), seconds: +s.toFixed(3),
    'routes/s': Math.round(routes / s), 'peak RSS MB': Math.round(process.resourceUsage().maxRSS / 1024),
    'RSS before MB': Math.round(rssBefore / 1e6),
  };
}

const idx = process.argv.indexOf('--case');
if (idx >= 0) {
  process.stdout.write(JSON.stringify(runCase(CASES[Number(process.argv[idx + 1])])));
} else {
  const rows = CASES.map((_, i) => {
    const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--case', String(i)], { encoding: 'utf8', env: process.env });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout) as Record<string, string | number>;
  });
  console.table(rows);
}
