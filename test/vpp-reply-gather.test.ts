// The route connection's reading of replies (src/vpp-reply-gather.ts): the pause grows with the
// window's fill up to 8 ms, and a request timeout too short for it leaves the client's default
// rather than a client that refuses to be built.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_REPLY_GATHER, VppClient } from 'vpp-binapi-ts';
import { messages } from 'vpp-binapi-ts/gen';
import { routeReplyGather, ROUTE_GATHER_MAX_MS } from '../src/vpp-reply-gather.js';
import { DEFAULTS } from '../src/config/options.js';

test('at the default timeout, the pause starts at the client\'s 1 ms and reaches 8 ms only with the default window full', () => {
  const g = routeReplyGather(DEFAULTS.vppTimeout * 1000);
  assert.ok(g, 'a gather for the default timeout');
  // vpp-binapi-ts: max(ms, min(maxMs, floor(inFlight / perMs))) ms once minInFlight are in flight
  assert.deepEqual(g, { ...DEFAULT_REPLY_GATHER, perMs: 2048, maxMs: ROUTE_GATHER_MAX_MS });
  assert.equal(g.ms, 1);
  assert.equal(DEFAULTS.vppWindow, 16384);
  assert.equal(Math.floor(DEFAULTS.vppWindow / g.perMs!), ROUTE_GATHER_MAX_MS, 'the longest pause is the full window\'s');
  assert.ok(Math.floor((DEFAULTS.vppWindow - 1) / g.perMs!) < ROUTE_GATHER_MAX_MS, 'and only the full window\'s');
});

test('a timeout under four longest pauses gets the client\'s default; every gather given builds a client', () => {
  assert.equal(routeReplyGather(4 * ROUTE_GATHER_MAX_MS - 1), undefined);
  assert.ok(routeReplyGather(4 * ROUTE_GATHER_MAX_MS));
  for (const timeoutMs of [1, 10, 31, 32, 100, 10_000]) {
    const g = routeReplyGather(timeoutMs);
    assert.doesNotThrow(() => new VppClient({ socketPath: '/nonexistent', messages: messages as any, timeoutMs, ...(g ? { gatherReplies: g } : {}) }), `timeout ${timeoutMs} ms`);
  }
});
