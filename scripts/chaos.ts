// npm run chaos [-- --seeds N] [--from S] [--seed N] [--steps N] [--scale N] [--off fault,fault] [--landed] [--log]
// The seeded fault campaign (test/chaos): runs seeds, groups the failures by what failed, and
// prints the timeline of the first seed of each group. `--seed N` replays one seed, verbosely.
// Every fault is on unless `--off` names it; `--landed` leaves out those whose fixes have not
// landed (PENDING in campaign.ts), as the suite's short run does.
import { ALL_FAULTS, PENDING, runSeed, signature, type CampaignOptions, type Faults, type SeedResult } from '../test/chaos/campaign.js';

const args = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const num = (name: string, dflt: number) => (arg(name) !== undefined ? Number(arg(name)) : dflt);

const opts: Partial<CampaignOptions> = {};
if (arg('steps')) opts.steps = Number(arg('steps'));
if (arg('scale')) opts.scale = Number(arg('scale'));
if (args.includes('--broken-stale-wait')) opts.brokenStaleWait = true;
const off = (arg('off') ?? '').split(',').filter(Boolean);
if (args.includes('--landed')) off.push(...Object.keys(PENDING).filter((k) => !off.includes(k)));
for (const k of off) if (!(k in ALL_FAULTS)) throw new Error(`no such fault ${k}: ${Object.keys(ALL_FAULTS).join(', ')}`);
opts.faults = Object.fromEntries(Object.keys(ALL_FAULTS).map((k) => [k, !off.includes(k)])) as unknown as Faults;
const showLog = args.includes('--log');

function report(r: SeedResult, verbose: boolean): void {
  console.log(`seed ${r.seed}: ${r.ok ? 'ok' : 'FAILED'} — ${r.steps} steps, ${r.quietPeriods} quiet periods, ${r.checks} checks, ${(r.virtualMs / 60_000).toFixed(1)} min virtual in ${(r.realMs / 1000).toFixed(2)} s (${r.setting})`);
  if (!verbose && r.ok) return;
  if (!r.ok) for (const v of r.violations.slice(0, 10)) console.log(`  ${v.kind}: ${v.detail}`);
  console.log('  timeline:');
  for (const line of r.timeline) console.log(`  ${line}`);
  if (showLog) {
    console.log('  fibmgr log (last lines):');
    for (const line of r.log) console.log(`  ${line}`);
  }
  if (!r.ok) console.log(`  replay: npm run chaos -- --seed ${r.seed}${off.length ? ` --off ${off.join(',')}` : ''}${opts.steps ? ` --steps ${opts.steps}` : ''}${opts.scale ? ` --scale ${opts.scale}` : ''}`);
}

const one = arg('seed');
if (one !== undefined) {
  const r = await runSeed(Number(one), opts);
  report(r, true);
  process.exit(r.ok ? 0 : 1);
}

const from = num('from', 1);
const count = num('seeds', 50);
const t0 = performance.now();
const groups = new Map<string, SeedResult[]>();
let steps = 0;
let checks = 0;
let virtualMs = 0;
for (let seed = from; seed < from + count; seed++) {
  const r = await runSeed(seed, opts);
  steps += r.steps;
  checks += r.checks;
  virtualMs += r.virtualMs;
  process.stdout.write(r.ok ? '.' : 'F');
  if (!r.ok) {
    const sig = `${r.violations[0]!.kind}`;
    groups.set(sig, [...(groups.get(sig) ?? []), r]);
  }
}
process.stdout.write('\n');
console.log(off.length ? `faults off: ${off.join(', ')}` : 'every fault on');
console.log(`${count} seeds (${from}..${from + count - 1}), ${steps} steps, ${checks} oracle checks, ${(virtualMs / 3_600_000).toFixed(1)} h virtual, in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const failed = [...groups.values()].flat().length;
console.log(failed === 0 ? 'no failures' : `${failed} seeds failed:`);
for (const [kind, rs] of groups) {
  console.log(`\n== ${kind}: seeds ${rs.map((r) => r.seed).join(', ')}`);
  for (const r of rs) console.log(`  seed ${r.seed}: ${signature(r)}`);
  report(rs[0]!, true);
}
process.exit(failed === 0 ? 0 : 1);
