// bench:real's keeping of VPP's core (bench/lib/core-isolation.ts) on a made-up /proc and /sys: what
// it moves off VPP's core, what it leaves, and what restore() puts back. The machine's own tasks
// are never moved here: a test that did would move them under the other tests.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchRunningError, cpuMask, formatCpuList, IsolationError, keepCoreFor, maskCpus, parseCpuList, putBackLeftOver, type Machine } from '../bench/lib/core-isolation.js';

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

/**
 * A /proc, /sys and /run with the given threads of process 100 (tid → [Cpus_allowed_list, start
 * time]), IRQs and workqueue mask. Setting a thread's CPUs changes its status as the kernel would;
 * this bench's own process (the record's owner) is 900, alive until `ownerDies()`.
 */
function fakeMachine(t: TestContext, threads: Record<string, [string, string]>, irqs: Record<string, string>, wqMask: string) {
  const root = mkdtempSync(join(tmpdir(), 'fibmgr-core-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const stat = (tid: string, born: string, flags: number) =>
    `${tid} (a (b) c) S ${Array.from({ length: 18 }, (_, i) => (i + 4 === 9 ? flags : i + 4)).join(' ')} ${born} 0 0\n`;
  const taskDir = (tid: string) => {
    for (const pid of readdirSync(join(root, 'proc')).filter((d) => /^\d+$/.test(d))) {
      if (existsSync(join(root, 'proc', pid, 'task', tid))) return join(root, 'proc', pid, 'task', tid);
    }
    return null;
  };
  const status = (ppid: string, cpus: string) => `Name:\tx\nPPid:\t${ppid}\nCpus_allowed_list:\t${cpus}\nMems_allowed:\t1\n`;
  const setBorn = (tid: string, born: string) => writeFileSync(join(taskDir(tid)!, 'stat'), stat(tid, born, 0x40));
  /** A thread of process `pid` (a process of its own when tid = pid), child of `ppid`; `kernel` sets PF_KTHREAD. */
  const addThread = (pid: string, tid: string, cpus: string, born: string, ppid = '1', kernel = false) => {
    mkdirSync(join(root, 'proc', pid, 'task', tid), { recursive: true });
    writeFileSync(join(root, 'proc', pid, 'task', tid, 'status'), status(ppid, cpus));
    writeFileSync(join(root, 'proc', pid, 'task', tid, 'stat'), stat(tid, born, kernel ? 0x00200040 : 0x40));
    if (pid === tid) writeFileSync(join(root, 'proc', pid, 'stat'), stat(tid, born, 0x40));
  };
  /** A thread's CPUs changed by no one the test watches; its status shows them as the kernel does ("0,2-3"). */
  const setCpus = (tid: string, cpus: string) => {
    const st = readFileSync(join(taskDir(tid)!, 'status'), 'utf8');
    writeFileSync(join(taskDir(tid)!, 'status'), st.replace(/Cpus_allowed_list:\t\S+/, `Cpus_allowed_list:\t${kernelList(cpus)}`));
  };
  const cpusOf = (tid: string) => /Cpus_allowed_list:\t(\S+)/.exec(readFileSync(join(taskDir(tid)!, 'status'), 'utf8'))![1];
  for (const [tid, [cpus, born]] of Object.entries(threads)) addThread('100', tid, cpus, born);
  addThread('900', '900', '0', '90', '1'); // the bench's first process, already on CPU 0
  for (const [irq, cpus] of Object.entries(irqs)) {
    mkdirSync(join(root, 'proc', 'irq', irq), { recursive: true });
    writeFileSync(join(root, 'proc', 'irq', irq, 'smp_affinity_list'), `${cpus}\n`);
  }
  mkdirSync(join(root, 'sys', 'devices', 'virtual', 'workqueue'), { recursive: true });
  writeFileSync(join(root, 'sys', 'devices', 'virtual', 'workqueue', 'cpumask'), `${wqMask}\n`);
  const calls: [string, string][] = [];
  const refused = new Set(['7']); // stands for a per-CPU kernel thread: the kernel refuses to move it
  const machine: Machine = {
    root,
    setThreadCpus: (tid, cpus) => {
      calls.push([tid, cpus]);
      if (refused.has(tid) || !taskDir(tid)) return false;
      setCpus(tid, cpus);
      return true;
    },
    self: { pid: '900', born: '90' },
  };
  const file = (...p: string[]) => readFileSync(join(root, ...p), 'utf8').trim();
  const put = (value: string, ...p: string[]) => writeFileSync(join(root, ...p), `${value}\n`);
  const record = join(root, 'run', 'fibmgr-bench', 'core-isolation.json');
  const ownerDies = () => rmSync(join(root, 'proc', '900'), { recursive: true, force: true });
  return { root, machine, calls, refused, setBorn, setCpus, addThread, cpusOf, file, put, record, ownerDies };
}

const WQ = ['sys', 'devices', 'virtual', 'workqueue', 'cpumask'];

/** A CPU list as the kernel prints it: "0,2,3" → "0,2-3". */
function kernelList(cpus: string): string {
  const out: string[] = [];
  for (const c of parseCpuList(cpus) ?? []) {
    const last = out.at(-1)?.split('-');
    if (last && Number(last.at(-1)) === c - 1) out[out.length - 1] = `${last[0]}-${c}`;
    else out.push(String(c));
  }
  return out.join(',');
}

test('what may run on VPP\'s core and elsewhere leaves it for its other CPUs; what is pinned there, elsewhere, unreadable or refused stays', (t) => {
  const m = fakeMachine(
    t,
    { 1: ['0-1', '11'], 2: ['1', '12'], 3: ['0', '13'], 4: ['0-3', '14'], 5: ['garbage', '15'], 7: ['0-1', '17'] },
    { 24: '0-1', 25: '1', 26: '0' },
    '3',
  );
  const iso = keepCoreFor(1, m.machine);
  // thread 4 was on 0-3: it loses CPU 1 only, it does not become 0
  assert.deepEqual(m.calls.sort(), [['1', '0'], ['4', '0,2,3'], ['7', '0']]);
  assert.equal(iso.threadsMoved, 2, 'the refused thread is not counted');
  assert.equal(m.file('proc', 'irq', '24', 'smp_affinity_list'), '0');
  assert.equal(m.file('proc', 'irq', '25', 'smp_affinity_list'), '1', 'an IRQ on VPP\'s core alone stays');
  assert.equal(m.file('proc', 'irq', '26', 'smp_affinity_list'), '0');
  assert.equal(iso.irqsMoved, 1);
  assert.equal(m.file(...WQ), '1');
  assert.equal(iso.workqueuesMoved, true);
});

test('restore() puts everything back, once, and removes the record; a thread whose id was reused since is left alone', (t) => {
  const m = fakeMachine(t, { 1: ['0-1', '11'], 4: ['0-3', '14'] }, { 24: '0-1' }, '3');
  const iso = keepCoreFor(1, m.machine);
  m.calls.length = 0;
  m.setBorn('1', '99'); // thread 1 ended and another took its id
  m.setCpus('1', '0-1');
  assert.deepEqual(iso.restore(), { restored: 3, leftAlone: 1, widened: 0, failed: [] });
  assert.deepEqual(m.calls, [['4', '0-3']], 'only the same thread gets its old CPUs back');
  assert.equal(m.file('proc', 'irq', '24', 'smp_affinity_list'), '0-1');
  assert.equal(m.file(...WQ), '3');
  assert.ok(!existsSync(m.record));
  m.calls.length = 0;
  assert.deepEqual(iso.restore(), { restored: 0, leftAlone: 0, widened: 0, failed: [] });
  assert.deepEqual(m.calls, [], 'a second restore() does nothing');
});

test('restore() leaves alone what was set to something else during the run', (t) => {
  const m = fakeMachine(t, { 1: ['0-1', '11'], 4: ['0-3', '14'] }, { 24: '0-1', 27: '0-1', 28: '0-3' }, '3');
  const iso = keepCoreFor(1, m.machine);
  assert.equal(m.cpusOf('4'), '0,2-3', 'as the kernel shows it');
  m.setCpus('4', '2'); // an operator pinned it meanwhile
  m.put('1', 'proc', 'irq', '27', 'smp_affinity_list'); // irqbalance moved it
  m.put('0,2-3', 'proc', 'irq', '28', 'smp_affinity_list'); // as the kernel shows what the run wrote
  m.put('2', ...WQ);
  m.calls.length = 0;
  assert.deepEqual(iso.restore(), { restored: 3, leftAlone: 3, widened: 0, failed: [] });
  assert.equal(m.file('proc', 'irq', '28', 'smp_affinity_list'), '0-3');
  assert.deepEqual(m.calls, [['1', '0-1']]);
  assert.equal(m.cpusOf('4'), '2');
  assert.equal(m.file('proc', 'irq', '27', 'smp_affinity_list'), '1');
  assert.equal(m.file('proc', 'irq', '24', 'smp_affinity_list'), '0-1');
  assert.equal(m.file(...WQ), '2');
});

test('what the kernel refuses to put back is named and stays in the record, for the next run to try again', (t) => {
  const m = fakeMachine(t, { 1: ['0-1', '11'], 4: ['0-3', '14'] }, {}, '3');
  const iso = keepCoreFor(1, m.machine);
  m.refused.add('4');
  const r = iso.restore();
  assert.deepEqual(r, { restored: 2, leftAlone: 0, widened: 0, failed: ['thread 4: 0,2,3 → 0-3'] });
  assert.ok(existsSync(m.record));
  m.ownerDies();
  m.refused.delete('4');
  const kept = JSON.parse(readFileSync(m.record, 'utf8')) as { threads: { tid: string }[]; workqueues: unknown; seen: object };
  assert.deepEqual([kept.threads.map((t) => t.tid), kept.workqueues, kept.seen], [['4'], null, {}], 'only what failed is kept');
  assert.throws(() => keepCoreFor(1, m.machine), (err) => err instanceof IsolationError && /put those back by hand/.test(err.message), 'no run moves anything over it');
  const again = putBackLeftOver(m.machine);
  assert.deepEqual(again, { kind: 'put back', owner: '900', result: { restored: 1, leftAlone: 0, widened: 0, failed: [] } });
  assert.equal(m.cpusOf('4'), '0-3');
  assert.ok(!existsSync(m.record));
});

test('what a moved task started during the run inherited gets VPP\'s CPU back at restore(); the rest stays as it is', (t) => {
  const m = fakeMachine(t, { 100: ['0-1', '10'], 101: ['0-3', '11'] }, {}, '3');
  const iso = keepCoreFor(1, m.machine);
  m.calls.length = 0;
  m.addThread('100', '102', '0', '20'); // a thread process 100 started: inherited
  m.addThread('200', '200', '0', '21', '300'); // forked by 300 in the same tick, a lower pid (pids wrap): seen before it
  m.addThread('300', '300', '0,2,3', '21', '100'); // a process 100 forked: inherited thread 101's set
  m.addThread('400', '400', '0', '23', '900'); // forked by a process never moved (the bench's, on CPU 0)
  m.addThread('500', '500', '0,2', '24', '100'); // a set the run gave no one: its own choice
  m.addThread('600', '600', '0-1', '25', '100'); // has VPP's CPU already
  m.addThread('700', '700', '0', '26', '100', true); // a kernel thread: the kernel's to place
  const r = iso.restore();
  assert.deepEqual(m.calls.sort(), [['100', '0-1'], ['101', '0-3'], ['102', '0,1'], ['200', '0,1'], ['300', '0,1,2,3']]);
  assert.deepEqual(r, { restored: 3, leftAlone: 0, widened: 3, failed: [] });
});

test('the whole plan is written down before the first move', (t) => {
  const m = fakeMachine(t, { 1: ['0-1', '11'], 4: ['0-3', '14'] }, { 24: '0-1' }, '3');
  const setThreadCpus = m.machine.setThreadCpus;
  let atFirstMove: string | null = null;
  m.machine.setThreadCpus = (tid, cpus) => ((atFirstMove ??= readFileSync(m.record, 'utf8')), setThreadCpus(tid, cpus));
  keepCoreFor(1, m.machine);
  const planned = JSON.parse(atFirstMove!) as { owner: { pid: string }; threads: { tid: string; to: string }[]; irqs: { irq: string }[]; workqueues: { was: string; to: string } };
  assert.equal(planned.owner.pid, '900');
  assert.deepEqual(planned.threads.map((t) => [t.tid, t.to]).sort(), [['1', '0'], ['4', '0,2,3']]);
  assert.deepEqual(planned.irqs.map((i) => i.irq), ['24']);
  assert.deepEqual(planned.workqueues, { was: '3', to: '1' });
});

test('a run killed before restore() is undone by the next one, once its owner is gone; never while it lives', (t) => {
  const m = fakeMachine(t, { 1: ['0-1', '11'], 7: ['0-1', '17'] }, { 24: '0-1' }, '3');
  assert.deepEqual(putBackLeftOver(m.machine), { kind: 'none' });
  keepCoreFor(1, m.machine); // and then SIGKILL: restore() never runs
  assert.deepEqual(putBackLeftOver(m.machine), { kind: 'owner alive', pid: '900' });
  assert.equal(m.cpusOf('1'), '0', 'a live run keeps its core');
  assert.throws(() => keepCoreFor(1, m.machine), BenchRunningError, 'nor does a second run move anything over it');
  m.ownerDies();
  m.calls.length = 0;
  m.addThread('200', '200', '0', '30', '100'); // forked by the moved process: during the run, or after it, who can tell
  assert.deepEqual(putBackLeftOver(m.machine), { kind: 'put back', owner: '900', result: { restored: 3, leftAlone: 0, widened: 0, failed: [] } });
  assert.deepEqual(m.calls.sort(), [['1', '0-1']], 'thread 7 was refused, so never moved; 200 is not widened');
  assert.equal(m.file('proc', 'irq', '24', 'smp_affinity_list'), '0-1');
  assert.equal(m.file(...WQ), '3');
  assert.deepEqual(putBackLeftOver(m.machine), { kind: 'none' }, 'the record is gone');
});

test('a run killed between its plan and its moves: what the kernel refused, or was never reached, is left alone, not failed', (t) => {
  const m = fakeMachine(t, { 1: ['0-1', '11'], 4: ['0-1', '14'], 7: ['0-1', '17'] }, { 24: '0-1' }, '3');
  const setThreadCpus = m.machine.setThreadCpus;
  m.machine.setThreadCpus = (tid, cpus) => {
    if (tid === '4') throw new Error('SIGKILL'); // stands for the kill: nothing after it happens
    return setThreadCpus(tid, cpus);
  };
  assert.throws(() => keepCoreFor(1, m.machine), /SIGKILL/);
  m.machine.setThreadCpus = setThreadCpus;
  m.ownerDies();
  const left = putBackLeftOver(m.machine);
  assert.equal(left.kind, 'put back');
  assert.deepEqual(left.kind === 'put back' && left.result, { restored: 1, leftAlone: 4, widened: 0, failed: [] });
  assert.equal(m.cpusOf('1'), '0-1');
  assert.equal(m.cpusOf('4'), '0-1');
});

test('a record that is not one is moved aside and named, and the next run goes on', (t) => {
  for (const bad of ['', '{"version":1', 'null', '{"version":0,"threads":[]}', '{"version":1,"owner":{"pid":"900","born":"90"},"cpu":1,"threads":[{}],"irqs":[],"workqueues":null,"seen":{}}']) {
    const m = fakeMachine(t, { 1: ['0-1', '11'] }, {}, '3');
    mkdirSync(join(m.root, 'run', 'fibmgr-bench'), { recursive: true });
    writeFileSync(m.record, bad);
    const left = putBackLeftOver(m.machine);
    assert.equal(left.kind, 'unreadable', JSON.stringify(bad));
    assert.ok(left.kind === 'unreadable' && left.movedTo !== null && readFileSync(left.movedTo, 'utf8') === bad);
    assert.deepEqual(m.calls, [], 'nothing put back from it');
    assert.equal(keepCoreFor(1, m.machine).threadsMoved, 1);
  }
});

test('with nowhere to write its record, nothing is moved', (t) => {
  const m = fakeMachine(t, { 1: ['0-1', '11'] }, { 24: '0-1' }, '3');
  writeFileSync(join(m.root, 'run'), 'a file where its directory would go');
  assert.throws(() => keepCoreFor(1, m.machine), IsolationError);
  assert.deepEqual(m.calls, []);
  assert.equal(m.file('proc', 'irq', '24', 'smp_affinity_list'), '0-1');
  assert.equal(m.file(...WQ), '3');
});

test('a killed owner not yet reaped (a zombie) is gone', (t) => {
  const m = fakeMachine(t, { 1: ['0-1', '11'] }, {}, '3');
  keepCoreFor(1, m.machine);
  writeFileSync(join(m.root, 'proc', '900', 'stat'), readFileSync(join(m.root, 'proc', '900', 'stat'), 'utf8').replace(') S ', ') Z '));
  assert.equal(putBackLeftOver(m.machine).kind, 'put back');
  assert.equal(m.cpusOf('1'), '0-1');
});

test('a thread that ends while it is put back is left alone, not failed', (t) => {
  const m = fakeMachine(t, { 1: ['0-1', '11'], 4: ['0-1', '14'] }, {}, '3');
  const iso = keepCoreFor(1, m.machine);
  const setThreadCpus = m.machine.setThreadCpus;
  m.machine.setThreadCpus = (tid, cpus) => {
    if (tid !== '4') return setThreadCpus(tid, cpus);
    rmSync(join(m.root, 'proc', '100', 'task', '4'), { recursive: true }); // ESRCH
    return false;
  };
  assert.deepEqual(iso.restore(), { restored: 2, leftAlone: 1, widened: 0, failed: [] });
  assert.ok(!existsSync(m.record));
});

test('a thread started while the others move is moved too', (t) => {
  const m = fakeMachine(t, { 1: ['0-1', '11'] }, {}, '3');
  const setThreadCpus = m.machine.setThreadCpus;
  m.machine.setThreadCpus = (tid, cpus) => {
    if (tid === '1') m.addThread('100', '5', '0-1', '20'); // thread 1's process starts one before 1 is moved
    return setThreadCpus(tid, cpus);
  };
  const iso = keepCoreFor(1, m.machine);
  assert.equal(iso.threadsMoved, 2);
  assert.equal(m.cpusOf('5'), '0');
  const planned = JSON.parse(readFileSync(m.record, 'utf8')) as { threads: { tid: string }[] };
  assert.deepEqual(planned.threads.map((t) => t.tid), ['1', '5'], 'written down before it moved');
  m.machine.setThreadCpus = setThreadCpus;
  iso.restore();
  assert.equal(m.cpusOf('5'), '0-1');
});
