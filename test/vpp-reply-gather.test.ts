// The route connection's reading of replies (src/vpp-reply-gather.ts): the pause grows with the
// requests still in flight after a read, and a request timeout too short for its longest pause
// leaves the client's default rather than a client that refuses to be built.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_REPLY_GATHER, gatherPauseMs, VppClient } from 'vpp-binapi-ts';
import { messages } from 'vpp-binapi-ts/gen';
import { routeReplyGather, ROUTE_GATHER_MAX_MS, ROUTE_GATHER_PER_MS } from '../src/vpp-reply-gather.js';
import { DEFAULTS } from '../src/config/options.js';

const client = (timeoutMs: number, gatherReplies?: ReturnType<typeof routeReplyGather>) =>
  new VppClient({ socketPath: '/nonexistent', messages: messages as any, timeoutMs, ...(gatherReplies ? { gatherReplies } : {}) });

test('at the default timeout and window the pause grows from 1 ms with what is still in flight after a read', () => {
  const g = routeReplyGather(DEFAULTS.vppTimeout * 1000);
  assert.ok(g, 'a gather for the default timeout');
  assert.equal(g.minInFlight, DEFAULT_REPLY_GATHER.minInFlight, 'a lone request is read at once, as by default');
  assert.equal(gatherPauseMs(g, 100), 1);
  assert.equal(gatherPauseMs(g, 4096), 16);
  // a read of a pause's replies (~7,000 at VPP's ~4.5 µs a reply) leaves the default window short
  // of full: the pause is still the longest, as the fastest raw client's (every 32 ms)
  assert.equal(gatherPauseMs(g, DEFAULTS.vppWindow - 7000), ROUTE_GATHER_MAX_MS);
  assert.equal(gatherPauseMs(g, 8191), 31);
  assert.equal(gatherPauseMs(g, 10 * DEFAULTS.vppWindow), ROUTE_GATHER_MAX_MS, 'never past the longest pause');
  assert.ok(ROUTE_GATHER_MAX_MS * ROUTE_GATHER_PER_MS <= DEFAULTS.vppWindow / 2, 'the longest pause from half the default window on');
  // VPP answers a route request in ~4.5 µs: a read of the longest pause's replies, from a full
  // window, leaves VPP more to do than it answers through the next longest pause, so that the pause
  // alone never runs it dry (a GC's stall of fibmgr's thread has the rest, ~0.08 s)
  const answeredInPause = Math.ceil(ROUTE_GATHER_MAX_MS * 1000 / 4.5);
  assert.ok(DEFAULTS.vppWindow - 2 * answeredInPause >= DEFAULTS.vppWindow / 2, 'VPP keeps half the default window queued through a pause');
});

test('a timeout under four longest pauses gets the client\'s default: the growing pause would not build a client', () => {
  const short = 4 * ROUTE_GATHER_MAX_MS - 1;
  assert.equal(routeReplyGather(short), undefined);
  assert.throws(() => client(short, { ...DEFAULT_REPLY_GATHER, perMs: ROUTE_GATHER_PER_MS, maxMs: ROUTE_GATHER_MAX_MS }), RangeError);
  for (const timeoutMs of [short, 4 * ROUTE_GATHER_MAX_MS, DEFAULTS.vppTimeout * 1000]) {
    assert.doesNotThrow(() => client(timeoutMs, routeReplyGather(timeoutMs)), `timeout ${timeoutMs} ms`);
  }
  assert.ok(routeReplyGather(4 * ROUTE_GATHER_MAX_MS)?.perMs, 'from four longest pauses on, the growing pause');
});
