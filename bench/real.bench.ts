// Speed against a real VPP (issue 21), in one run, side by side on one VPP (6G main heap, 1G stats
// segment): VPP's own CLI insert rate (`ip route add count N`); a raw pipelined client written with
// the project's bulk encoder (bench/lib/raw-client, every request packed beforehand; a few windows /
// batches tried, replies read as they come or every 1, 8, 16 or 32 ms, each pass on a cleared FIB, the best
// is the reference; fibmgr runs with the daemon's defaults); the best raw shape and fibmgr's first
// sync in turns (fibmgr in a process of its own each turn, bench/lib/fibmgr-turn);
// then fibmgr end to end on the same VPP, its FIB cleared (the sync bench's zebra-like FPM stream →
// fibmgr's pipeline in this process → VPP): the first sync, an unchanged resync, VPP killed and
// restarted mid-replay, and a fresh fibmgr's first sync with VPP frozen (SIGSTOP) for 15 s
// mid-replay. Per fibmgr phase: CPU per million routes, VPP's CPU share, peak RSS per route (the
// phase's own high-water mark over the process before any pipeline), route writes, the time to
// converge after a fault, and VPP's FIB counted against the table (a mismatch fails the run).
// Run: npm run bench:real   (REAL_BENCH_V4 / REAL_BENCH_V6 change the counts, REAL_BENCH_WINDOWS
// the raw passes, REAL_BENCH_SNDBUF both clients' socket send buffer (bytes; 0: the system's), REAL_BENCH_ROUNDS the turns (0: none), REAL_BENCH_FIBMGR_WINDOW fibmgr's window, REAL_BENCH_FIBMGR_GATHER=PER/MAX its reading of replies, REAL_BENCH_WARM_UP the routes of the daemon's warm-up before each fresh fibmgr (0: none), REAL_BENCH_WARM_UP_PASSES its passes (default the daemon's), REAL_BENCH_NOTIFY fibmgr's route notifications to the zebra stand-in (auto, on, off; default the daemon's), REAL_BENCH_FAULTS=0 leaves the fault
// phases out, REAL_BENCH_FREEZE_MS the freeze, REAL_BENCH_TIMEOUT_MS fibmgr's request timeout (default the daemon's), REAL_BENCH_TURN_FLAGS
// node flags added to fibmgr's process in turns (a profile, a GC setting; NODE_OPTIONS refuses most) and REAL_BENCH_TURN_FLAGS_B
// other ones for rounds 3-4, 7-8, … (an A/B in one run, each side raw-first and fibmgr-first alike), REAL_BENCH_PERF_DIR a
// `perf record` of VPP's main thread per pass into that directory (which code VPP's time goes to under each client), REAL_BENCH_SENDS=1
// VPP's send() calls per pass and how many went out (sendsPass), REAL_BENCH_AA=raw the turns with the raw client in fibmgr's place too (an
// A/A run: what the verdict shows between two identical clients), =raw+load the same with bench/lib/memory-load on the clients'
// core during the second one's passes, =three raw, the copy and fibmgr in each round (the noise and fibmgr measured together, rounds in sixes); FIBMGR_VPP_PREFIX names the VPP, else
// scripts/ensure-vpp.sh finds it). VPP's main thread runs on a core of its own (`cpu { main-core
// N }`, the last CPU) and this bench, fibmgr and the raw client on the others, as VPP is deployed:
// sharing VPP's core measures the kernel scheduler (VPP waiting for the CPU behind fibmgr's GC
// threads and the zebra stand-in), not how well a client feeds VPP. REAL_BENCH_PIN=0: unpinned.
// REAL_BENCH_ISOLATE=1 (root) also keeps the machine's other tasks off VPP's core for the run, as
// `isolcpus` does where VPP is deployed (bench/lib/core-isolation: a busy client's core sends them
// to VPP's).
// Per pass, VPP's time is split (its threads' /proc schedstat): busy, waiting for a CPU, idle.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpus, setPriority } from 'node:os';
import { startRealVpp, type RealVpp, type TestContext } from '../test/helpers/real-vpp.js';
import { countOf, openVpp, sourceId } from '../test/helpers/vpp-fib.js';
import { fib_source_add } from 'vpp-binapi-ts/gen';
import { DEFAULT_REPLY_GATHER, type ReplyGather } from 'vpp-binapi-ts';
import { statField, statStartTime } from '../src/fpm/socket-owner.js';
import { DEFAULTS, OPTIONS, type Config } from '../src/config/options.js';
import { envName, loadConfig } from '../src/config/load.js';
import { WARM_UP_PASSES } from '../src/warm-up/warm-up.js';
import { sendBufferSetting } from '../src/vpp-send-buffer.js';
import { routeReplyGather } from '../src/vpp-reply-gather.js';
import { putBackWhatWasLeft, rerunOffCore } from './lib/run-pinned.js';
import { THREE_WAY_CYCLE, turnOrder } from './lib/turn-order.js';
import { listeningPipeline, nextMessage, forkChild, forkFibmgr, forkSender, measure, minorFaults, pageFaultCost, syncConverged, until, warmUpAsDaemon, type Pipeline } from './lib/pipeline.js';

/** The CPU VPP's main thread runs on (the last), the others this process's; null: unpinned. */
const PIN = process.env.REAL_BENCH_PIN !== '0' && cpus().length >= 2 ? cpus().length - 1 : null;
const ISOLATE = process.env.REAL_BENCH_ISOLATE === '1';
if (PIN !== null && process.env.REAL_BENCH_PINNED !== String(PIN)) await rerunOffCore(PIN, ISOLATE, process.env);
if (PIN === null && ISOLATE) console.error('bench:real: REAL_BENCH_ISOLATE=1 without pinning (REAL_BENCH_PIN=0, or one CPU): there is no core of VPP\'s to keep');
if (PIN === null && process.getuid?.() === 0) putBackWhatWasLeft();

const V4 = Number(process.env.REAL_BENCH_V4 ?? 1_000_000);
const V6 = Number(process.env.REAL_BENCH_V6 ?? 200_000);
const TOTAL = V4 + V6;
const GRACE_MS = 1000;
/**
 * Raw client passes, "window/batch" each, "/g" to read replies every 1 ms as fibmgr does, "/gN"
 * every N ms (VPP spends less a reply the longer its socket stays unread: vpp-binapi-ts's
 * ReplyGather says why). The best is the reference; fibmgr runs as the daemon does by default
 * (REAL_BENCH_FIBMGR_WINDOW sets its window).
 */
const WINDOWS = (process.env.REAL_BENCH_WINDOWS ?? '1024/64,4096/256,8192/512,1024/64/g,4096/256/g,8192/512/g,16384/256/g8,16384/256/g16,16384/256/g32,32768/512/g32').split(',').filter(Boolean).map((wb) => {
  const m = /^([1-9]\d*)\/([1-9]\d*)(\/g([1-9]\d*)?)?$/.exec(wb);
  if (!m) {
    console.error(`bench:real: REAL_BENCH_WINDOWS: "${wb}" is not window/batch, window/batch/g or window/batch/gN (N ms; whole numbers > 0)`);
    process.exit(2);
  }
  /** Replies read every this many ms (0: as they come). */
  const gatherMs = m[3] ? Number(m[4] ?? 1) : 0;
  return [Number(m[1]), Number(m[2]), gatherMs] as const;
});
/** fibmgr's request timeout: the daemon's default (10 s) unless set, so a 15 s freeze times requests out as it would in production. */
const TIMEOUT_MS = ((): number | undefined => {
  const v = process.env.REAL_BENCH_TIMEOUT_MS;
  if (!v) return undefined;
  const ms = Number(v);
  if (!Number.isInteger(ms) || ms <= 0) {
    console.error(`bench:real: REAL_BENCH_TIMEOUT_MS "${v}" is not a whole number of milliseconds > 0`);
    process.exit(2);
  }
  return ms;
})();
/**
 * fibmgr's reading of replies under load: the daemon's (src/vpp-reply-gather.ts) unless
 * REAL_BENCH_FIBMGR_GATHER="PER/MAX" says (ReplyGather's perMs / maxMs: the pause grows 1 ms per
 * PER requests in flight, up to MAX ms; "1" for vpp-binapi-ts's default, every 1 ms).
 */
const FIBMGR_GATHER = ((): ReplyGather => {
  const v = process.env.REAL_BENCH_FIBMGR_GATHER;
  if (!v) return routeReplyGather(TIMEOUT_MS ?? DEFAULTS.vppTimeout * 1000) ?? DEFAULT_REPLY_GATHER;
  if (v === '1') return DEFAULT_REPLY_GATHER;
  const m = /^([1-9]\d*)\/([1-9]\d*)$/.exec(v);
  if (!m) {
    console.error(`bench:real: REAL_BENCH_FIBMGR_GATHER "${v}" is not PER/MAX (whole numbers > 0)`);
    process.exit(2);
  }
  return { ...DEFAULT_REPLY_GATHER, perMs: Number(m[1]), maxMs: Number(m[2]) };
})();
/** fibmgr's reading, as the rows say it. */
const fibmgrReading = FIBMGR_GATHER.perMs ? `reading every max(${FIBMGR_GATHER.ms}, min(${FIBMGR_GATHER.maxMs}, in flight / ${FIBMGR_GATHER.perMs})) ms` : `reading every ${FIBMGR_GATHER.ms} ms`;
/** REAL_BENCH_FAULTS=0 leaves out the VPP kill and freeze phases (e.g. for a CPU profile of the first sync). */
const FAULTS = process.env.REAL_BENCH_FAULTS !== '0';
/**
 * The daemon's settings a bench variable stands for, checked by the daemon's own loader (its
 * defaults when unset): REAL_BENCH_NOTIFY is --offload-notify (fibmgr's route notifications to the
 * zebra stand-in; auto: on, the stand-in is a dplane_fpm_nl session), REAL_BENCH_WARM_UP
 * --warm-up-routes (the warm-up before each fresh fibmgr; 0: none), REAL_BENCH_FIBMGR_WINDOW
 * --vpp-window (fibmgr's window).
 */
const { offloadNotify: NOTIFY, warmUpRoutes: WARM_UP_ROUTES, vppWindow: fibmgrWindow } = ((): Pick<Config, 'offloadNotify' | 'warmUpRoutes' | 'vppWindow'> => {
  const vars = { REAL_BENCH_NOTIFY: 'offloadNotify', REAL_BENCH_WARM_UP: 'warmUpRoutes', REAL_BENCH_FIBMGR_WINDOW: 'vppWindow' } as const;
  const env: NodeJS.ProcessEnv = {};
  for (const [name, key] of Object.entries(vars)) {
    if (process.env[name] !== undefined) env[envName(OPTIONS.find((o) => o.key === key)!)] = process.env[name];
  }
  try {
    return loadConfig({}, env, undefined, Object.values(vars));
  } catch (err) {
    console.error(`bench:real: ${(err as Error).message} (set through ${Object.keys(vars).join(' / ')})`);
    process.exit(2);
  }
})();
/**
 * REAL_BENCH_AA: the turns without fibmgr, to see what the bench's verdict is worth. "raw": the
 * raw client in both places of a round (an A/A run: two identical clients, whatever their ratios
 * show is VPP's noise); "raw+load": the second one with bench/lib/memory-load streaming through
 * REAL_BENCH_AA_LOAD_MB (256) MB on the clients' core meanwhile (does another core's memory
 * traffic slow VPP?). No target is judged on the turns of such a run. "three": three turns a
 * round, the raw client, its copy (raw B) and fibmgr, so that the noise and fibmgr's difference
 * are measured on the same VPP in the same rounds; fibmgr is judged as without REAL_BENCH_AA.
 */
const AA = process.env.REAL_BENCH_AA ?? '';
if (!['', 'raw', 'raw+load', 'three'].includes(AA)) {
  console.error(`bench:real: REAL_BENCH_AA "${AA}" is not raw, raw+load or three`);
  process.exit(2);
}
/** The turns have no fibmgr: the raw client's copy takes its place (an A/A run, raw or raw+load). */
const NO_FIBMGR_TURNS = AA === 'raw' || AA === 'raw+load';
/** Each round has the raw client's copy as well as fibmgr (REAL_BENCH_AA=three). */
const THREE = AA === 'three';
const AA_LOAD_MB = Number(process.env.REAL_BENCH_AA_LOAD_MB ?? 256);
if (!(Number.isInteger(AA_LOAD_MB) && AA_LOAD_MB > 0)) {
  console.error(`bench:real: REAL_BENCH_AA_LOAD_MB "${process.env.REAL_BENCH_AA_LOAD_MB}" is not a whole number of MB > 0`);
  process.exit(2);
}
// only raw+load has a load: elsewhere a size would be silently ignored
if (AA !== 'raw+load' && process.env.REAL_BENCH_AA_LOAD_MB !== undefined) {
  console.error('bench:real: REAL_BENCH_AA_LOAD_MB is for REAL_BENCH_AA=raw+load (the other runs have no memory load)');
  process.exit(2);
}
// node flags are fibmgr's process's: an A/A run has none to give them to
if (NO_FIBMGR_TURNS && (process.env.REAL_BENCH_TURN_FLAGS || process.env.REAL_BENCH_TURN_FLAGS_B)) {
  console.error('bench:real: REAL_BENCH_TURN_FLAGS(_B) are for fibmgr in turns, and REAL_BENCH_AA leaves fibmgr out of them');
  process.exit(2);
}
// _B takes rounds two by two, three-way orders cycle over six: both balance only over multiples of
// twelve, and refusing is simpler than saying so
if (THREE && process.env.REAL_BENCH_TURN_FLAGS_B !== undefined) {
  console.error('bench:real: REAL_BENCH_TURN_FLAGS_B and REAL_BENCH_AA=three do not go together (their rounds balance differently)');
  process.exit(2);
}
/** Who takes fibmgr's place in the turns. */
const sideB = AA === 'raw' ? 'raw B' : AA === 'raw+load' ? `raw B (${AA_LOAD_MB} MB memory load)` : 'fibmgr';
/**
 * Rounds of the best raw shape and fibmgr's first sync in turn (3a below); 0: none. Ten: VPP's
 * own time for the same 1.2M routes varies by up to 10% from one pass to the next, and three
 * rounds twice gave a median 1.02x where nine gave 0.98x (run P); an even count, so that each
 * client goes first as often. A three-way run's: two cycles of its orders (bench/lib/turn-order,
 * twelve), and whole cycles or it is refused.
 */
const ROUNDS = Number(process.env.REAL_BENCH_ROUNDS ?? (THREE ? 2 * THREE_WAY_CYCLE : 10));
if (THREE && ROUNDS % THREE_WAY_CYCLE !== 0) {
  console.error(`bench:real: REAL_BENCH_AA=three takes rounds in multiples of ${THREE_WAY_CYCLE} (each client in each place as often), not ${ROUNDS}`);
  process.exit(2);
}
/** The warm-up's passes (src/warm-up: a route path each): the daemon's unless REAL_BENCH_WARM_UP_PASSES says, to see what the second one is worth. */
const WARM_UP_PASSES_HERE = Number(process.env.REAL_BENCH_WARM_UP_PASSES ?? WARM_UP_PASSES);
if (!Number.isInteger(WARM_UP_PASSES_HERE) || WARM_UP_PASSES_HERE < 1) {
  console.error(`bench:real: REAL_BENCH_WARM_UP_PASSES "${process.env.REAL_BENCH_WARM_UP_PASSES}" is not a whole number > 0`);
  process.exit(2);
}
const FREEZE_MS = Number(process.env.REAL_BENCH_FREEZE_MS ?? 15_000);
/** The VPP socket's kernel send buffer, fibmgr's and the raw client's alike: the daemon's --vpp-send-buffer default unless REAL_BENCH_SNDBUF says (0: the system's). */
const SNDBUF = ((): number => {
  try {
    return sendBufferSetting(process.env.REAL_BENCH_SNDBUF ?? DEFAULTS.vppSendBuffer);
  } catch (err) {
    console.error(`bench:real: REAL_BENCH_SNDBUF ${(err as Error).message}`);
    process.exit(2);
  }
})();

// startRealVpp is the test tier's helper: a bench stands in for node:test's context
const cleanups: (() => unknown)[] = [];
const ctx: TestContext = {
  name: 'bench:real', fullName: 'bench:real',
  skip: (msg) => { console.error(`bench:real cannot run: ${msg}`); process.exit(2); },
  after: (fn) => { cleanups.push(fn); },
  test: () => Promise.reject(new Error('no subtests in a bench')),
};
const vpp = (await startRealVpp(ctx, { mainHeap: '6G', statsegSize: '1G', startMs: 120_000, extraConf: PIN === null ? '' : `cpu { main-core ${PIN} }` })) as RealVpp;

/** Clock ticks per second of /proc's CPU times (100 on every Linux seen, but the kernel's to say). */
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;
/** VPP's process's counters so far (all its threads), read from its /proc entry. */
interface VppProcess {
  /** pid@start (/proc/PID/stat's start time), as the daemon tells processes apart (socket-owner.ts): a restarted VPP, or a reused pid, is another process, whose counters are not the pass's. */
  id: string;
  /** CPU seconds in VPP's own code and in the kernel's for it (its socket calls, page faults). */
  user: number;
  sys: number;
  /** Page faults, minor and major (work a busy VPP may be doing that is not the routes'). */
  minor: number;
  major: number;
  /**
   * read() calls and the bytes they returned (/proc/PID/io syscr, rchar): nearly all its API
   * socket's during a pass. VPP reads that socket 4 KB at a time, once per main-loop turn; a client
   * that lets it run short of requests costs VPP more turns (and their fixed cost) per route.
   */
  readCalls: number;
  readBytes: number;
}
function vppProcess(): VppProcess {
  const stat = readFileSync(`/proc/${vpp.pid}/stat`, 'utf8');
  const io = readFileSync(`/proc/${vpp.pid}/io`, 'utf8');
  const ioField = (name: string): number => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)?.[1] ?? NaN);
  return {
    id: `${vpp.pid}@${statStartTime(stat)}`, user: Number(statField(stat, 14)) / CLK_TCK, sys: Number(statField(stat, 15)) / CLK_TCK,
    minor: Number(statField(stat, 10)), major: Number(statField(stat, 12)), readCalls: ioField('syscr'), readBytes: ioField('rchar'),
  };
}
const vppCpu = (): number => {
  const p = vppProcess();
  return p.user + p.sys;
};

/** Each thread of process `pid` (/proc/PID/task/TID/schedstat): its id, seconds on a CPU and seconds runnable but waiting for one, so far. */
function threadTimes(pid: number): { tid: string; busy: number; waiting: number }[] {
  const out: { tid: string; busy: number; waiting: number }[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const f = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ');
      out.push({ tid, busy: Number(f[0]) / 1e9, waiting: Number(f[1]) / 1e9 });
    } catch { /* the thread ended */ }
  }
  return out;
}

/** VPP's threads' time so far: on a CPU, and runnable but waiting for one, in seconds. */
function vppSched(): { busy: number; waiting: number } {
  let busy = 0;
  let waiting = 0;
  for (const t of threadTimes(vpp.pid)) {
    busy += t.busy;
    waiting += t.waiting;
  }
  return { busy, waiting };
}
/** Each CPU's line of /proc/stat: its number and its jiffies so far (user nice system idle iowait irq softirq steal …). */
function procStatCpus(): { cpu: number; f: number[] }[] {
  const out: { cpu: number; f: number[] }[] = [];
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+) (.*)$/.exec(line);
    if (m) out.push({ cpu: Number(m[1]), f: m[2]!.trim().split(/\s+/).map(Number) });
  }
  return out;
}
/** Busy and all jiffies so far of the CPUs the clients run on (all but VPP's when pinned; /proc/stat). */
function clientCpus(): { busy: number; all: number } {
  let busy = 0;
  let all = 0;
  for (const { cpu, f } of procStatCpus()) {
    if (cpu === PIN) continue;
    const total = f.reduce((a, b) => a + b, 0);
    all += total;
    busy += total - f[3]! - f[4]!; // less idle and iowait
  }
  return { busy, all };
}
/**
 * Seconds the hypervisor ran something else on VPP's CPU (all CPUs when unpinned) so far: /proc/stat's
 * steal: the noise of a VM's neighbours, told apart. Whether VPP's busy time includes it depends
 * on the kernel: with CONFIG_PARAVIRT_TIME_ACCOUNTING (this VM's) and a hypervisor that reports
 * steal, the scheduler's task clock leaves it out and VPP looks waiting or idle instead; without,
 * VPP's thread counts it as its own and looks busy longer for the same work.
 */
function vppStolen(): number {
  let steal = 0;
  for (const { cpu, f } of procStatCpus()) {
    if (PIN === null || cpu === PIN) steal += f[7] ?? 0;
  }
  return steal / CLK_TCK;
}
/**
 * Interrupts taken so far by VPP's CPU (all CPUs when unpinned), by kind (/proc/interrupts: LOC
 * the timer, RES rescheduling, CAL function calls, which carry TLB flushes on some kernels, and
 * devices by number). Without CONFIG_IRQ_TIME_ACCOUNTING (this VM's kernel: /proc/config.gz), what
 * interrupts VPP's core is charged to VPP's thread as its own time. Softirqs and the hypervisor's
 * exits are not seen here.
 */
function vppCpuInterrupts(): Map<string, number> {
  const lines = readFileSync('/proc/interrupts', 'utf8').split('\n');
  const cpus = lines[0]!.trim().split(/\s+/);
  const pinned = PIN === null ? -1 : cpus.indexOf(`CPU${PIN}`);
  // unpinned, or VPP's CPU not listed (offline): every CPU's, rather than the IRQ's label read as a count
  const cols = pinned < 0 ? cpus.map((_, i) => i) : [pinned];
  const out = new Map<string, number>();
  for (const line of lines.slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 2) continue;
    const n = cols.reduce((a, c) => a + (Number(f[1 + c]) || 0), 0);
    if (n > 0) out.set(f[0]!.replace(/:$/, ''), n);
  }
  return out;
}
/** The kinds of interrupt VPP's CPU took since `a`, most first: "CAL 1234, LOC 567, …" (those under 100 left out). */
function interruptsSince(a: Map<string, number>): string {
  const b = vppCpuInterrupts();
  const d = [...b].map(([k, n]) => [k, n - (a.get(k) ?? 0)] as const).filter(([, n]) => n >= 100).sort((x, y) => y[1] - x[1]);
  return d.length ? d.map(([k, n]) => `${k} ${n}`).join(', ') : 'none over 100';
}
/** The share of their time the clients' CPUs were busy since `a` (the clients, fibmgr's zebra stand-in, this bench and the kernel's work for their sockets). */
function clientBusy(a: { busy: number; all: number }): string {
  const b = clientCpus();
  return `${Math.round(100 * (b.busy - a.busy) / Math.max(1, b.all - a.all))}%`;
}
/** "busy / waiting for a CPU / idle" seconds of VPP from reading `a` to reading `b`, over `s` seconds of wall time (idle: neither). */
function vppTime(a: { busy: number; waiting: number }, b: { busy: number; waiting: number }, s: number): string {
  const busy = b.busy - a.busy;
  const waiting = b.waiting - a.waiting;
  return `${busy.toFixed(2)} / ${waiting.toFixed(2)} / ${Math.max(0, s - busy - waiting).toFixed(2)}`;
}

/**
 * fibmgr's process's CPU so far (`pid`: a turn's own process, or this one, whose main thread runs
 * the pipeline of the phases after the turns), in seconds: its main thread's and its other
 * threads' (V8's compiler and GC helpers, libuv's). Where fibmgr's start is slow, these
 * tell why: on one CPU, V8's optimizing compiler takes the main thread's time while the code it is
 * compiling still runs unoptimized.
 */
function threadCpu(pid: number = process.pid): { main: number; other: number } {
  let main = 0;
  let other = 0;
  for (const t of threadTimes(pid)) {
    if (t.tid === String(pid)) main += t.busy;
    else other += t.busy;
  }
  return { main, other };
}

/** How long "the start of a sync" is: VPP's idle time in it is reported apart (a client's start is where it differs most). */
const EARLY_MS = 500;
interface PassTimes {
  /** Wall seconds since the pass began. */
  s: number;
  /** VPP's "busy / waiting / idle" seconds, its CPU share, and how busy the clients' CPUs were (VPP's: "?" or NaN when VPP was restarted in the pass). */
  vppTime: string;
  /** VPP's busy seconds alone (the first of vppTime, from the same reading). */
  vppBusy: number;
  vppShare: number;
  clientBusy: string;
  /**
   * VPP's idle time over the first ~EARLY_MS, as "IDLE of the first SPAN ms": a timer reads it,
   * and fires late when this process is busy (in fibmgr's phases after the turns, whose pipeline runs here), so
   * the span it covers is said, not scaled (VPP's idle time is bunched at the start: scaled, a
   * late reading would understate it).
   */
  startIdle: string;
  /** fibmgr's process's CPU over the same span as startIdle: "main M ms, other threads O ms" (a turn's own process, or this one for the phases after the turns). */
  startCpu: string;
  /** Seconds stolen from VPP's CPU by the hypervisor over the pass (vppStolen). */
  stolen: number;
  /** VPP's page faults over the pass, "minor / major". */
  vppFaults: string;
  /** VPP's read() calls over the pass and their mean size: "N of M B". */
  vppReads: string;
  /** VPP's CPU seconds over the pass in its own code and in the kernel's (its socket calls, page faults): "user / system". */
  vppUserSys: string;
  /** The interrupts VPP's CPU took over the pass, by kind (interruptsSince). */
  vppInterrupts: string;
  /** REAL_BENCH_SENDS: VPP's send() calls over the pass and how many went out (sendsPass); '' without it. */
  vppSends: Promise<string>;
}
/**
 * Starts watching a pass from VPP's side and the clients' CPUs, and fibmgr's process (`fibmgrPid`:
 * this one, or a turn's own) over the start; the function returned ends it.
 */
function watchPass(label: string, fibmgrPid: number = process.pid): () => PassTimes {
  const perf = perfPass(label);
  const sends = sendsPass();
  const v0 = vppProcess();
  const irq0 = vppCpuInterrupts();
  const sched0 = vppSched();
  const stolen0 = vppStolen();
  const cpus0 = clientCpus();
  const t0 = performance.now();
  let startIdle = '';
  let startCpu = '';
  const threads0 = threadCpu(fibmgrPid);
  const timer = setTimeout(() => {
    let b: { busy: number; waiting: number };
    try {
      b = vppSched();
    } catch {
      startIdle = '? (VPP was restarting)'; // a fault phase's: its /proc entry was gone
      return;
    }
    const wall = (performance.now() - t0) / 1000;
    const idle = Math.max(0, wall - (b.busy - sched0.busy) - (b.waiting - sched0.waiting));
    startIdle = `${Math.round(idle * 1000)} of the first ${Math.round(wall * 1000)} ms`;
    let th: { main: number; other: number };
    try {
      th = threadCpu(fibmgrPid);
    } catch {
      startCpu = '? (fibmgr\'s process had ended)';
      return;
    }
    startCpu = `main thread ${Math.round((th.main - threads0.main) * 1000)} ms, other threads ${Math.round((th.other - threads0.other) * 1000)} ms`;
  }, EARLY_MS);
  return () => {
    clearTimeout(timer);
    perf?.kill('SIGINT'); // perf writes its file and exits
    const s = (performance.now() - t0) / 1000;
    const v = vppProcess();
    const sched = vppSched();
    // a VPP restarted in the pass (a fault phase's) is another process: none of its counters are the pass's
    const same = v.id === v0.id;
    const ofVpp = (text: () => string): string => (same ? text() : '? (VPP restarted)');
    const calls = v.readCalls - v0.readCalls;
    return {
      s, vppTime: ofVpp(() => vppTime(sched0, sched, s)), vppBusy: same ? sched.busy - sched0.busy : NaN, vppShare: same ? (v.user + v.sys - v0.user - v0.sys) / s : NaN,
      clientBusy: clientBusy(cpus0), startIdle: startIdle || `? (the pass took under ${EARLY_MS} ms)`, startCpu: startCpu || '?', stolen: vppStolen() - stolen0,
      vppFaults: ofVpp(() => `${v.minor - v0.minor} / ${v.major - v0.major}`), vppReads: ofVpp(() => `${calls} of ${Math.round((v.readBytes - v0.readBytes) / Math.max(1, calls))} B`),
      vppUserSys: ofVpp(() => `${(v.user - v0.user).toFixed(2)} / ${(v.sys - v0.sys).toFixed(2)}`), vppInterrupts: interruptsSince(irq0),
      // perf stopped either way; a restarted VPP's counts are not the pass's
      vppSends: sends === null ? Promise.resolve('') : sends().then((text) => ofVpp(() => text)),
    };
  };
}

/** A knob that watches VPP with perf (REAL_BENCH_PERF_DIR, REAL_BENCH_SENDS) ends the run at once when there is none, not pass by pass. */
function requirePerf(knob: string): void {
  if (spawnSync('perf', ['--version']).status !== 0) throw new Error(`${knob}: no perf here (Debian: linux-perf)`);
}
/** REAL_BENCH_PERF_DIR: where each pass's profile of VPP's main thread goes (NN-label.data), or null. */
const PERF_DIR = process.env.REAL_BENCH_PERF_DIR || null;
if (PERF_DIR) requirePerf('REAL_BENCH_PERF_DIR');
let perfPasses = 0;
/**
 * A `perf record` of VPP's main thread (its tid is VPP's pid) for one pass, sampled on the CPU
 * clock (hardware counters are often missing on a VM): `perf report -i FILE -n --sort dso,sym`.
 */
function perfPass(label: string): ChildProcess | null {
  if (!PERF_DIR) return null;
  const file = `${PERF_DIR}/${String(++perfPasses).padStart(2, '0')}-${label.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '')}.data`;
  const perf = spawn('perf', ['record', '-q', '-F', '997', '-e', 'cpu-clock', '-t', String(vpp.pid), '-o', file], { stdio: 'ignore' });
  // checked at the start; a perf that cannot start costs its profile, not the run
  perf.on('error', (e) => console.error(`bench:real: perf record for ${label}: ${e.message}`));
  return perf;
}

/**
 * REAL_BENCH_SENDS=1: VPP's send() calls over a pass (`perf stat` on its syscalls' exit
 * tracepoint), and how many of them went out: the replies a client let go out one by one by
 * emptying VPP's socket (how VPP's socket API flushes, and what the counts leave out: README,
 * Benchmarks, bench:real). Off by default: the tracepoint costs VPP time on every call.
 */
const SENDS = process.env.REAL_BENCH_SENDS === '1';
if (SENDS) requirePerf('REAL_BENCH_SENDS');
function sendsPass(): (() => Promise<string>) | null {
  if (!SENDS) return null;
  const exit = 'syscalls:sys_exit_sendto';
  const perf = spawn('perf', ['stat', '-x', ',', '-e', exit, '--filter', 'ret < 0', '-e', exit, '-p', String(vpp.pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let out = '';
  perf.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  // checked at the start; a perf that never ran has nothing to close, and shows as no counts
  const done = new Promise<void>((resolve) => {
    perf.once('close', () => resolve());
    perf.on('error', () => resolve());
  });
  return async () => {
    perf.kill('SIGINT'); // perf prints its counts and exits
    // one that does not is killed rather than waited on, and the note says so
    let killed = false;
    const stuck = setTimeout(() => { killed = perf.kill('SIGKILL'); }, 10_000);
    await done;
    clearTimeout(stuck);
    if (killed) return '? (perf did not stop on SIGINT; killed)';
    const [failed, all] = out.split('\n').filter((l) => l.includes(exit)).map((l) => Number(l.split(',')[0]));
    if (!Number.isFinite(failed) || !Number.isFinite(all)) return `? (perf: ${out.trim().split('\n').pop() || 'no output'})`;
    return `${all} sends, ${all - failed!} out`;
  };
}

/** Page faults per million routes, in thousands ("62k"). */
const perMillion = (faults: number): string => `${Math.round(faults / TOTAL * 1e3)}k`;
/**
 * What the first touch of a page costs on this machine (µs), measured once: a client whose memory
 * grows while it works pays it on its own thread (fibmgr's table is built during the sync; the raw
 * client packs its requests beforehand).
 */
const faultUs = pageFaultCost();

interface Row { run: string; routes: number; seconds: number; 'routes/s': number | ''; 'vs raw': string; 'client CPU s per 1M': string; 'client page faults per 1M': string; 'clients\' CPUs busy': string; 'VPP CPU share': string; 'VPP busy / waiting / idle s': string; 'peak RSS B/route': string; converged: string; note: string }
const rows: Row[] = [];
/** A row of the table: the columns a pass does not measure are blank (the columns in Row's order). */
const row = ({ run, routes, seconds, ...measured }: Pick<Row, 'run' | 'routes' | 'seconds'> & Partial<Row>): Row => ({
  run, routes, seconds, 'routes/s': '', 'vs raw': '', 'client CPU s per 1M': '', 'client page faults per 1M': '', 'clients\' CPUs busy': '',
  'VPP CPU share': '', 'VPP busy / waiting / idle s': '', 'peak RSS B/route': '', converged: '', note: '', ...measured,
});
let best: { s: number; label: string; shape: readonly [number, number, number] } | null = null;
/** What missed the issue's targets or left VPP wrong (the exit status says so too). */
const failures: string[] = [];

/** This process's resident set now, and its peak since the last resetPeakRss() (Linux: VmHWM, reset by clear_refs 5). */
const status = (field: string): number => Number(readFileSync('/proc/self/status', 'utf8').match(new RegExp(`${field}:\\s+(\\d+)`))![1]) * 1024;
const rss = (): number => status('VmRSS');
const peakRssNow = (): number => status('VmHWM');
const resetPeakRss = (): void => writeFileSync('/proc/self/clear_refs', '5');

// ---- 1. VPP's own CLI: the FIB's insert rate with no API in the way
{
  const t0 = performance.now();
  const c0 = vppCpu();
  await vpp.cli(`ip route add count ${V4} 11.0.0.0/32 via 10.0.2.2`);
  const s = (performance.now() - t0) / 1000;
  const share = (vppCpu() - c0) / s;
  rows.push(row({ run: `VPP CLI: ip route add count ${V4} (IPv4 only)`, routes: V4, seconds: +s.toFixed(2), 'routes/s': Math.round(V4 / s), 'VPP CPU share': `${Math.round(share * 100)}%`, note: 'incl. vppctl start' }));
  await vpp.cli(`ip route del count ${V4} 11.0.0.0/32 via 10.0.2.2`);
}

// ---- 2. a raw pipelined client (bench/lib/raw-client, a process of its own per pass, so that its
// packed requests never count in fibmgr's RSS here)
async function rawPass(window: number, batch: number, gatherMs: number, isAdd: boolean, src: number): Promise<PassTimes & { cpu: number; faults: number; failed: number; reads: number }> {
  const child = forkChild('lib/raw-client', [vpp.apiSock, String(V4), String(V6), String(window), String(batch), gatherMs ? `g${gatherMs}` : '', isAdd ? 'add' : 'del', String(src), String(SNDBUF)]);
  const next = (): Promise<any> => nextMessage(child, 'raw client');
  await next(); // packed and connected
  const end = watchPass(`raw-${isAdd ? 'add' : 'del'}-src${src}`);
  child.send('go');
  const r = await next();
  const times = end();
  await new Promise((resolve) => child.once('exit', resolve));
  // the pass's seconds are the child's own (r.s, from 'go' to its last reply); VPP's and the CPUs' span this process's
  return { ...times, ...r };
}

/** bench/lib/memory-load at the lowest priority, once its first pass is done (REAL_BENCH_AA=raw+load). */
async function memoryLoad(): Promise<ChildProcess> {
  const child = forkChild('lib/memory-load', [String(AA_LOAD_MB)]);
  try {
    setPriority(child.pid!, 19);
    await nextMessage(child, 'memory load');
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return child;
}

const rawLabel = (window: number, batch: number, gatherMs: number): string => `raw client (bulk encoder, packed beforehand), window ${window}, ${batch} per write${gatherMs ? `, replies read every ${gatherMs} ms` : ''}`;
const admin = { c: await openVpp(vpp.apiSock) };
/** Routes VPP holds under source `name` (a dump, counted): after a VPP restart, on a new admin session. */
async function held(name: string): Promise<number> {
  if (!admin.c.connected) admin.c = await openVpp(vpp.apiSock);
  const src = await sourceId(admin.c, name);
  return src === undefined ? 0 : countOf(admin.c, src);
}

// ---- 2. the raw client on a cleared FIB (each pass adds every route, then deletes them): the best
// window / batch / reading is the reference
const rawSrc = (await admin.c.request<any, any>(fib_source_add, { src: { priority: 100, name: 'rawbench' } })).id as number;
for (const [window, batch, gatherMs] of WINDOWS) {
  const add = await rawPass(window, batch, gatherMs, true, rawSrc);
  const inVpp = await held('rawbench');
  const label = rawLabel(window, batch, gatherMs);
  rows.push(row({ run: label, routes: TOTAL, seconds: +add.s.toFixed(2), 'routes/s': Math.round(TOTAL / add.s), 'client CPU s per 1M': (add.cpu / TOTAL * 1e6).toFixed(2), 'client page faults per 1M': perMillion(add.faults), 'clients\' CPUs busy': add.clientBusy, 'VPP CPU share': `${Math.round(add.vppShare * 100)}%`, 'VPP busy / waiting / idle s': add.vppTime, note: `${add.failed} failed, VPP holds ${inVpp}, ${add.reads} reads; VPP's CPU stolen ${add.stolen.toFixed(2)} s` }));
  if (!best || add.s < best.s) best = { s: add.s, label, shape: [window, batch, gatherMs] };
  await rawPass(window, batch, gatherMs, false, rawSrc);
  if (await held('rawbench') !== 0) throw new Error('the raw client\'s routes are still in VPP');
}

// ---- 3. fibmgr end to end on the same VPP, its FIB cleared: a zebra-like FPM stream
// (bench/lib/fpm-sender, its own process) → fibmgr's pipeline (in turns, 3a: a process of its
// own each turn; the phases after them in this process, where their peak RSS is read) → VPP
const sender = await forkSender(V4, V6);
/** This process's RSS with no pipeline (after a full GC): what fibmgr's B/route are counted over. */
function baseRss(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return rss();
}
/** Counted over the base before the first pipeline, in every phase: what a later pipeline finds resident of an earlier one is the process's too. */
const rssBase = baseRss();
const pipelineOpts = { socketPath: vpp.apiSock, resyncGraceMs: GRACE_MS, window: fibmgrWindow, notify: NOTIFY, logLevel: process.env.REAL_BENCH_LOG ?? 'warn', auditClient: true, sendBuffer: SNDBUF, ...(TIMEOUT_MS ? { timeoutMs: TIMEOUT_MS } : {}), gatherReplies: FIBMGR_GATHER };
/**
 * A fresh fibmgr (the last one stopped, its garbage collected first), warmed up as the daemon is:
 * connected, started, listening for zebra. Built right before the pass it is for, as the daemon
 * starts a few seconds before zebra's replay (dplane_fpm_nl retries every 3 s) and as the raw
 * client's process is forked and packs its requests right before its pass.
 */
async function freshPipeline(): Promise<void> {
  await stopPipeline();
  // the last one (stopped) unreachable first: held here during the GC, its 1.2M routes were
  // collected during the next one's sync instead, an old-generation GC in the middle of it
  pipeline = null!;
  // as the daemon does before it listens for zebra (--warm-up-routes); its garbage collected
  // below with the last pipeline's
  await warmUpAsDaemon(pipelineOpts, WARM_UP_ROUTES, WARM_UP_PASSES_HERE);
  baseRss();
  ({ pipeline, port: fpmPort } = await listeningPipeline(pipelineOpts));
  pipelineLive = true;
}
/** fibmgr stops (VPP keeps its routes); once. */
async function stopPipeline(): Promise<void> {
  if (!pipelineLive) return;
  pipelineLive = false;
  await pipeline.stop();
}
let pipeline!: Pipeline;
let pipelineLive = false;
let fpmPort = 0;
const routeWrites = (): number => [...pipeline.client.requestStats()].filter(([name]) => name.startsWith('ip_route_add_del')).reduce((a, [, st]) => a + st.count, 0);
const acked = (): number => pipeline.rec.state().counters.acked;
const converged = (): boolean => syncConverged(pipeline.rec, TOTAL);

/**
 * One fibmgr phase: `start` begins it, `fault` (optional) strikes mid-way and resolves when it is
 * over (VPP thawed / answering again), and the phase ends when `done` holds. Peak RSS is this
 * phase's own (the high-water mark is reset at its start), counted over the pipeline-less base.
 */
async function fibmgrPhase(name: string, start: () => void | Promise<void>, done: () => boolean, fault?: () => Promise<void>): Promise<void> {
  resetPeakRss();
  const w0 = routeWrites();
  const reads0 = pipeline.client.socketReads();
  const t0 = pipeline.rec.state().counters.timeouts;
  const m = measure();
  const end = watchPass(name.replace(/\(.*$/, '').slice(0, 48));
  await start();
  let faultOver = 0;
  if (fault) {
    await fault();
    faultOver = m.seconds();
  }
  await until(name, done, Infinity);
  await pipeline.rec.idle();
  const { s, vppTime: vppTimes, vppShare, clientBusy: busy, startIdle, startCpu, stolen } = end();
  const cpu = m.cpuS();
  const timeouts = pipeline.rec.state().counters.timeouts - t0;
  const short = pipeline.sendBufferShort();
  if (short) failures.push(`${name}: fibmgr's VPP socket: send buffer: ${short}`);
  rows.push(row({
    run: name, routes: TOTAL, seconds: +s.toFixed(2), 'routes/s': fault ? '' : Math.round(TOTAL / s),
    'client CPU s per 1M': (cpu / TOTAL * 1e6).toFixed(2), 'client page faults per 1M': perMillion(m.faults()), 'clients\' CPUs busy': fault ? '' : busy, 'VPP CPU share': fault ? '' : `${Math.round(vppShare * 100)}%`, 'VPP busy / waiting / idle s': fault ? '' : vppTimes,
    'peak RSS B/route': String(Math.round((peakRssNow() - rssBase) / TOTAL)),
    converged: fault ? `${(s - faultOver).toFixed(2)} s after` : '',
    note: `${routeWrites() - w0} route writes, ${pipeline.client.socketReads() - reads0} reads of VPP's socket${timeouts ? `, ${timeouts} timed out` : ''}${fault ? '' : `; VPP's CPU stolen ${stolen.toFixed(2)} s; VPP idle at the start: ${startIdle}, fibmgr's process then: ${startCpu}`}`,
  }));
}
/** Resolves once `cond` holds (polled), for a fault to strike mid-replay. */
const midway = (what: string, cond: () => boolean): Promise<void> => until(what, cond, Infinity);
const checkHeld = async (): Promise<void> => {
  const n = await held('fibmgr');
  rows.at(-1)!.note += `, VPP holds ${n}`;
  if (n !== TOTAL) failures.push(`${rows.at(-1)!.run}: VPP holds ${n} of fibmgr's routes, not ${TOTAL}`);
};

// ---- 3a. fibmgr against the raw client, turn about: the best raw shape and fibmgr's first sync
// alternate on the same VPP, ROUNDS times, each on a cleared FIB. The best of several raw passes
// against one fibmgr pass would compare a minimum with a draw, and VPP's cost per route drifts
// over a run by up to half (the first API pass after VPP starts is the slowest): in turns, each
// round compares neighbours, who goes first alternates (raw first in odd rounds, fibmgr in even
// ones; a three-way run's three rotate over six orders, bench/lib/turn-order: a drift favours
// none), and the target is judged on the median raw time over the median fibmgr time and on the
// median of each round's own ratio (both must reach it). fibmgr's routes are cleared by the raw
// client's delete pass under fibmgr's source.
/** A client's turn in a round: its seconds, and VPP's busy seconds under it (the seconds beyond them are what it adds to VPP's own work). */
interface Turn { s: number; busy: number }
const turnOf = (p: { s: number; vppBusy: number }): Turn => ({ s: p.s, busy: p.vppBusy });
/**
 * Per round, each client's turn. `second`: fibmgr's, or the raw client's copy's in an A/A run
 * (sideB); `copy`: the copy's, in a three-way run (REAL_BENCH_AA=three). The copy is in one of
 * the two, never both.
 */
const turns: { raw: Turn; second: Turn; copy?: Turn }[] = [];
/** Routes short of the end from which fibmgr's turn polls every 1 ms (~0.1 s of VPP's work). */
const NEAR_END = 20_000;
if (best && ROUNDS > 0) {
  const [window, batch, gatherMs] = best.shape;
  /** The raw client's add pass, then its delete pass; `load`: with the memory load running during the add pass. */
  const rawTurn = async (load = false): Promise<Awaited<ReturnType<typeof rawPass>>> => {
    const loader = load ? await memoryLoad() : null;
    let add: Awaited<ReturnType<typeof rawPass>>;
    try {
      add = await rawPass(window, batch, gatherMs, true, rawSrc);
    } finally {
      loader?.kill('SIGKILL');
    }
    const del = await rawPass(window, batch, gatherMs, false, rawSrc);
    // the next turn, whoever's, starts on a cleared FIB
    if (add.failed || del.failed) throw new Error(`in turns: the raw client's requests failed (${add.failed} adds, ${del.failed} deletes)`);
    if (await held('rawbench') !== 0) throw new Error('in turns: the raw client\'s routes are still in VPP after its delete pass');
    return add;
  };
  /**
   * A fresh fibmgr in a process of its own, warmed up, and its first sync; then it stops (VPP
   * keeps its routes) and they are deleted under its source. A process of its own, as the daemon
   * is and as the raw client's passes are (forked right before theirs): in this process (until
   * run X) it shared the heap, the compiled code and the event loop with the bench's own work and
   * with the earlier turns' fibmgrs. Built for its turn, not at the end of the last one: one that
   * waited through the raw client's turn lost most of its warm-up (README, run T); a daemon's zebra
   * comes within ~3 s (dplane_fpm_nl's retry). Its seconds are clocked as the raw client's are
   * (from its first write, connected beforehand, to its last reply): from zebra's FPM session
   * starting to the last route acknowledged, by fibmgr's process. Telling the zebra stand-in to
   * send and its connect are not fibmgr's time, nor is the poll's lag: the end is polled every
   * 1 ms once it is near (every 20 ms before, as the poll runs on fibmgr's own thread). VPP's busy
   * / waiting / idle times span the whole watch, from before the stand-in is told to send, as the
   * raw client's do.
   */
  const fibmgrTurn = async (round: number, flags: string[]): Promise<PassTimes & { faults: number; reads: number }> => {
    const child = forkFibmgr('lib/fibmgr-turn', [JSON.stringify({ opts: pipelineOpts, warmUpRoutes: WARM_UP_ROUTES, warmUpPasses: WARM_UP_PASSES_HERE, total: TOTAL, nearEnd: NEAR_END })], flags);
    // 'close': the exit, and every message it sent before it (its problem) delivered
    const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
    const forked = new Promise<never>((_, reject) => child.once('error', (err) => reject(new Error(`in turns: fibmgr's process: ${err.message}`))));
    const next = <T>(key: string): Promise<T> => Promise.race([forked, new Promise<T>((resolve, reject) => {
      const on = (m: any): void => {
        if (m && typeof m === 'object' && 'problem' in m) reject(new Error(`in turns: fibmgr's process: ${m.problem}`));
        else if (m && typeof m === 'object' && key in m) resolve(m[key] as T);
        else return;
        child.off('message', on);
      };
      child.on('message', on);
      void closed.then((code) => reject(new Error(`in turns: fibmgr's process exited (${code}) before ${key}`)));
    })]);
    let r: PassTimes & { faults: number; reads: number };
    try {
      const port = await next<number>('listening');
      const faults0 = minorFaults(child.pid!);
      const end = watchPass(`fibmgr-turn-round${round}`, child.pid!);
      const done = next<{ s: number; reads: number; short: string | null }>('done');
      sender.send({ send: port });
      const d = await done;
      r = { ...end(), s: d.s, faults: minorFaults(child.pid!) - faults0, reads: d.reads };
      if (d.short) throw new Error(`in turns: fibmgr's VPP socket: send buffer: ${d.short}`);
      sender.send('close');
      child.send('stop');
      const code = await Promise.race([closed, new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 60_000).unref())]);
      if (code !== 0) throw new Error(`in turns: fibmgr's process did not stop cleanly (${code === 'late' ? 'still running after 60 s' : `exit ${code}`})`);
    } finally {
      // whatever went wrong, no fibmgr is left holding its FPM port and VPP sessions
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    const fibSrc = await sourceId(admin.c, 'fibmgr');
    if (fibSrc === undefined) throw new Error('no fibmgr source in VPP after a first sync');
    await rawPass(window, batch, gatherMs, false, fibSrc);
    if (await held('fibmgr') !== 0) throw new Error('fibmgr\'s routes are still in VPP after the delete pass');
    return r;
  };
  /** REAL_BENCH_TURN_FLAGS, or _B in rounds 3-4, 7-8, …: a pair each, so that each side has as many raw-first rounds as fibmgr-first ones. */
  const words = (v: string | undefined): string[] => (v ?? '').split(' ').filter(Boolean);
  const flagsA = words(process.env.REAL_BENCH_TURN_FLAGS);
  const flagsB = process.env.REAL_BENCH_TURN_FLAGS_B === undefined ? flagsA : words(process.env.REAL_BENCH_TURN_FLAGS_B);
  const turnFlags = (round: number): string[] => (Math.floor((round - 1) / 2) % 2 === 1 ? flagsB : flagsA);
  const names = { raw: 'raw', copy: 'raw B', fibmgr: 'fibmgr' } as const;
  for (let r = 1; r <= ROUNDS; r++) {
    const flags = turnFlags(r);
    const turnB = (): ReturnType<typeof fibmgrTurn> => (NO_FIBMGR_TURNS ? rawTurn(AA === 'raw+load') : fibmgrTurn(r, flags));
    const order = turnOrder(r, THREE);
    const got: { raw?: Awaited<ReturnType<typeof rawTurn>>; copy?: Awaited<ReturnType<typeof rawTurn>>; fibmgr?: Awaited<ReturnType<typeof fibmgrTurn>> } = {};
    for (const who of order) {
      if (who === 'fibmgr') got.fibmgr = await turnB();
      else got[who] = await rawTurn();
    }
    const rawAdd = got.raw!;
    const f = got.fibmgr!;
    const copy = got.copy;
    turns.push({ raw: turnOf(rawAdd), second: turnOf(f), ...(copy ? { copy: turnOf(copy) } : {}) });
    const copyNote = copy ? `raw B ${copy.s.toFixed(2)} s (raw B vs raw ${(rawAdd.s / copy.s).toFixed(2)}x), VPP busy under raw B ${copy.vppBusy.toFixed(2)} s${SENDS ? `, VPP's replies under raw B ${await copy.vppSends}` : ''}; ` : '';
    rows.push(row({
      run: `round ${r} (${THREE ? order.map((w) => names[w]).join(', ') : `${order[0] === 'fibmgr' ? sideB : 'raw'} first`}): ${rawLabel(window, batch, gatherMs)} / ${NO_FIBMGR_TURNS ? sideB : `fibmgr first sync, window ${fibmgrWindow}, ${fibmgrReading}`}`, routes: TOTAL, seconds: +f.s.toFixed(2), 'routes/s': Math.round(TOTAL / f.s), 'vs raw': `${(rawAdd.s / f.s).toFixed(2)}x`,
      'client page faults per 1M': `raw ${perMillion(rawAdd.faults)}, ${sideB} ${perMillion(f.faults)}`, 'clients\' CPUs busy': `raw ${rawAdd.clientBusy}, ${sideB} ${f.clientBusy}`, 'VPP busy / waiting / idle s': `raw ${rawAdd.vppTime}; ${sideB} ${f.vppTime}`,
      note: `raw ${rawAdd.s.toFixed(2)} s; ${copyNote}reads of VPP's socket: raw ${rawAdd.reads}, ${sideB} ${f.reads}; VPP's CPU stolen by the hypervisor: raw ${rawAdd.stolen.toFixed(2)} s, ${sideB} ${f.stolen.toFixed(2)} s; VPP's page faults (minor / major): raw ${rawAdd.vppFaults}, ${sideB} ${f.vppFaults}; VPP's reads: raw ${rawAdd.vppReads}, ${sideB} ${f.vppReads}; VPP's user / system s: raw ${rawAdd.vppUserSys}, ${sideB} ${f.vppUserSys}; VPP's CPU's interrupts: raw (${rawAdd.vppInterrupts}), ${sideB} (${f.vppInterrupts});${SENDS ? ` VPP's replies: raw ${await rawAdd.vppSends}, ${sideB} ${await f.vppSends};` : ''} VPP idle at the start: raw ${rawAdd.startIdle}, ${sideB} ${f.startIdle}; ${NO_FIBMGR_TURNS ? 'this bench' : 'fibmgr'}'s process then: ${f.startCpu}${flags.length ? `; fibmgr's node flags + ${flags.join(' ')}` : ''}`,
    }));
  }
}

await freshPipeline();
await fibmgrPhase(`fibmgr end to end: first sync (FPM in, VPP API out), window ${fibmgrWindow}, ${fibmgrReading}`, () => { sender.send({ send: fpmPort }); }, converged);
await checkHeld();
const resync0 = pipeline.rec.state().lastResync;
await fibmgrPhase(`fibmgr: unchanged resync (zebra reconnects, incl. ${GRACE_MS} ms grace)`, () => { sender.send('close'); sender.send({ send: fpmPort }); }, () => { const st = pipeline.rec.state(); return st.lastResync !== resync0 && !st.resyncing && st.backlog === 0; });

if (FAULTS) {
  // ---- 4. VPP killed mid-replay: VPP dies (SIGKILL) and comes back empty; fibmgr reconnects and
  // replays the table; half-way through VPP dies again and comes back; fibmgr converges
  await fibmgrPhase('fibmgr: VPP killed, restarted, killed again mid-replay, restarted',
    async () => { vpp.kill('SIGKILL'); await vpp.restart(); },
    converged,
    async () => {
      const a0 = acked();
      await midway('the replay into the restarted VPP to be half done', () => acked() - a0 >= TOTAL / 2);
      vpp.kill('SIGKILL');
      await vpp.restart();
    });
  await checkHeld();

  // ---- 5. VPP frozen for 15 s mid-replay: a fresh fibmgr (the last one stopped, VPP restarted
  // empty) takes zebra's replay; half-way through, VPP is stopped (SIGSTOP) for 15 s, then thawed
  await stopPipeline();
  await vpp.restart();
  await freshPipeline();
  await fibmgrPhase(`fibmgr: first sync with VPP frozen (SIGSTOP) ${FREEZE_MS / 1000} s mid-replay`,
    () => { sender.send({ send: fpmPort }); },
    converged,
    async () => {
      await midway('the first sync to be half done', () => acked() >= TOTAL / 2);
      vpp.kill('SIGSTOP');
      await new Promise((r) => setTimeout(r, FREEZE_MS));
      vpp.kill('SIGCONT');
    });
  await checkHeld();
}
await stopPipeline();
sender.send('exit');
const fibmgrRows = rows.filter((r) => r.run.startsWith('fibmgr end'));

if (best) for (const r of fibmgrRows) r['vs raw'] = `${(best.s / r.seconds).toFixed(2)}x`;
/** The median; of an even count, the mean of the middle two (before run AA: the upper one, which leaned towards the target). */
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
/** A ratio as the summary prints it: one short of the target with as many decimals as it takes not to show as 1.00 (up to 6). */
const ratioText = (r: number): string => {
  let d = 2;
  while (r < 1 && d < 6 && Number(r.toFixed(d)) >= 1) d++;
  return r.toFixed(d);
};
/**
 * `a` against `b` over the same rounds ("a vs b": b's seconds over a's, above 1 `a` is faster):
 * the median of b's seconds over the median of a's, and the median of each round's own ratio. A
 * round's passes run back to back (~30 s for two, ~45 s for a three-way run's three, raw B's
 * between raw's and fibmgr's in a third of them), where VPP's speed holds for minutes at a time and
 * then moves by a third to a half (runs Z, AA), so a round compares the clients on one VPP speed,
 * and the median over medians compares which speed each client's passes happened to fall on. The
 * target is met only when both say so.
 */
interface Comparison { overMedians: number; perRound: number[]; paired: number }
function compare(a: Turn[], b: Turn[]): Comparison {
  const perRound = a.map((t, i) => b[i]!.s / t.s);
  return { overMedians: median(b.map((t) => t.s)) / median(a.map((t) => t.s)), perRound, paired: median(perRound) };
}
/** What the target is judged on: sideB (fibmgr unless an A/A run) against the raw client; null without turns. */
const sideBVsRaw = turns.length ? compare(turns.map((t) => t.second), turns.map((t) => t.raw)) : null;
/**
 * A distribution-free interval for the median of `xs`, at least `level` sure if the rounds were
 * independent draws (VPP's speed holds for minutes, so neighbouring rounds are not quite): the
 * k-th smallest and k-th largest, k the most that the binomial(n, ½) tail below k allows (under 6
 * values there is none at 95%; at 6-8 it is the whole range). One that excludes 1.0 says fibmgr is
 * above or below the raw client beyond VPP's swings; one that holds 1.0 says neither.
 */
function medianInterval(xs: number[], level = 0.95): [number, number] | null {
  const n = xs.length;
  const s = [...xs].sort((a, b) => a - b);
  let tail = 0; // P(Bin(n, ½) < k)
  let logChoose = 0; // ln C(n, k); in logs, as 2^n overflows from n = 1024
  let k = 0;
  while (k < n / 2) {
    const next = tail + Math.exp(logChoose - n * Math.LN2); // P(Bin(n, ½) < k + 1)
    if (2 * next > 1 - level) break;
    tail = next;
    k++;
    logChoose += Math.log((n - k + 1) / k);
  }
  return k === 0 ? null : [s[k - 1]!, s[n - k]!];
}
console.table(rows);
console.log(`routes: ${V4} IPv4 /32 + ${V6} IPv6 /64, each via 2 recursive next hops (64 pairs); VPP ${vpp.version}; best raw: ${best?.label}`);
console.log(PIN === null ? 'unpinned: VPP shares its CPUs with the clients (REAL_BENCH_PIN=0)' : `VPP's main thread on CPU ${PIN}, this bench, fibmgr and the raw client on CPUs 0-${PIN - 1}`);
if (PIN !== null) console.log(`VPP's core ${process.env.REAL_BENCH_CORE ?? 'not kept'}`);
console.log(SNDBUF > 0 ? `both clients' VPP socket: a ${SNDBUF / 1048576} MB kernel send buffer (fibmgr's --vpp-send-buffer; REAL_BENCH_SNDBUF=0: the system's)` : `both clients' VPP socket: the system's send buffer (REAL_BENCH_SNDBUF=0)`);
console.log(`a page fault (the first touch of 4 KB of new memory) costs ${faultUs.toFixed(1)} µs on this machine (64 MB touched)`);
console.log('targets (issue 21): fibmgr ≥ 1.0x the raw client, ≤ 300 B/route in every phase, 0 route writes on an unchanged resync');
/** Prints `c` (`a` against `b`) and VPP's busy seconds under `a` minus under `b`, per round. */
function printComparison(aName: string, bName: string, a: Turn[], b: Turn[], c: Comparison): void {
  const secs = (ts: Turn[]): string => ts.map((t) => t.s.toFixed(2)).join(' / ');
  console.log(`${aName} vs ${bName} in turns (${a.length} rounds, median over median): ${ratioText(c.overMedians)}x (${bName} ${secs(b)} s, ${aName} ${secs(a)} s)`);
  const ci = medianInterval(c.perRound);
  console.log(`${aName} vs ${bName} in turns (median of each round's ratio): ${ratioText(c.paired)}x (${c.perRound.map((r) => r.toFixed(2)).join(' / ')}); ${ci ? `95% interval of that median ${ci[0].toFixed(3)}–${ci[1].toFixed(3)} (order statistics)` : 'too few rounds for a 95% interval of that median (6 at least)'}`);
  // the rest of a round's difference: VPP's own busy time under each client in the same round
  // (fibmgr's watch starts before the zebra stand-in is told to send, the raw client's right
  // before its first write: what VPP does meanwhile counts against fibmgr, a little)
  const busyMore = a.map((t, i) => t.busy - b[i]!.busy);
  console.log(`VPP's busy seconds under ${aName} minus under ${bName}, per round: median ${median(busyMore).toFixed(2)} (${busyMore.map((x) => x.toFixed(2)).join(' / ')})`);
}
if (sideBVsRaw !== null) {
  const raw = turns.map((t) => t.raw);
  const second = turns.map((t) => t.second);
  printComparison(sideB, 'the raw client', second, raw, sideBVsRaw);
  // VPP's own speed moves by a third to a half between passes on a shared host, under either client:
  // what each client adds beyond VPP's busy time does not (the raw pass's seconds are its own
  // process's, a little shorter than the bench's watch of VPP, so its figure can dip below 0)
  const beyond = (ts: Turn[]): string => {
    const xs = ts.map((t) => t.s - t.busy);
    return `median ${median(xs).toFixed(2)} (${xs.map((x) => x.toFixed(2)).join(' / ')})`;
  };
  const copies = THREE ? turns.map((t) => t.copy!) : null;
  console.log(`seconds beyond VPP's busy time in turns: raw ${beyond(raw)}, ${sideB} ${beyond(second)}${copies ? `, raw B ${beyond(copies)}` : ''}`);
  if (copies) {
    // the copy sends what the raw client sends: its ratios are what the bench reads between two
    // identical clients (the noise), on the VPP and in the rounds that fibmgr's were read on
    console.log('raw B, the raw client\'s copy, against the raw client (the noise), then fibmgr against raw B:');
    printComparison('raw B', 'the raw client', copies, raw, compare(copies, raw));
    printComparison('fibmgr', 'raw B', second, copies, compare(second, copies));
  }
}
const missed = [
  // the turns judge fibmgr when there are any (an A/A run's judge nothing), else the end-to-end sync does
  ...(sideBVsRaw === null
    ? fibmgrRows.filter((r) => r['vs raw'] && parseFloat(r['vs raw']) < 1).map((r) => `${r.run}: ${r['vs raw']} the raw client`)
    : NO_FIBMGR_TURNS
      ? []
      : ([['median over median', sideBVsRaw.overMedians], ['median of each round\'s ratio', sideBVsRaw.paired]] as const)
          .filter(([, r]) => r < 1).map(([how, r]) => `fibmgr in turns with the raw client: ${ratioText(r)}x (${how})`)),
  ...rows.filter((r) => Number(r['peak RSS B/route']) > 300).map((r) => `${r.run}: ${r['peak RSS B/route']} B/route`),
  ...rows.filter((r) => r.run.includes('unchanged resync') && !r.note.startsWith('0 route writes')).map((r) => `${r.run}: ${r.note}`),
];
if (NO_FIBMGR_TURNS) console.log(`an A/A run (REAL_BENCH_AA=${AA}): the turns judge no target, ${sideB} is not fibmgr`);
if (THREE) console.log('a three-way run (REAL_BENCH_AA=three): fibmgr is judged against the raw client as in any run; raw B, the raw client\'s copy, judges nothing and shows the noise');
for (const m of missed) console.log(`target missed: ${m}`);
for (const f of failures) console.log(`FAILED: ${f}`);
await admin.c.close();
for (const f of cleanups.reverse()) await f();
process.exit(failures.length ? 1 : 0);
