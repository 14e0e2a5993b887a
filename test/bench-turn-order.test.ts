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

test('three-way rounds run one after another: no client follows itself, each follows each other one three times a cycle', () => {
  // rounds 1-7: the turns as they run, the first of the next cycle included
  const turns = [1, 2, 3, 4, 5, 6, 7].flatMap((r) => turnOrder(r, true));
  const follows = new Map<string, number>();
  // 18 successions: those into rounds 2-7's first turns and each round's own
  for (let i = 1; i <= 18; i++) follows.set(`${turns[i - 1]}>${turns[i]}`, (follows.get(`${turns[i - 1]}>${turns[i]}`) ?? 0) + 1);
  for (const a of CLIENTS) {
    assert.equal(follows.get(`${a}>${a}`), undefined, `${a} follows itself`);
    for (const b of CLIENTS.filter((c) => c !== a)) assert.equal(follows.get(`${a}>${b}`), 3, `${b} after ${a}`);
  }
});

test('two-way rounds: the raw client first in odd rounds, fibmgr\'s place in even ones', () => {
  for (let r = 1; r <= 12; r++) assert.deepEqual(turnOrder(r, false), r % 2 === 1 ? ['raw', 'fibmgr'] : ['fibmgr', 'raw'], `round ${r}`);
});

test('a round before the first is refused', () => {
  assert.throws(() => turnOrder(0, true), RangeError);
  assert.throws(() => turnOrder(1.5, false), RangeError);
});
