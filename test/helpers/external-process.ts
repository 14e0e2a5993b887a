// What the live helpers need for processes they start outside node:test's reach (a real VPP,
// zebra in a namespace): killed synchronously when this process exits, liveness by pid, and a
// poll with a deadline for state only the process itself can show (a socket answering, a pid gone).

const cleanups = new Set<() => void>();
let hooked = false;

/**
 * Runs `cleanupSync` when this process exits, or on SIGINT/SIGTERM before the signal's default
 * action: a crashed or interrupted test must not leave VPPs, zebras or namespaces behind.
 * Registering the same function again is a no-op.
 */
export function cleanUpAtExit(cleanupSync: () => void): void {
  cleanups.add(cleanupSync);
  if (hooked) return;
  hooked = true;
  const runAll = (): void => { for (const fn of cleanups) fn(); };
  process.on('exit', runAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { runAll(); process.kill(process.pid, sig); });
}

export function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/** Polls `cond` every 50 ms until it holds or `ms` have passed; its last answer. */
export async function pollUntil(cond: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}
