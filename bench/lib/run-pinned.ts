// bench:real's first process: Node cannot set its own affinity, so the bench runs again under
// taskset, off VPP's core, and this process only waits for it (with REAL_BENCH_ISOLATE=1, it keeps
// the machine's other tasks off VPP's core meanwhile and puts them back after).
import { spawn, type ChildProcess } from 'node:child_process';
import { BenchRunningError, IsolationError, keepCoreFor, putBackLeftOver, type CoreIsolation, type PutBack } from './core-isolation.js';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

/**
 * Runs this process's command again on CPUs 0 to pin - 1 and ends as it ends (its status, or its
 * signal). The environment's REAL_BENCH_CORE tells the bench whether VPP's core was kept, and why not.
 */
export async function rerunOffCore(pin: number, isolate: boolean, env: NodeJS.ProcessEnv): Promise<never> {
  const root = process.getuid?.() === 0;
  // as root, whether isolating or not: a run killed before it put things back left them moved
  if (root) putBackWhatWasLeft();
  let core = isolate ? 'not kept: not root (the machine\'s threads and IRQs)' : 'not kept (REAL_BENCH_ISOLATE=1 keeps it, as root)';
  let child: ChildProcess | undefined;
  // before anything is moved: a signal to this process alone reaches the bench, which ends, and
  // then the affinities are put back (by default this process would die with them moved)
  for (const sig of SIGNALS) process.on(sig, () => child?.kill(sig));
  let iso: CoreIsolation | null = null;
  let end: { status: number } | { signal: NodeJS.Signals };
  try {
    if (isolate && root) {
      try {
        iso = keepCoreFor(pin);
        core = `kept: ${iso.threadsMoved} threads, ${iso.irqsMoved} IRQs${iso.workqueuesMoved ? ' and the unbound workqueues' : ''} moved off CPU ${pin} for the run, put back after it`;
      } catch (err) {
        if (err instanceof BenchRunningError) {
          console.error(`bench:real: ${err.message}`);
          process.exit(1);
        }
        if (!(err instanceof IsolationError)) throw err;
        core = `not kept: ${err.message}`;
      }
    }
    if (isolate && !iso) console.error(`bench:real: VPP's core ${core}`);
    // setpriv, as the VPP it starts (test/helpers/real-vpp): should this process be SIGKILLed, the
    // bench dies with it (and its VPP with the bench), so nothing runs on after the next run puts
    // the affinities back
    const args = ['--pdeathsig', 'KILL', '--', 'taskset', '-c', `0-${pin - 1}`, process.execPath, ...process.execArgv, ...process.argv.slice(1)];
    child = spawn('setpriv', args, { stdio: 'inherit', env: { ...env, REAL_BENCH_PINNED: String(pin), REAL_BENCH_CORE: core } });
    end = await new Promise((resolve) => {
      child!.once('error', (err) => {
        console.error(`bench:real: setpriv or taskset failed (${err.message}); REAL_BENCH_PIN=0 runs unpinned`);
        resolve({ status: 2 });
      });
      child!.once('exit', (code, signal) => {
        // setpriv and taskset say 126/127 when they cannot run what follows: taskset missing, say
        if (code === 126 || code === 127) console.error(`bench:real: setpriv or taskset could not run the bench (exit ${code}); REAL_BENCH_PIN=0 runs unpinned`);
        resolve(signal ? { signal } : { status: code ?? 1 });
      });
    });
  } finally {
    try {
      if (iso) reportPutBack(iso.restore(), 'this run');
    } catch (err) {
      console.error(`bench:real: putting back what this run moved failed (${(err as Error).message}); the next bench:real run as root tries again`);
    }
  }
  if ('signal' in end) {
    // as the bench ended: a shell sees the signal (a loop over runs stops at a Ctrl-C)
    for (const sig of SIGNALS) process.removeAllListeners(sig);
    process.kill(process.pid, end.signal);
  }
  process.exit('status' in end ? end.status : 1);
}

/** As root: puts back what a bench:real killed before it could left moved, and says so. */
export function putBackWhatWasLeft(): void {
  const left = putBackLeftOver();
  if (left.kind === 'owner alive') {
    console.error(`bench:real: bench:real ${left.pid} is running and keeping VPP's core; wait for it to end (two benches on one machine measure each other)`);
    process.exit(1);
  }
  else if (left.kind === 'unreadable') console.error(`bench:real: a record of moved affinities could not be read (${left.why})${left.movedTo ? `; moved to ${left.movedTo}` : ''}: nothing put back from it`);
  else if (left.kind === 'put back') reportPutBack(left.result, `a bench killed earlier (pid ${left.owner})`);
}

function reportPutBack(r: PutBack, whose: string): void {
  console.error(`bench:real: what ${whose} moved off VPP's core: ${r.restored} put back, ${r.leftAlone} left alone (changed since, gone, or never moved), ${r.widened} started meanwhile widened${r.failed.length ? `; the kernel refused ${r.failed.length}, kept in the record: ${r.failed.join('; ')}` : ''}`);
}
