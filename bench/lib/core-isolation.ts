// bench:real's REAL_BENCH_ISOLATE=1: the machine's other tasks kept off VPP's core for the run, the
// part of a deployment's `isolcpus` and IRQ affinity a running machine allows (why a pinned VPP
// still needs it, and what it leaves behind: README, Benchmarks, bench:real and run AE).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { statStartTime } from '../../src/fpm/socket-owner.js';

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

/** Where the affinities are read and how a thread's is set: the machine's, or a test's. */
export interface Machine {
  /** The root /proc and /sys are under ('/'). */
  root: string;
  /** Sets a thread's CPUs (`taskset -pc`); false when the kernel refuses (a per-CPU kernel thread). */
  setThreadCpus(tid: string, cpus: string): boolean;
}

const THIS_MACHINE: Machine = {
  root: '/',
  setThreadCpus: (tid, cpus) => spawnSync('taskset', ['-pc', cpus, tid], { stdio: 'ignore' }).status === 0,
};

export interface CoreIsolation {
  threadsMoved: number;
  irqsMoved: number;
  workqueuesMoved: boolean;
  /** Puts back every affinity changed, last first; returns how many could not be (a thread gone or its id reused is skipped, not counted). */
  restore(): number;
}

/** Moves every thread, IRQ and the unbound workqueues that may run on `cpu` and elsewhere off it, and says how to put them back. */
export function keepCoreFor(cpu: number, m: Machine = THIS_MACHINE): CoreIsolation {
  const at = (...p: string[]): string => join(m.root, ...p);
  const undo: (() => boolean)[] = [];
  const iso = { threadsMoved: 0, irqsMoved: 0, workqueuesMoved: false };
  /** Its CPUs without `cpu`, or null: not on it, pinned to it alone (it asked to be there), or unreadable. */
  const without = (cpus: number[] | null): number[] | null => (cpus && cpus.includes(cpu) && cpus.length > 1 ? cpus.filter((c) => c !== cpu) : null);
  const born = (pid: string, tid: string): string | null => statStartTime(read(at('proc', pid, 'task', tid, 'stat')) ?? '');
  for (const pid of numbered(at('proc'))) {
    for (const tid of numbered(at('proc', pid, 'task'))) {
      const was = /^Cpus_allowed_list:\s*(\S+)$/m.exec(read(at('proc', pid, 'task', tid, 'status')) ?? '')?.[1];
      const to = without(was === undefined ? null : parseCpuList(was));
      const start = born(pid, tid);
      if (to === null || start === null || !m.setThreadCpus(tid, formatCpuList(to))) continue;
      iso.threadsMoved++;
      // a thread id is reused once its thread is gone: the start time tells the same thread
      undo.push(() => born(pid, tid) !== start || m.setThreadCpus(tid, was!));
    }
  }
  for (const irq of numbered(at('proc', 'irq'))) {
    const path = at('proc', 'irq', irq, 'smp_affinity_list');
    const was = read(path)?.trim();
    const to = without(was === undefined ? null : parseCpuList(was));
    if (to === null || !write(path, formatCpuList(to))) continue; // managed IRQs refuse
    iso.irqsMoved++;
    undo.push(() => write(path, was!));
  }
  const wqPath = at('sys', 'devices', 'virtual', 'workqueue', 'cpumask');
  const wqWas = read(wqPath)?.trim();
  const wqTo = without(wqWas === undefined ? null : maskCpus(wqWas));
  if (wqTo !== null && write(wqPath, cpuMask(wqTo))) {
    iso.workqueuesMoved = true;
    undo.push(() => write(wqPath, wqWas!));
  }
  let restored = false;
  return {
    ...iso,
    restore() {
      if (restored) return 0;
      restored = true;
      return undo.reverse().filter((u) => !u()).length;
    },
  };
}

/** The kernel's hex mask as CPUs: "1,00000003" → [0, 1, 32]; [] for anything else. */
export function maskCpus(mask: string): number[] {
  if (!/^[0-9a-f]+(,[0-9a-f]+)*$/i.test(mask)) return [];
  const bits = BigInt(`0x${mask.replace(/,/g, '')}`);
  const out: number[] = [];
  for (let c = 0; bits >> BigInt(c) > 0n; c++) if ((bits >> BigInt(c)) & 1n) out.push(c);
  return out;
}

function numbered(dir: string): string[] {
  try {
    return readdirSync(dir).filter((d) => /^\d+$/.test(d));
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
