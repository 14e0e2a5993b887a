// How fibmgr's route connection reads VPP's replies while many requests are in flight. VPP sends
// each reply with a send() of its own while its socket has room, and queues them once it is full
// (to go out 4 KB a send() when the client reads): the longer the socket stays unread, the less VPP
// spends a reply. So the pause between reads grows with the window's fill: max(1, min(8, n /
// 2,048)) ms, n the requests still in flight after the read (so 7 ms at most at window 16,384,
// the read having just freed some), while VPP has ~8 times the pause's work queued. On a real VPP,
// 1.2M routes (README, Benchmarks, run R): a raw client reading every 8 ms with 16,384 in flight
// took 5.4 s where its passes reading every 1 ms took 7.3–7.6 s, and fibmgr at window 4,096
// reading every 1 ms was at 0.81x of it over 8 rounds; at window 16,384 with this pause, 0.93x
// over 4 (run R's g8a) and run R2's below.
import { type ReplyGather, DEFAULT_REPLY_GATHER, gatherProblem } from 'vpp-binapi-ts';

/** Requests in flight per ms of pause, and the longest pause. */
export const ROUTE_GATHER_PER_MS = 2048;
export const ROUTE_GATHER_MAX_MS = 8;

/**
 * The route connection's ReplyGather for a request timeout of `timeoutMs`; undefined (the client's
 * default, a 1 ms pause) where vpp-binapi-ts would refuse it (its pauses stay under a quarter of
 * the timeout, which they do not stop).
 */
export function routeReplyGather(timeoutMs: number): ReplyGather | undefined {
  const g = { ...DEFAULT_REPLY_GATHER, perMs: ROUTE_GATHER_PER_MS, maxMs: ROUTE_GATHER_MAX_MS };
  return gatherProblem(g, timeoutMs) === null ? g : undefined;
}
