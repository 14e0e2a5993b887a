// bench:real's first process: Node cannot set its own affinity, so the bench runs again under
// taskset, off VPP's core, and this process only waits for it (with REAL_BENCH_ISOLATE=1, it keeps
// the machine's other tasks off VPP's core meanwhile and puts them back after).
import { spawn, type ChildProcess } from 'node:child_process';
import { keepCoreFor, type CoreIsolation } from './core-isolation.js';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Runs this process's command again on CPUs 0 to pin - 1 and ends as it ends (its status, or its signal). */
export async function rerunOffCore(pin: number, isolate: boolean, env: NodeJS.ProcessEnv): Promise<never> {
  if (isolate && process.getuid?.() !== 0) {
    console.error('bench:real: REAL_BENCH_ISOLATE=1 needs root (the machine\'s threads and IRQs): VPP\'s core is not kept for VPP');
    isolate = false;
  }
  let child: ChildProcess | undefined;
  // before anything is moved: a signal to this process alone reaches the bench, which ends, and
  // then the affinities are put back (by default this process would die with them moved)
  for (const sig of SIGNALS) process.on(sig, () => child?.kill(sig));
  let iso: CoreIsolation | null = null;
  let end: { status: number } | { signal: NodeJS.Signals };
  try {
    iso = isolate ? keepCoreFor(pin) : null;
    const kept = iso ? `${iso.threadsMoved} threads, ${iso.irqsMoved} IRQs${iso.workqueuesMoved ? ' and the unbound workqueues' : ''}` : '';
    child = spawn('taskset', ['-c', `0-${pin - 1}`, process.execPath, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...env, REAL_BENCH_PINNED: String(pin), REAL_BENCH_CORE_KEPT: kept } });
    end = await new Promise((resolve) => {
      child!.once('error', (err) => {
        console.error(`bench:real: taskset failed (${err.message}); REAL_BENCH_PIN=0 runs unpinned`);
        resolve({ status: 2 });
      });
      child!.once('exit', (code, signal) => resolve(signal ? { signal } : { status: code ?? 1 }));
    });
  } finally {
    const failed = iso?.restore() ?? 0;
    if (failed) console.error(`bench:real: ${failed} of the affinities moved off CPU ${pin} could not be put back`);
  }
  if ('signal' in end) {
    // as the bench ended: a shell sees the signal (a loop over runs stops at a Ctrl-C)
    for (const sig of SIGNALS) process.removeAllListeners(sig);
    process.kill(process.pid, end.signal);
  }
  process.exit('status' in end ? end.status : 1);
}
