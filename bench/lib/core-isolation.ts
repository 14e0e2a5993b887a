// bench:real's REAL_BENCH_ISOLATE=1: the machine's other tasks kept off VPP's core for the run, the
// part of a deployment's `isolcpus` and IRQ affinity a running machine allows (why a pinned VPP
// still needs it, and what it leaves behind: README, Benchmarks, bench:real and run AE).
//
// What a run will move is written down before the first move and kept until everything is back,
// so a run whose first process was SIGKILLed is undone by the next one. Putting back touches only
// what still has the value the run gave it: whatever set an affinity since keeps its own.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { statField, statStartTime } from '../../src/fpm/socket-owner.js';

/** "0-2,5" → [0, 1, 2, 5]; null for anything else. */
export function parseCpuList(text: string): number[] | null {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return null;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) return null;
    for (let c = lo; c <= hi; c++) out.push(c);
  }
  return out;
}

/** The CPUs as a list (`taskset -c`, `smp_affinity_list`): [0, 1, 2, 5] → "0,1,2,5". */
export const formatCpuList = (cpus: readonly number[]): string => cpus.join(',');

/** The CPUs as the kernel's hex mask (the workqueue cpumask), in comma-separated 32-bit groups: [0, 2] → "5", [0, 32] → "1,00000001". */
export function cpuMask(cpus: readonly number[]): string {
  const bits = cpus.reduce((m, c) => m | (1n << BigInt(c)), 0n);
  const hex = bits.toString(16);
  const groups: string[] = [];
  for (let end = hex.length; end > 0; end -= 8) groups.unshift(hex.slice(Math.max(0, end - 8), end));
  return groups.map((g, i) => (i === 0 ? g : g.padStart(8, '0'))).join(',');
}

/** The kernel's hex mask as CPUs: "1,00000003" → [0, 1, 32]; [] for anything else. */
export function maskCpus(mask: string): number[] {
  if (!/^[0-9a-f]+(,[0-9a-f]+)*$/i.test(mask)) return [];
  const bits = BigInt(`0x${mask.replace(/,/g, '')}`);
  const out: number[] = [];
  for (let c = 0; bits >> BigInt(c) > 0n; c++) if ((bits >> BigInt(c)) & 1n) out.push(c);
  return out;
}

/** Where the affinities are read and how a thread's is set: the machine's, or a test's. */
export interface Machine {
  /** The root /proc, /sys and /run are under ('/'). */
  root: string;
  /** Sets a thread's CPUs (`taskset -pc`); false when the kernel refuses (a per-CPU kernel thread). */
  setThreadCpus(tid: string, cpus: string): boolean;
  /** This process, as the record's owner: its pid and start time. */
  self: { pid: string; born: string };
}

const THIS_MACHINE: Machine = {
  root: '/',
  setThreadCpus: (tid, cpus) => spawnSync('taskset', ['-pc', cpus, tid], { stdio: 'ignore' }).status === 0,
  get self() {
    return { pid: String(process.pid), born: statStartTime(read('/proc/self/stat') ?? '') ?? '' };
  },
};

const RECORD_VERSION = 1;

/** What one run moves, as it is kept on disk: every value as it was and as the run set it. */
interface IsolationRecord {
  version: typeof RECORD_VERSION;
  /** The process that moved them: while it lives, no other run touches them. */
  owner: { pid: string; born: string };
  cpu: number;
  /** `born` tells the same thread from a later one that took its id. */
  threads: { pid: string; tid: string; born: string; was: string; to: string }[];
  irqs: { irq: string; was: string; to: string }[];
  workqueues: { was: string; to: string } | null;
  /** Every thread there was when the run began (tid → start time): any other was born during it. */
  seen: { [tid: string]: string };
}

/** What putting back did. */
export interface PutBack {
  /** Affinities set back to what they were. */
  restored: number;
  /** Left alone: set to something else since the run moved them, their thread gone, or never moved (a run killed mid-way). */
  leftAlone: number;
  /** Tasks born during the run with a moved parent's narrowed set, given VPP's CPU back. */
  widened: number;
  /** What the kernel refused to put back or widen, as "thread 123: 0 → 0-1" and the like. */
  failed: string[];
}

export interface CoreIsolation {
  threadsMoved: number;
  irqsMoved: number;
  workqueuesMoved: boolean;
  /** Puts back what this run moved; a second call does nothing. */
  restore(): PutBack;
}

export class IsolationError extends Error {}

/** Another bench:real is running and keeping the core: two benches on one machine measure each other. */
export class BenchRunningError extends IsolationError {
  constructor(readonly pid: string) {
    super(`bench:real ${pid} is running and keeping VPP's core; wait for it to end`);
  }
}

const recordPath = (m: Machine): string => join(m.root, 'run', 'fibmgr-bench', 'core-isolation.json');

/**
 * Moves every thread, IRQ and the unbound workqueues that may run on `cpu` and elsewhere off it,
 * and says how to put them back. Throws IsolationError, having moved nothing, when it cannot
 * write its record down or another live run holds one.
 */
export function keepCoreFor(cpu: number, m: Machine = THIS_MACHINE): CoreIsolation {
  const at = (...p: string[]): string => join(m.root, ...p);
  const held = readRecord(m);
  if (held.kind === 'record') {
    if (alive(m, held.record.owner)) throw new BenchRunningError(held.record.owner.pid);
    throw new IsolationError(`${recordPath(m)} holds what bench:real ${held.record.owner.pid} moved and could not all put back (named when it ended): put those back by hand, then delete it`);
  }
  if (m.self.born === '') throw new IsolationError('cannot read its own start time (/proc/self/stat), which tells its record from a dead run\'s');
  /** Its CPUs without `cpu`, or null: not on it, pinned to it alone (it asked to be there), or unreadable. */
  const without = (cpus: number[] | null): number[] | null => (cpus && cpus.includes(cpu) && cpus.length > 1 ? cpus.filter((c) => c !== cpu) : null);
  const plan: IsolationRecord = { version: RECORD_VERSION, owner: m.self, cpu, threads: [], irqs: [], workqueues: null, seen: {} };
  /** The threads not seen before that may run on `cpu` and elsewhere; every thread is seen from then on. */
  const newThreadsToMove = (): IsolationRecord['threads'] => {
    const out: IsolationRecord['threads'] = [];
    for (const t of threads(m)) {
      if (plan.seen[t.tid] === t.born) continue;
      plan.seen[t.tid] = t.born;
      const to = without(parseCpuList(t.cpus));
      if (to !== null) out.push({ pid: t.pid, tid: t.tid, born: t.born, was: t.cpus, to: formatCpuList(to) });
    }
    return out;
  };
  plan.threads = newThreadsToMove();
  for (const irq of numbered(at('proc', 'irq'))) {
    const was = read(at('proc', 'irq', irq, 'smp_affinity_list'))?.trim();
    const to = without(was === undefined ? null : parseCpuList(was));
    if (to !== null) plan.irqs.push({ irq, was: was!, to: formatCpuList(to) });
  }
  const wqWas = read(wqPath(m))?.trim();
  const wqTo = without(wqWas === undefined ? null : maskCpus(wqWas));
  if (wqTo !== null) plan.workqueues = { was: wqWas!, to: cpuMask(wqTo) };
  try {
    // the whole plan is down before the first move: a record of more than moved costs little, as
    // putting back skips what does not hold the value the run gave
    writeRecord(m, plan);
  } catch (err) {
    throw new IsolationError(`cannot write down what it would move (${(err as Error).message})`);
  }
  const done: IsolationRecord = { ...plan, threads: [], irqs: [], workqueues: null };
  // threads started while the others move (a moved one may fork first) are caught by the next
  // pass; a few passes, as a busy machine never stops starting threads
  for (let pass = 0, batch = plan.threads; batch.length > 0 && pass < 3; pass++) {
    for (const t of batch) if (m.setThreadCpus(t.tid, t.to)) done.threads.push(t);
    batch = newThreadsToMove();
    if (batch.length === 0) break;
    plan.threads.push(...batch);
    try {
      writeRecord(m, plan);
    } catch {
      break; // not written down, so not moved
    }
  }
  for (const i of plan.irqs) if (write(at('proc', 'irq', i.irq, 'smp_affinity_list'), i.to)) done.irqs.push(i); // managed IRQs refuse
  if (plan.workqueues && write(wqPath(m), plan.workqueues.to)) done.workqueues = plan.workqueues;
  try {
    writeRecord(m, done); // only narrows the plan: on failure, the plan stays down
  } catch {
    /* the plan on disk covers it */
  }
  let restored = false;
  return {
    threadsMoved: done.threads.length,
    irqsMoved: done.irqs.length,
    workqueuesMoved: done.workqueues !== null,
    restore() {
      if (restored) return { restored: 0, leftAlone: 0, widened: 0, failed: [] };
      restored = true;
      return putBack(m, done, true);
    },
  };
}

export type LeftOver =
  | { kind: 'none' }
  /** A run's record whose owner still runs: not touched. */
  | { kind: 'owner alive'; pid: string }
  /** A record that could not be read as one: moved aside to `movedTo`, nothing put back from it. */
  | { kind: 'unreadable'; why: string; movedTo: string | null }
  | { kind: 'put back'; owner: string; result: PutBack };

/** Puts back what a run killed before it could left moved (its record), unless that run still lives. */
export function putBackLeftOver(m: Machine = THIS_MACHINE): LeftOver {
  const held = readRecord(m);
  if (held.kind !== 'record') return held;
  const owner = held.record.owner;
  if (alive(m, owner)) return { kind: 'owner alive', pid: owner.pid };
  // no widening: what was started since the run died cannot be told from what started during it
  return { kind: 'put back', owner: owner.pid, result: putBack(m, held.record, false) };
}

/** The process is there, the same one (its start time), and not a zombie (killed, not yet reaped). */
function alive(m: Machine, p: { pid: string; born: string }): boolean {
  const stat = read(join(m.root, 'proc', p.pid, 'stat')) ?? '';
  return statStartTime(stat) === p.born && statField(stat, 3) !== 'Z';
}

/**
 * Puts `rec` back, last first, where it still holds what the run set; widens inheritors if asked;
 * then removes the record, or leaves in it only what failed.
 */
function putBack(m: Machine, rec: IsolationRecord, widen: boolean): PutBack {
  const at = (...p: string[]): string => join(m.root, ...p);
  const out: PutBack = { restored: 0, leftAlone: 0, widened: 0, failed: [] };
  /** What failed, as a record of its own (no widening is done from it: `seen` is empty). */
  const failed: IsolationRecord = { ...rec, threads: [], irqs: [], workqueues: null, seen: {} };
  const back = (holdsTo: boolean, setBack: () => boolean, what: string, keep: () => void): void => {
    if (!holdsTo) out.leftAlone++;
    else if (setBack()) out.restored++;
    else (out.failed.push(what), keep());
  };
  const wq = rec.workqueues;
  if (wq) {
    const now = read(wqPath(m))?.trim();
    back(now !== undefined && sameCpus(maskCpus(now), maskCpus(wq.to)), () => write(wqPath(m), wq.was), `the unbound workqueues: ${wq.to} → ${wq.was}`, () => (failed.workqueues = wq));
  }
  for (const i of [...rec.irqs].reverse()) {
    const path = at('proc', 'irq', i.irq, 'smp_affinity_list');
    const now = read(path);
    back(now !== null && sameCpus(parseCpuList(now), parseCpuList(i.to)), () => write(path, i.was), `IRQ ${i.irq}: ${i.to} → ${i.was}`, () => failed.irqs.push(i));
  }
  const now = new Map(threads(m).map((t) => [t.tid, t]));
  for (const t of [...rec.threads].reverse()) {
    // a thread id is reused once its thread is gone: the start time tells the same thread
    const cur = now.get(t.tid);
    if (cur?.born !== t.born || !sameCpus(parseCpuList(cur.cpus), parseCpuList(t.to))) out.leftAlone++;
    else if (m.setThreadCpus(t.tid, t.was)) out.restored++;
    else if (threadOf(m, t.pid, t.tid)?.born !== t.born) out.leftAlone++; // it ended meanwhile
    else (out.failed.push(`thread ${t.tid}: ${t.to} → ${t.was}`), failed.threads.push(t));
  }
  // after the threads are back: what they start from now on has its own set again, and one
  // started while they were put back is in this second look
  if (widen) widenInheritors(m, rec, threads(m), out);
  try {
    const onDisk = readRecord(m);
    if (onDisk.kind === 'record' && onDisk.record.owner.pid === rec.owner.pid && onDisk.record.owner.born === rec.owner.born) {
      if (out.failed.length === 0) rmSync(recordPath(m), { force: true });
      else writeRecord(m, failed); // for whoever looks next
    }
  } catch {
    /* the record stays as it was: whoever looks next finds more to check, not less */
  }
  return out;
}

/**
 * A task forked, or a thread started, by a moved one during the run got its narrowed set, and
 * nothing above knows it: it gets `cpu` back if its set is one the run gave and its parent (a new
 * thread's own process) was moved or is such a task itself. It cannot tell a task that pinned
 * itself to exactly that set during the run: that one is widened too. Kernel threads are left as
 * the kernel set them.
 */
function widenInheritors(m: Machine, rec: IsolationRecord, now: Thread[], out: PutBack): void {
  const narrowed = new Set(rec.threads.map((t) => t.pid));
  const given = new Set(rec.threads.map((t) => t.to)); // formatCpuList's, as the sets below
  const born = now.filter((t) => rec.seen[t.tid] !== t.born && !t.kernel);
  // until nothing changes: a parent and its child can share a start time, and /proc's order is not theirs
  for (let widened = true; widened; ) {
    widened = false;
    for (const t of born) {
      const cpus = parseCpuList(t.cpus);
      if (!cpus || cpus.includes(rec.cpu) || !given.has(formatCpuList(cpus))) continue;
      const parent = t.tid === t.pid ? t.ppid : t.pid;
      if (parent === null || !narrowed.has(parent)) continue;
      const wider = formatCpuList([...cpus, rec.cpu].sort((a, b) => a - b));
      if (m.setThreadCpus(t.tid, wider)) out.widened++;
      else if (threadOf(m, t.pid, t.tid)?.born === t.born) out.failed.push(`thread ${t.tid}: ${t.cpus} → ${wider}`);
      t.cpus = wider; // seen once
      if (!narrowed.has(t.pid)) (narrowed.add(t.pid), (widened = true));
    }
  }
}

const sameCpus = (a: number[] | null, b: number[] | null): boolean => a !== null && b !== null && formatCpuList(a) === formatCpuList(b);

const wqPath = (m: Machine): string => join(m.root, 'sys', 'devices', 'virtual', 'workqueue', 'cpumask');

/** PF_KTHREAD in a task's flags (field 9 of its stat). */
const PF_KTHREAD = 0x00200000;

interface Thread {
  pid: string;
  tid: string;
  /** The process's parent (from the thread's status), null when unreadable. */
  ppid: string | null;
  born: string;
  cpus: string;
  kernel: boolean;
}

/** Every thread on the machine whose status and start time can be read. */
function threads(m: Machine): Thread[] {
  const out: Thread[] = [];
  for (const pid of numbered(join(m.root, 'proc'))) {
    for (const tid of numbered(join(m.root, 'proc', pid, 'task'))) {
      const t = threadOf(m, pid, tid);
      if (t) out.push(t);
    }
  }
  return out;
}

/** One thread as it is now, or null: gone, or unreadable. */
function threadOf(m: Machine, pid: string, tid: string): Thread | null {
  const dir = join(m.root, 'proc', pid, 'task', tid);
  const status = read(join(dir, 'status')) ?? '';
  const stat = read(join(dir, 'stat')) ?? '';
  const cpus = /^Cpus_allowed_list:\s*(\S+)$/m.exec(status)?.[1];
  const born = statStartTime(stat);
  if (cpus === undefined || born === null) return null;
  const kernel = (Number(statField(stat, 9) ?? 0) & PF_KTHREAD) !== 0;
  return { pid, tid, ppid: /^PPid:\s*(\d+)$/m.exec(status)?.[1] ?? null, born, cpus, kernel };
}

type Held = { kind: 'none' } | { kind: 'record'; record: IsolationRecord } | { kind: 'unreadable'; why: string; movedTo: string | null };

/** The record on disk: none, one, or something else, which is moved aside so it blocks no later run. */
function readRecord(m: Machine): Held {
  const path = recordPath(m);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'none' };
    return { kind: 'unreadable', why: (err as Error).message, movedTo: null };
  }
  let why: string | null;
  let record: IsolationRecord | null = null;
  try {
    record = JSON.parse(text) as IsolationRecord;
    why = isRecord(record) ? null : `not a version ${RECORD_VERSION} record`;
  } catch (err) {
    why = (err as Error).message;
  }
  if (why === null) return { kind: 'record', record: record! };
  const movedTo = `${path}.unreadable-${Date.now()}`;
  try {
    renameSync(path, movedTo);
    return { kind: 'unreadable', why, movedTo };
  } catch {
    return { kind: 'unreadable', why, movedTo: null };
  }
}

function isRecord(r: unknown): r is IsolationRecord {
  const x = r as IsolationRecord | null;
  const str = (v: unknown): boolean => typeof v === 'string';
  return (
    typeof x === 'object' && x !== null && x.version === RECORD_VERSION && typeof x.cpu === 'number' &&
    typeof x.owner === 'object' && x.owner !== null && str(x.owner.pid) && str(x.owner.born) &&
    Array.isArray(x.threads) && x.threads.every((t) => str(t?.pid) && str(t?.tid) && str(t?.born) && str(t?.was) && str(t?.to)) &&
    Array.isArray(x.irqs) && x.irqs.every((i) => str(i?.irq) && str(i?.was) && str(i?.to)) &&
    (x.workqueues === null || (typeof x.workqueues === 'object' && str(x.workqueues.was) && str(x.workqueues.to))) &&
    typeof x.seen === 'object' && x.seen !== null
  );
}

/** Written whole or not at all: a kill mid-write leaves the last record, not half of one. */
function writeRecord(m: Machine, rec: IsolationRecord): void {
  const path = recordPath(m);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(rec));
  renameSync(tmp, path);
}

function numbered(dir: string): string[] {
  try {
    return readdirSync(dir).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(a) - Number(b));
  } catch {
    return []; // a process gone, no /proc/irq in a container
  }
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function write(path: string, text: string): boolean {
  try {
    writeFileSync(path, text);
    return true;
  } catch {
    return false;
  }
}
