// At start fibmgr may come up before VPP does: its first session is retried with backoff until
// VPP answers, a stop is asked for, or VPP turns out to be one fibmgr cannot use (a CRC mismatch:
// no retry fixes that). The VPP client's own reconnect takes over once a session has been up.
import { isCrcMismatch } from 'vpp-binapi-ts';

/**
 * Connects `client`; true once it is, false if `stopping()` became true first. `onRetry` hears of
 * each failed attempt (1-based) before the wait: 250 ms doubling, at most 10 s.
 */
export async function connectVpp(
  client: { connect(): Promise<unknown> },
  stopping: () => boolean,
  onRetry: (err: Error, attempt: number, retryInMs: number) => void = () => undefined,
): Promise<boolean> {
  for (let attempt = 1; !stopping(); attempt++) {
    try {
      await client.connect();
      return true;
    } catch (err) {
      if (isCrcMismatch(err)) throw err;
      if (stopping()) return false;
      const delay = Math.min(10_000, 250 * 2 ** Math.min(attempt - 1, 6));
      onRetry(err as Error, attempt, delay);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  return false;
}
