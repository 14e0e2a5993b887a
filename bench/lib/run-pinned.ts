// bench:real's first process: Node cannot set its own affinity, so the bench runs again under
// taskset, off VPP's core, and this process only waits for it (with REAL_BENCH_ISOLATE=1, it keeps
// the machine's other tasks off VPP's core meanwhile and puts them back after).
import { spawn, type ChildProcess } from 'node:child_process';
import { keepCoreFor, type CoreIsolation } from './core-isolation.js';

/** Runs this process's command again on CPUs 0 to pin - 1 and exits with its status. */
export async function rerunOffCore(pin: number, isolate: boolean, env: NodeJS.ProcessEnv): Promise<never> {
  let child: ChildProcess | undefined;
  // before anything is moved: a signal to this process alone reaches the bench, which ends, and
  // then the affinities are put back (in its own default, this process would die with them moved)
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => child?.kill(sig));
  let iso: CoreIsolation | null = null;
  let status = 1;
  try {
    iso = isolate ? keepCoreFor(pin) : null;
    const kept = iso ? `${iso.threadsMoved} threads, ${iso.irqsMoved} IRQs${iso.workqueuesMoved ? ' and the unbound workqueues' : ''}` : '';
    child = spawn('taskset', ['-c', `0-${pin - 1}`, process.execPath, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...env, REAL_BENCH_PINNED: String(pin), REAL_BENCH_CORE_KEPT: kept } });
    status = await new Promise<number>((resolve) => {
      child!.once('error', (err) => {
        console.error(`bench:real: taskset failed (${err.message}); REAL_BENCH_PIN=0 runs unpinned`);
        resolve(2);
      });
      child!.once('exit', (code) => resolve(code ?? 1));
    });
  } finally {
    const failed = iso?.restore() ?? 0;
    if (failed) console.error(`bench:real: ${failed} of the affinities moved off CPU ${pin} could not be put back`);
  }
  process.exit(status);
}
