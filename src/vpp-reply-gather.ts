// How fibmgr's route connection reads VPP's replies while many requests are in flight. VPP sends
// each reply with a send() of its own while its socket has room, and queues them once it is full
// (to go out 4 KB a send() when the client reads): the longer the socket stays unread, the less VPP
// spends a reply. So the pause between reads grows with the window's fill: max(1, min(32, n / 512))
// ms, n the requests still in flight after the read (~28 ms at window 16,384, the read having just
// freed some), while VPP has about twice the pause's work queued. On a real VPP, 1.2M routes
// (README, Benchmarks, run U): a raw client reading every 32 ms took 4.97–5.27 s where reading
// every 8 ms took 5.31–5.80; fibmgr pausing up to 8 ms (n / 2,048) read VPP's socket 811–909 times a
// sync against the raw client's 629–650 and kept VPP busy 0.1–0.9 s longer than it in 6 of 8
// rounds (0.90x); up to 32 ms, 654–671 reads, VPP as busy under either (4.77–5.00 s against
// 4.68–5.00), 0.95x over 8 rounds.
import { type ReplyGather, DEFAULT_REPLY_GATHER, gatherProblem } from 'vpp-binapi-ts';

/** Requests in flight per ms of pause, and the longest pause. */
export const ROUTE_GATHER_PER_MS = 512;
export const ROUTE_GATHER_MAX_MS = 32;

/**
 * The route connection's ReplyGather for a request timeout of `timeoutMs`; undefined (the client's
 * default, a 1 ms pause) where vpp-binapi-ts would refuse it (its pauses stay under a quarter of
 * the timeout, which they do not stop).
 */
export function routeReplyGather(timeoutMs: number): ReplyGather | undefined {
  const g = { ...DEFAULT_REPLY_GATHER, perMs: ROUTE_GATHER_PER_MS, maxMs: ROUTE_GATHER_MAX_MS };
  return gatherProblem(g, timeoutMs) === null ? g : undefined;
}
