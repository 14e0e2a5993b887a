// The reconciler's route table: its hash tables against a Map as the model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RouteTable, V4Map, type Slot } from '../../src/sync/state/route-table.js';
import { newEntry } from '../../src/sync/state/route-entry.js';
import type { Entry } from '../../src/sync/state/route-entry.js';
import { parsePrefix, prefixFromBytes, prefixText } from '../../src/route/prefix.js';

const P = (text: string) => parsePrefix(text);

test('route table: lookups, creation, removal while walking, against a Map', () => {
  const prefixArb = fc.oneof(
    // dense runs (zebra's order) and scattered ones, short and long prefixes, both families
    fc.tuple(fc.constant(4 as const), fc.integer({ min: 0, max: 4095 }), fc.constantFrom(0, 8, 20, 24, 32)).map(([, i, len]) => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(len === 0 ? 0 : ((0x0a000000 + i * 977) << (32 - len)) >>> 0);
      return prefixText(prefixFromBytes(4, b, 0, len));
    }),
    fc.tuple(fc.integer({ min: 0, max: 4095 }), fc.constantFrom(0, 48, 64, 128)).map(([i, len]) => {
      const b = Buffer.alloc(16);
      if (len >= 48) b.writeUInt32BE(0x20010db8, 0);
      if (len >= 64) b.writeUInt16BE(i, 6);
      if (len === 128) b.writeUInt32BE(i * 7919, 12);
      if (len === 48) b.writeUInt16BE(i, 4);
      return prefixText(prefixFromBytes(6, b, 0, len));
    }),
  );
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.constantFrom('add', 'add', 'get', 'del'), prefixArb, fc.constantFrom(0, 7)), { maxLength: 3000 }),
    fc.integer({ min: 0, max: 3 }),
    (ops, dropEvery) => {
      const t = new RouteTable();
      const model = new Map<string, Entry>();
      for (const [op, prefix, table] of ops) {
        const key = `${table}|${prefix}`;
        if (op === 'add') {
          const e = t.lookup(table, P(prefix), true);
          if (model.has(key)) assert.equal(e, model.get(key));
          model.set(key, e);
          assert.equal(String(t.prefixOf(e)), prefix);
        } else if (op === 'get') assert.equal(t.lookup(table, P(prefix), false), model.get(key));
        else {
          const e = model.get(key);
          if (e) t.delete(e);
          model.delete(key);
        }
        assert.equal(t.size, model.size);
      }
      // a walk that removes some entries as it goes sees every entry once
      const seen = new Set<Entry>();
      let n = 0;
      t.forEach((e) => {
        assert.ok(!seen.has(e));
        seen.add(e);
        if (dropEvery > 0 && n++ % (dropEvery + 1) === 0) {
          t.delete(e);
          model.delete(`${e.slot.info.table}|${String(t.prefixOf(e))}`);
        }
      });
      assert.equal(t.size, model.size);
      assert.deepEqual(new Set([...t]), new Set(model.values()));
      for (const [key, e] of model) {
        const [table, prefix] = key.split('|') as [string, string];
        assert.equal(t.lookup(Number(table), P(prefix), false), e);
      }
    },
  ), { numRuns: 60 });
});

test('route table: dense runs (blocks colliding and spilling over), removals in the middle of probe chains', () => {
  const t = new RouteTable();
  const text = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`;
  const N = 20_000;
  const all = Array.from({ length: N }, (_, i) => t.lookup(0, P(text(i * 3)), true));
  for (let i = 0; i < N; i += 3) t.delete(all[i]!);
  for (let i = 0; i < N; i++) assert.equal(t.lookup(0, P(text(i * 3)), false), i % 3 === 0 ? undefined : all[i], text(i * 3));
  // re-adding reuses removed slots and finds nothing twice
  for (let i = 0; i < N; i += 3) all[i] = t.lookup(0, P(text(i * 3)), true);
  for (let i = 0; i < N; i++) assert.equal(t.lookup(0, P(text(i * 3)), true), all[i]);
  assert.equal(t.size, N);
  assert.equal(new Set([...t]).size, N);
});

test('route table: IPv6 dense runs with removals, and a prefix written another way is the same route', () => {
  const t = new RouteTable();
  const text = (i: number) => `2001:db8:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}::/64`;
  const N = 20_000;
  const all = Array.from({ length: N }, (_, i) => t.lookup(0, P(text(i)), true));
  for (let i = 0; i < N; i += 3) t.delete(all[i]!);
  for (let i = 0; i < N; i++) assert.equal(t.lookup(0, P(text(i)), false), i % 3 === 0 ? undefined : all[i], text(i));
  const e = t.lookup(0, P('::ffff:10.0.0.0/104'), true);
  assert.equal(t.lookup(0, P('::ffff:a00:0/104'), false), e);
  assert.equal(t.lookup(0, P('2001:DB8::/32'), true), t.lookup(0, P('2001:db8::/32'), false));
  const before = t.size;
  t.delete(e);
  assert.equal(t.lookup(0, P('::ffff:10.0.0.0/104'), false), undefined);
  assert.equal(t.size, before - 1);
});

test('route table: a growth is spread over the inserts that follow it (no rebuild all at once), and nothing is lost meanwhile', () => {
  // a map's own entries: a slot object for newEntry is all an Entry needs here
  const m = new V4Map(32);
  const entries: Entry[] = [];
  const key = (i: number) => (0x0a000000 + i) | 0;
  let growths = 0;
  for (let i = 0; i < 200_000; i++) {
    const cap = m.capacity;
    const e = newEntry(null as unknown as Slot, key(i));
    m.set(key(i), e);
    entries.push(e);
    if (m.capacity === cap) continue;
    growths++;
    // the insert that grew the table moved nothing over yet: the old slots are still being searched
    assert.ok(m.rebuilding, `growth to ${m.capacity} at ${i + 1} entries moves over the next inserts`);
    // every entry is found during the move, and a removal finds its entry in the old slots
    for (let j = 0; j <= i; j += 97) assert.equal(m.get(key(j)), entries[j], `entry ${j} during the move`);
    let n = 0;
    while (m.rebuilding) {
      const k = i + 1 + n;
      const e2 = newEntry(null as unknown as Slot, key(k));
      m.set(key(k), e2);
      entries.push(e2);
      n++;
    }
    i += n;
    // 16 old slots an insert: the move ends after cap / 16 inserts, long before the next growth
    assert.ok(n <= cap / 16 + 1, `a move of ${cap} slots took ${n} inserts`);
  }
  assert.ok(growths >= 10);
  assert.equal(m.size, entries.length);
  for (let j = 0; j < entries.length; j++) assert.equal(m.get(key(j)), entries[j]);
});

test('route table: removals and a walk that removes as it goes, in the middle of a move', () => {
  const m = new V4Map(32);
  const key = (i: number) => (0x0b000000 + i * 17) | 0;
  const live = new Map<number, Entry>();
  let i = 0;
  const add = () => {
    const e = newEntry(null as unknown as Slot, key(i));
    m.set(key(i), e);
    live.set(key(i), e);
    i++;
  };
  while (!(m.rebuilding && m.capacity >= 8192)) add();
  for (let k = 0; k < 100; k++) add(); // 1,600 of the 4,096 old slots moved
  assert.ok(m.rebuilding);
  // removals of entries in both arrays
  for (const [k, e] of [...live].filter((_, j) => j % 5 === 0)) {
    assert.ok(m.delete(e));
    assert.ok(!m.delete(e), 'removed once');
    live.delete(k);
    assert.equal(m.get(k), undefined);
  }
  const seen = new Set<Entry>();
  let n = 0;
  m.forEach((e) => {
    assert.ok(!seen.has(e), 'each entry once');
    seen.add(e);
    if (n++ % 3 === 0) {
      m.delete(e);
      live.delete(e.network as number);
    }
  });
  assert.equal(m.size, live.size);
  assert.deepEqual(new Set(m.values()), new Set(live.values()));
  while (m.rebuilding) add();
  for (const [k, e] of live) assert.equal(m.get(k), e);
});

test('route table: a move that inserts stopped feeding ends through lookups (the old arrays are let go), and never during a walk', () => {
  const m = new V4Map(32);
  const key = (i: number) => (0x0c000000 + i * 3) | 0;
  const entries: Entry[] = [];
  // fill until a growth starts, then stop inserting (zebra's replay ended just after it)
  while (!(m.rebuilding && m.capacity >= 16384)) {
    const e = newEntry(null as unknown as Slot, key(entries.length));
    m.set(key(entries.length), e);
    entries.push(e);
  }
  const oldSlots = m.capacity / 2;
  // a walk that looks entries up as it goes sees each entry once: lookups do not move entries meanwhile
  const seen = new Set<Entry>();
  m.forEach((e) => {
    assert.ok(!seen.has(e), 'each entry once');
    seen.add(e);
    assert.equal(m.get(e.network as number), e);
  });
  assert.equal(seen.size, entries.length);
  assert.ok(m.rebuilding, 'nothing moved during the walk');
  // the steady state: lookups (route updates of known prefixes), no inserts
  let lookups = 0;
  while (m.rebuilding && lookups < 10 * oldSlots) {
    const j = lookups % entries.length;
    assert.equal(m.get(key(j)), entries[j]);
    lookups++;
  }
  assert.ok(!m.rebuilding, `the move still holds the old arrays after ${lookups} lookups and no insert`);
  assert.ok(lookups <= oldSlots / 16 + 1, `${lookups} lookups to end a move of ${oldSlots} slots`);
  assert.equal(m.size, entries.length);
  for (let j = 0; j < entries.length; j++) assert.equal(m.get(key(j)), entries[j]);
});
