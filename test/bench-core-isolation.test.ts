// bench:real's REAL_BENCH_ISOLATE=1 (bench/lib/core-isolation.ts) on a made-up /proc and /sys: what
// it moves off VPP's core, what it leaves, and what restore() puts back. The machine's own tasks
// are never moved here: a test that did would move them under the other tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuMask, formatCpuList, keepCoreFor, maskCpus, parseCpuList, type Machine } from '../bench/lib/core-isolation.js';

test('a CPU list as the kernel writes it reads as its CPUs; anything else as null', () => {
  assert.deepEqual(parseCpuList('0-1'), [0, 1]);
  assert.deepEqual(parseCpuList('0-2,5\n'), [0, 1, 2, 5]);
  assert.deepEqual(parseCpuList('3'), [3]);
  for (const bad of ['', 'ff', '2-1', '0-', '0,,1', '-1']) assert.equal(parseCpuList(bad), null, JSON.stringify(bad));
  assert.equal(formatCpuList([0, 1, 2, 5]), '0,1,2,5');
});

test('the workqueues\' mask is hex in 32-bit groups, CPU 31 and past it included', () => {
  assert.equal(cpuMask([0]), '1');
  assert.equal(cpuMask([0, 2]), '5');
  assert.equal(cpuMask([31]), '80000000');
  assert.equal(cpuMask([32, 33]), '3,00000000');
  assert.equal(cpuMask([0, 32]), '1,00000001');
  assert.deepEqual(maskCpus('1,00000003'), [0, 1, 32]);
  assert.deepEqual(maskCpus(cpuMask([0, 2, 31, 33])), [0, 2, 31, 33]);
  assert.deepEqual(maskCpus('zz'), []);
});

/** A /proc and /sys with the given threads (tid → [Cpus_allowed_list, start time]), IRQs and workqueue mask. */
function fakeMachine(threads: Record<string, [string, string]>, irqs: Record<string, string>, wqMask: string) {
  const root = mkdtempSync(join(tmpdir(), 'fibmgr-core-'));
  const stat = (tid: string, born: string) => `${tid} (a (b) c) S ${Array.from({ length: 18 }, (_, i) => i + 4).join(' ')} ${born} 0 0\n`;
  const setBorn = (tid: string, born: string) => writeFileSync(join(root, 'proc', '100', 'task', tid, 'stat'), stat(tid, born));
  for (const [tid, [cpus, born]] of Object.entries(threads)) {
    mkdirSync(join(root, 'proc', '100', 'task', tid), { recursive: true });
    writeFileSync(join(root, 'proc', '100', 'task', tid, 'status'), `Name:\tx\nCpus_allowed_list:\t${cpus}\nMems_allowed:\t1\n`);
    setBorn(tid, born);
  }
  for (const [irq, cpus] of Object.entries(irqs)) {
    mkdirSync(join(root, 'proc', 'irq', irq), { recursive: true });
    writeFileSync(join(root, 'proc', 'irq', irq, 'smp_affinity_list'), `${cpus}\n`);
  }
  mkdirSync(join(root, 'sys', 'devices', 'virtual', 'workqueue'), { recursive: true });
  writeFileSync(join(root, 'sys', 'devices', 'virtual', 'workqueue', 'cpumask'), `${wqMask}\n`);
  const calls: [string, string][] = [];
  const machine: Machine = {
    root,
    // tid 7 stands for a per-CPU kernel thread: the kernel refuses to move it
    setThreadCpus: (tid, cpus) => (calls.push([tid, cpus]), tid !== '7'),
  };
  const file = (...p: string[]) => readFileSync(join(root, ...p), 'utf8').trim();
  return { root, machine, calls, setBorn, file, done: () => rmSync(root, { recursive: true, force: true }) };
}

test('what may run on VPP\'s core and elsewhere leaves it for its other CPUs; what is pinned there, elsewhere, unreadable or refused stays', () => {
  const m = fakeMachine(
    { 1: ['0-1', '11'], 2: ['1', '12'], 3: ['0', '13'], 4: ['0-3', '14'], 5: ['garbage', '15'], 7: ['0-1', '17'] },
    { 24: '0-1', 25: '1', 26: '0' },
    '3',
  );
  try {
    const iso = keepCoreFor(1, m.machine);
    // thread 4 was on 0-3: it loses CPU 1 only, it does not become 0
    assert.deepEqual(m.calls.sort(), [['1', '0'], ['4', '0,2,3'], ['7', '0']]);
    assert.equal(iso.threadsMoved, 2, 'the refused thread is not counted');
    assert.equal(m.file('proc', 'irq', '24', 'smp_affinity_list'), '0');
    assert.equal(m.file('proc', 'irq', '25', 'smp_affinity_list'), '1', 'an IRQ on VPP\'s core alone stays');
    assert.equal(m.file('proc', 'irq', '26', 'smp_affinity_list'), '0');
    assert.equal(iso.irqsMoved, 1);
    assert.equal(m.file('sys', 'devices', 'virtual', 'workqueue', 'cpumask'), '1');
    assert.equal(iso.workqueuesMoved, true);
  } finally {
    m.done();
  }
});

test('restore() puts everything back, once; a thread whose id was reused since is left alone', () => {
  const m = fakeMachine({ 1: ['0-1', '11'], 4: ['0-3', '14'] }, { 24: '0-1' }, '3');
  try {
    const iso = keepCoreFor(1, m.machine);
    m.calls.length = 0;
    m.setBorn('1', '99'); // thread 1 ended and another took its id
    assert.equal(iso.restore(), 0);
    assert.deepEqual(m.calls, [['4', '0-3']], 'only the same thread gets its old CPUs back');
    assert.equal(m.file('proc', 'irq', '24', 'smp_affinity_list'), '0-1');
    assert.equal(m.file('sys', 'devices', 'virtual', 'workqueue', 'cpumask'), '3');
    m.calls.length = 0;
    assert.equal(iso.restore(), 0);
    assert.deepEqual(m.calls, [], 'a second restore() does nothing');
  } finally {
    m.done();
  }
});

test('restore() counts what could not be put back', () => {
  const m = fakeMachine({ 1: ['0-1', '11'] }, {}, '3');
  try {
    const iso = keepCoreFor(1, m.machine);
    m.machine.setThreadCpus = () => false;
    assert.equal(iso.restore(), 1);
  } finally {
    m.done();
  }
});
