// Per-message request outcomes and a latency histogram, kept as plain numbers so that recording
// costs a few additions on the hot path; whoever exports them (Prometheus, logs) reads a snapshot.
import { isDisconnected, isRetvalError, isTimeout } from './errors.js';

/** Upper bounds, in seconds, of the latency buckets (the last bucket is +Inf). */
export const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

export interface RequestStat {
  message: string;
  /** Completed requests by result: "ok", VPP's retval name ("VNET_API_ERROR_NO_SUCH_FIB" or "retval -6"), "timeout", "disconnected". */
  results: Record<string, number>;
  /** Non-cumulative counts per LATENCY_BUCKETS entry, plus one for +Inf. */
  buckets: number[];
  /** Sum of latencies, seconds. */
  sum: number;
  count: number;
}

export function newRequestStat(message: string): RequestStat {
  return { message, results: { ok: 0 }, buckets: new Array<number>(LATENCY_BUCKETS.length + 1).fill(0), sum: 0, count: 0 };
}

/** The result label of a failed request. */
export function resultOf(err: Error): string {
  if (isRetvalError(err)) return err.retvalName ?? `retval ${err.retval}`;
  if (isTimeout(err)) return 'timeout';
  if (isDisconnected(err)) return 'disconnected';
  return 'error';
}

export function record(st: RequestStat, result: string, seconds: number): void {
  st.results[result] = (st.results[result] ?? 0) + 1;
  let i = 0;
  while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i++;
  st.buckets[i]!++;
  st.sum += seconds;
  st.count++;
}

/** The sum of two stats of one message (a new object). */
export function mergeStats(a: RequestStat, b: RequestStat): RequestStat {
  const results = { ...a.results };
  for (const [k, v] of Object.entries(b.results)) results[k] = (results[k] ?? 0) + v;
  return { message: a.message, results, buckets: a.buckets.map((x, i) => x + b.buckets[i]!), sum: a.sum + b.sum, count: a.count + b.count };
}
