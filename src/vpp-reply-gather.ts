// How fibmgr's route connection reads VPP's replies while many requests are in flight. VPP sends
// each reply with a send() of its own while its socket has room, and queues them once it is full
// (to go out 4 KB a send() when the client reads): the longer the socket stays unread, the less VPP
// spends a reply. So the pause between reads grows with the window's fill: max(1, min(32, n / 256))
// ms, n the requests still in flight after the read: 32 ms from 8,192 on, as the best raw clients
// read (every 16–32 ms), while VPP still has the rest of the window queued (~25,000 requests at
// the default window of 32,768, ~0.1 s of its work: more than fibmgr's longest stall, a GC).
// On a real VPP, 1.2M routes (README, Benchmarks): a raw client reading every 32 ms took
// 4.97–5.27 s where reading every 8 ms took 5.31–5.80 (run U). With pauses up to 8 ms (n / 2,048)
// fibmgr read 811–909 times a sync against the raw client's 629–650 and VPP was busy 0.1–0.9 s
// longer; with n / 512 at window 16,384 the read left ~9,000 in flight, an ~18 ms pause, and VPP
// made ~50,000 more send()s that succeed (a buffer and a copy each) than under the raw client
// (`perf stat` on VPP, run V); n / 256 at that window made them equal but left VPP ~39 ms of work
// when fibmgr came back, and a GC's stall ran it dry (idle 0.09–0.63 s a sync); at window 32,768,
// VPP idle 0.01–0.07 s (run V).
import { type ReplyGather, DEFAULT_REPLY_GATHER, gatherProblem } from 'vpp-binapi-ts';

/** Requests in flight per ms of pause, and the longest pause. */
export const ROUTE_GATHER_PER_MS = 256;
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
