// bench:real's order of turns (bench/lib/turn-order.ts): whoever goes first in a round has VPP at a
// different point of its drift and after a different turn, so over a cycle of rounds no client may
// be first, or before another, more often than the rest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { turnOrder, type TurnClient } from '../bench/lib/turn-order.js';

const CLIENTS: TurnClient[] = ['raw', 'copy', 'fibmgr'];

test('three-way rounds: over six each client is in each place twice and before each other one three times', () => {
  const orders = [1, 2, 3, 4, 5, 6].map((r) => turnOrder(r, true));
  for (const o of orders) assert.deepEqual([...o].sort(), [...CLIENTS].sort(), `each client once a round: ${o.join(', ')}`);
  for (const who of CLIENTS) {
    for (let place = 0; place < 3; place++) {
      assert.equal(orders.filter((o) => o[place] === who).length, 2, `${who} in place ${place + 1}`);
    }
    for (const other of CLIENTS.filter((c) => c !== who)) {
      assert.equal(orders.filter((o) => o.indexOf(who) < o.indexOf(other)).length, 3, `${who} before ${other}`);
    }
  }
  // the cycle repeats: rounds 7-12 as 1-6
  assert.deepEqual([7, 8, 9, 10, 11, 12].map((r) => turnOrder(r, true)), orders);
});

test('two-way rounds: the raw client first in odd rounds, fibmgr\'s place in even ones', () => {
  assert.deepEqual(turnOrder(1, false), ['raw', 'fibmgr']);
  assert.deepEqual(turnOrder(2, false), ['fibmgr', 'raw']);
  assert.deepEqual(turnOrder(9, false), ['raw', 'fibmgr']);
});

test('a round before the first is refused', () => {
  assert.throws(() => turnOrder(0, true), RangeError);
  assert.throws(() => turnOrder(1.5, false), RangeError);
});
