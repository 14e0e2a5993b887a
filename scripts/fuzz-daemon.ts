// npm run fuzz:daemon — the whole daemon against the VPP simulator, fed FUZZ_SESSIONS (default
// 100,000) mutated and synthetic FPM sessions (recorded streams with bytes flipped, cut, inserted
// or dropped; nested groups; corrupted lengths; garbage), one connection after another, then one
// clean replay. Passes when fibmgr is alive throughout, its RSS stays under FUZZ_MAX_RSS_MB (400),
// and the simulated FIB equals what a fresh fibmgr makes of the clean replay alone (tables the
// replay does not mention are kept by design and reported apart). Prints counts and peak RSS.
// FUZZ_SEED makes a run repeatable.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VppSim } from 'vpp-binapi-ts/sim';
import { simRoutes, simSource } from '../test/helpers/sim-fib.js';
import { freePort } from '../test/helpers/daemon.js';
import { netlinkFrame, nexthopMsg, routeMsg } from '../test/fpm/build.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const SESSIONS = Number(process.env.FUZZ_SESSIONS ?? 100_000);
const MAX_RSS = Number(process.env.FUZZ_MAX_RSS_MB ?? 400) * 1e6;
let seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1e9) >>> 0 || 1;
const SEED0 = seed;
const rnd = (n: number): number => {
  seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0;
  return seed % n;
};

const FIX = join(REPO, 'test', 'fixtures', 'fpm');
const CORPUS = join(REPO, 'test', 'fpm', 'corpus');
const seeds = [
  ...readdirSync(FIX).filter((f) => f.endsWith('.bin') && !f.startsWith('kernel-1k')).map((f) => readFileSync(join(FIX, f))),
  ...readdirSync(CORPUS).filter((f) => f.endsWith('.bin')).map((f) => readFileSync(join(CORPUS, f))),
];
const clean = readFileSync(join(FIX, 'kernel-1k.bin'));

function nested(): Buffer {
  const depth = 1 + rnd(7), width = 1 + rnd(8), msgs: Buffer[] = [];
  for (let i = 1; i <= width; i++) msgs.push(nexthopMsg({ id: i, gateway: `10.0.0.${i}`, oif: 2 }));
  for (let l = 1; l <= depth; l++) {
    for (let j = 0; j < width; j++) msgs.push(nexthopMsg({ id: l * 100 + j, group: Array.from({ length: width }, (_, k) => ({ id: l === 1 ? k + 1 : (l - 1) * 100 + k })) }));
  }
  msgs.push(routeMsg({ prefix: `10.${rnd(256)}.${rnd(256)}.0/24`, nhId: depth * 100 }));
  return netlinkFrame(...msgs);
}

function mutate(b: Buffer): Buffer {
  let out = Buffer.from(b);
  for (let m = 1 + rnd(8); m > 0; m--) {
    const i = out.length ? rnd(out.length) : 0;
    switch (rnd(6)) {
      case 0: if (out.length) out[i] = rnd(256); break;
      case 1: if (out.length) out[i] ^= 1 << rnd(8); break;
      case 2: out = Buffer.concat([out.subarray(0, i), Buffer.from([rnd(256)]), out.subarray(i)]); break;
      case 3: out = Buffer.concat([out.subarray(0, i), out.subarray(i + 1)]); break;
      case 4: out = out.subarray(0, i); break;
      case 5: if (out.length > 4) out.writeUInt16BE(rnd(65536), (i & ~3) % (out.length - 2)); break; // a length field, likely
    }
  }
  return out;
}

function session(): { kind: string; bytes: Buffer } {
  const k = rnd(10);
  if (k < 6) return { kind: 'mutated', bytes: mutate(seeds[rnd(seeds.length)]!) };
  if (k < 7) return { kind: 'nested', bytes: rnd(2) ? nested() : mutate(nested()) };
  if (k < 8) return { kind: 'garbage', bytes: Buffer.from(Array.from({ length: rnd(600) }, () => rnd(256))) };
  if (k < 9) return { kind: 'recorded', bytes: seeds[rnd(seeds.length)]! };
  return { kind: 'spliced', bytes: Buffer.concat([seeds[rnd(seeds.length)]!.subarray(0, 40 + rnd(200)), mutate(seeds[rnd(seeds.length)]!)]) };
}

function send(port: number, bytes: Buffer, keepOpen = false): Promise<import('node:net').Socket | null> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    const t = setTimeout(() => { s.destroy(); resolve(null); }, 10_000);
    s.on('error', () => undefined);
    s.on('connect', () => {
      if (keepOpen) s.write(bytes, () => { clearTimeout(t); resolve(s); });
      else s.end(bytes);
    });
    s.on('close', () => { clearTimeout(t); resolve(null); });
  });
}

interface Run { sim: VppSim; proc: ChildProcess; http: number; fpm: number; peak: number; sampler: NodeJS.Timeout; tail: string[] }

async function startRun(name: string): Promise<Run> {
  const sock = join(tmpdir(), `fibmgr-fuzz-${name}-${process.pid}.sock`);
  const sim = await new VppSim({ socketPath: sock }).start();
  const fpm = await freePort();
  const http = await freePort();
  const proc = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'src', 'cli.ts'), '--vpp-sock', sock, '--fpm-port', String(fpm),
    '--metrics-addr', `127.0.0.1:${http}`, '--ops-socket', 'off', '--resync-grace', '0.3', '--stale-time', '2', '--log-level', 'error'], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
  const tail: string[] = [];
  proc.stderr!.on('data', (d: Buffer) => { tail.push(d.toString()); if (tail.length > 20) tail.shift(); });
  const run: Run = { sim, proc, http, fpm, peak: 0, tail, sampler: setInterval(() => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'));
      if (m) run.peak = Math.max(run.peak, Number(m[1]) * 1024);
    } catch { /* gone: checked below */ }
  }, 100) };
  const end = Date.now() + 60_000;
  while (!(await ready(http))) {
    if (Date.now() > end || proc.exitCode !== null) throw new Error(`fibmgr (${name}) did not come up:\n${tail.join('')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return run;
}

async function ready(http: number): Promise<boolean> {
  try { return (await fetch(`http://127.0.0.1:${http}/readyz`)).status === 200; } catch { return false; }
}

async function settle(run: Run, what: string): Promise<void> {
  const end = Date.now() + 120_000;
  while (!(await ready(run.http))) {
    if (Date.now() > end) throw new Error(`not ready after ${what}: ${await (await fetch(`http://127.0.0.1:${run.http}/readyz`)).text()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const fib = (run: Run) => simRoutes(run.sim, simSource(run.sim, 'fibmgr') ?? -1);

const fuzzed = await startRun('fuzz');
const counts: Record<string, number> = {};
const t0 = Date.now();
let failed = '';
for (let i = 0; i < SESSIONS; i++) {
  const s = session();
  counts[s.kind] = (counts[s.kind] ?? 0) + 1;
  await send(fuzzed.fpm, s.bytes);
  if (fuzzed.proc.exitCode !== null) { failed = `fibmgr exited (${fuzzed.proc.exitCode}) at session ${i} (${s.kind})`; break; }
  if (fuzzed.peak > MAX_RSS) { failed = `RSS ${Math.round(fuzzed.peak / 1e6)} MB at session ${i}`; break; }
  if (i % 10_000 === 9_999) console.log(`${i + 1} sessions, ${Math.round((i + 1) / ((Date.now() - t0) / 1000))}/s, peak RSS ${Math.round(fuzzed.peak / 1e6)} MB`);
}
let verdict = failed;
let compared = 0, keptApart = 0;
if (!failed) {
  // The clean replay, kept open as zebra keeps its session; then the reference: a fresh fibmgr fed only it.
  const zebra = await send(fuzzed.fpm, clean, true);
  await new Promise((r) => setTimeout(r, 500)); // let the session start before waiting for readiness
  await settle(fuzzed, 'the clean replay');
  const reference = await startRun('reference');
  const z2 = await send(reference.fpm, clean, true);
  await new Promise((r) => setTimeout(r, 500));
  await settle(reference, 'the reference replay');
  const want = fib(reference);
  const got = fib(fuzzed);
  const tables = new Set([...want.keys()].map((k) => k.split('|')[0]));
  const diffs: string[] = [];
  for (const [k, v] of got) {
    if (!tables.has(k.split('|')[0])) { keptApart++; continue; }
    compared++;
    if (JSON.stringify(v) !== JSON.stringify(want.get(k))) diffs.push(`${k}: ${JSON.stringify(v)} want ${JSON.stringify(want.get(k))}`);
  }
  for (const k of want.keys()) if (!got.has(k)) diffs.push(`${k}: missing`);
  if (diffs.length) verdict = `FIB differs from the clean replay in ${diffs.length} routes, e.g. ${diffs.slice(0, 5).join('; ')}`;
  zebra?.destroy();
  z2?.destroy();
  reference.proc.kill('SIGTERM');
  clearInterval(reference.sampler);
  await reference.sim.stop();
}
const alive = fuzzed.proc.exitCode === null;
const healthy = alive && (await fetch(`http://127.0.0.1:${fuzzed.http}/healthz`).then((r) => r.status === 200, () => false));
const state = healthy ? await (await fetch(`http://127.0.0.1:${fuzzed.http}/state`)).json() as { fpm: { sessionsAccepted: number; sessionsFailed: number; refused: Record<string, number>; events: { unusable: Record<string, number> } } } : null;
clearInterval(fuzzed.sampler);
console.table([{
  seed: SEED0, sessions: SESSIONS, seconds: Math.round((Date.now() - t0) / 1000), ...counts,
  accepted: state?.fpm.sessionsAccepted, 'closed (broken framing)': state?.fpm.sessionsFailed,
  refused: state ? Object.values(state.fpm.refused).reduce((a, b) => a + b, 0) : undefined,
  'peak RSS MB': Math.round(fuzzed.peak / 1e6), 'routes compared': compared, 'kept (tables not replayed)': keptApart, alive: healthy,
}]);
if (state) console.log('unusable messages by reason:', JSON.stringify(state.fpm.events.unusable));
fuzzed.proc.kill('SIGTERM');
await fuzzed.sim.stop();
if (verdict || !healthy) {
  console.error(`FAIL: ${verdict || 'fibmgr is not healthy'}\n${fuzzed.tail.join('')}`);
  process.exit(1);
}
console.log('PASS: fibmgr stayed up, RSS bounded, FIB equal to the clean replay');
process.exit(0);
