// Waiting in tests for what this process itself does: on event-loop turns (timers and I/O run
// between them), with a generous real deadline that only a hang reaches. Nothing here sleeps.

/** Waits until `cond` holds; false if it still does not after `ms`. */
export async function until(cond: () => boolean, ms = 5000): Promise<boolean> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) return false;
    await new Promise((res) => setImmediate(res));
  }
  return true;
}

/** As `until`, throwing with `what` when the deadline passes. */
export async function waitFor(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  if (!(await until(cond, ms))) throw new Error(`timed out waiting for ${what}`);
}

/** `n` event-loop turns: what this process would do with bytes or timers already due, it has done. */
export async function turns(n = 10): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((res) => setImmediate(res));
}
