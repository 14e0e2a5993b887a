// One log line per key per interval, the lines held back counted on the next; bounded in keys
// however many strangers knock (past the bound they share one line).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogThrottle, OTHER_KEYS } from '../src/log-throttle.js';

test('one line per key per interval, with the count held back; keys stay bounded', () => {
  let now = 0;
  const t = new LogThrottle({ intervalMs: 1000, maxKeys: 3, now: () => now });
  assert.deepEqual(t.admit('a'), { held: 0 });
  assert.equal(t.admit('a'), null);
  assert.equal(t.admit('a'), null);
  assert.deepEqual(t.admit('b'), { held: 0 }, 'another key has its own line');
  now = 1000;
  assert.deepEqual(t.admit('a'), { held: 2 });
  // a flood of new keys: three remembered, the rest share one
  now = 1500;
  const admitted = Array.from({ length: 1000 }, (_, i) => t.admit(`k${i}`)).filter((x) => x !== null);
  // k0 takes the last free key, k1 the room of b (its interval has passed), then all share one
  assert.equal(admitted.length, 3, `k0, k1, then one line for all the others ("${OTHER_KEYS}")`);
  // once the interval has passed, quiet keys are forgotten and room is made
  now = 5000;
  assert.deepEqual(t.admit('fresh'), { held: 0 });
});
