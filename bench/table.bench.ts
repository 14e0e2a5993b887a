// The reconciler's route table (src/sync/state/route-table.ts) filled with a full IPv4 table:
// insert, lookup and walk times, and the longest single operations — a table that stops for tens
// of milliseconds while it grows stops fibmgr's writes with it, while VPP's socket holds ~3.5 ms of
// its work. Garbage collections land on single inserts too (the longest ones name both); with
// --trace-gc they can be told apart. Run: npm run bench:table   (TABLE_BENCH_ROUTES, _RUNS)
import { RouteTable } from '../src/sync/state/route-table.js';
import { routePrefix } from '../src/warm-up/stream.js';

const N = Number(process.env.TABLE_BENCH_ROUTES ?? 1_000_000);
const RUNS = Number(process.env.TABLE_BENCH_RUNS ?? 5);
// the sync benches' routes (src/warm-up/stream.ts): what fibmgr's table holds in them
const prefixes = Array.from({ length: N }, (_, j) => routePrefix(4, j));
/** Inserts after which the /32 map has grown (3/4 of 2^k slots, from its 64): where a growth step would show. */
const growthAt = new Set(Array.from({ length: 20 }, (_, k) => (3 * 2 ** (k + 6)) / 4));

const rows: Record<string, string | number>[] = [];
for (let run = 1; run <= RUNS; run++) {
  const t = new RouteTable();
  const slow: [number, number][] = [];
  let atGrowth = 0;
  const t0 = performance.now();
  for (let j = 0; j < N; j++) {
    const a = performance.now();
    t.lookup(0, prefixes[j]!, true);
    const d = performance.now() - a;
    if (growthAt.has(j)) atGrowth = Math.max(atGrowth, d);
    if (d > 5) slow.push([d, j]);
  }
  const insert = performance.now() - t0;
  const t1 = performance.now();
  for (let j = 0; j < N; j++) t.lookup(0, prefixes[j]!, false);
  const lookup = performance.now() - t1;
  const t2 = performance.now();
  t.forEach(() => {});
  const walk = performance.now() - t2;
  slow.sort((x, y) => y[0] - x[0]);
  rows.push({
    run, routes: N, 'insert ms': Math.round(insert), 'lookup ms': Math.round(lookup), 'walk ms': Math.round(walk),
    'longest insert at a growth, ms': +atGrowth.toFixed(1),
    'inserts over 5 ms (ms @ index)': slow.slice(0, 4).map(([d, j]) => `${d.toFixed(0)} @ ${j}`).join(', ') || 'none',
  });
}
console.table(rows);
