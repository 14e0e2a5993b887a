// bench:real's VPP core kept for VPP while the bench runs (REAL_BENCH_ISOLATE=0: not), as a deployment
// keeps it with `isolcpus` and IRQ affinity (short of `rcu_nocbs`, which needs a reboot). Without
// it, a busy client's core sends the machine's other tasks to VPP's core: the load balancer moves
// what wakes there (a VM agent's threads, unbound kernel threads, kworkers) and VPP waits behind
// them; the raw client leaves its own core idle and pays none of it (README, Benchmarks, run AE).
// Every thread that may run elsewhere is moved off the core, every IRQ that may be, and the unbound
// workqueues; restore() puts back what was there. Needs root; what cannot move (per-CPU kernel
// threads) stays.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

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

/** The CPUs as a hex mask (the workqueue cpumask): [0, 2] → "5"; CPUs below 32. */
export const cpuMask = (cpus: readonly number[]): string => cpus.reduce((m, c) => m | (1 << c), 0).toString(16);

export interface CoreIsolation {
  /** Threads, IRQs moved off the core; whether the unbound workqueues were. */
  moved: { threads: number; irqs: number; workqueues: boolean };
  /** Puts back every affinity changed (a thread gone since is skipped; an id reused since gets the old one). */
  restore(): void;
}

const WORKQUEUE_MASK = '/sys/devices/virtual/workqueue/cpumask';

const read = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};
const write = (path: string, text: string): boolean => {
  try {
    writeFileSync(path, text);
    return true;
  } catch {
    return false;
  }
};
/** The numbered entries of a directory; none when it cannot be read (a process gone, no /proc/irq in a container). */
const list = (dir: string): string[] => {
  try {
    return readdirSync(dir).filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
};
const setThreadCpus = (tid: string, cpus: string): boolean => spawnSync('taskset', ['-pc', cpus, tid], { stdio: 'ignore' }).status === 0;

/** Moves what may move off `cpu` onto `others`, and says how to put it back. */
export function keepCoreFor(cpu: number, others: readonly number[]): CoreIsolation {
  const undo: (() => void)[] = [];
  const moved = { threads: 0, irqs: 0, workqueues: false };
  const to = formatCpuList(others);
  for (const pid of list('/proc')) {
    for (const tid of list(`/proc/${pid}/task`)) {
      const was = /^Cpus_allowed_list:\s*(\S+)$/m.exec(read(`/proc/${pid}/task/${tid}/status`) ?? '')?.[1];
      const cpus = was === undefined ? null : parseCpuList(was);
      // only what may run on the core and elsewhere too: a thread pinned to it asked to be there
      if (!cpus || !cpus.includes(cpu) || cpus.length < 2) continue;
      if (!setThreadCpus(tid, to)) continue; // a per-CPU kernel thread: it stays
      moved.threads++;
      undo.push(() => setThreadCpus(tid, was!));
    }
  }
  for (const irq of list('/proc/irq')) {
    const path = `/proc/irq/${irq}/smp_affinity_list`;
    const was = read(path)?.trim();
    const cpus = was === undefined ? null : parseCpuList(was);
    if (!cpus || !cpus.includes(cpu) || !write(path, to)) continue;
    moved.irqs++;
    undo.push(() => write(path, was!));
  }
  const wasMask = read(WORKQUEUE_MASK)?.trim();
  if (wasMask !== undefined && write(WORKQUEUE_MASK, cpuMask(others))) {
    moved.workqueues = true;
    undo.push(() => write(WORKQUEUE_MASK, wasMask));
  }
  let restored = false;
  return {
    moved,
    restore() {
      if (restored) return;
      restored = true;
      for (const u of undo.reverse()) u();
    },
  };
}
