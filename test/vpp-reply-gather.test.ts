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
  assert.ok(ROUTE_GATHER_MAX_MS * ROUTE_GATHER_PER_MS <= DEFAULTS.vppWindow / 4, 'the longest pause from a quarter of the default window on');
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
