// The reconciler's route table: its hash tables and prefix parsers against a Map and the
// generic prefix parser, as models.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RouteTable, parseV4, parseV6, type Entry } from '../../src/sync/route-table.js';
import { formatPrefix, parsePrefix } from '../../src/route/prefix.js';

test('parseV4 and parseV6 read what the generic parser reads, and refuse what it refuses', () => {
  fc.assert(fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), (a, len) => {
    const p = parsePrefix(`${a}/${len}`);
    const got = parseV4(`${a}/${len}`);
    assert.equal(got % 64, len);
    assert.equal((got - len) / 64, p.bytes.readUInt32BE(0));
  }), { numRuns: 500 });
  const w = new Int32Array(4);
  fc.assert(fc.property(fc.ipV6(), fc.integer({ min: 0, max: 128 }), (a, len) => {
    const text = `${a}/${len}`;
    const p = parsePrefix(text);
    const got = parseV6(text, w);
    if (a.includes('.')) return assert.equal(got, -1); // IPv4-mapped tails take the generic parser
    assert.equal(got, len, text);
    for (let i = 0; i < 4; i++) assert.equal(w[i], p.bytes.readInt32BE(4 * i), text);
  }), { numRuns: 500 });
  for (const bad of ['1::2::3/64', ':1::/64', '1:/64', '1:2:3:4:5:6:7:8:9/128', '1:2:3:4:5:6:7/128', '12345::/16', 'g::/16', '::/129', '::/', '::', '1::2:3:4:5:6:7:8/128']) {
    assert.equal(parseV6(bad, w), -1, bad);
  }
  for (const bad of ['1.2.3/8', '1.2.3.4.5/8', '256.0.0.0/8', '1.2.3.4/33', '1.2.3.4/', '1.2.3.4', 'a.b.c.d/8']) assert.equal(parseV4(bad), -1, bad);
});

test('route table: lookups, creation, removal while walking, against a Map', () => {
  const prefixArb = fc.oneof(
    // dense runs (zebra's order) and scattered ones, short and long prefixes, both families
    fc.tuple(fc.constant(4 as const), fc.integer({ min: 0, max: 4095 }), fc.constantFrom(0, 8, 20, 24, 32)).map(([, i, len]) => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(len === 0 ? 0 : ((0x0a000000 + i * 977) << (32 - len)) >>> 0);
      return formatPrefix(4, b, len);
    }),
    fc.tuple(fc.integer({ min: 0, max: 4095 }), fc.constantFrom(0, 48, 64, 128)).map(([i, len]) => {
      const b = Buffer.alloc(16);
      if (len >= 48) b.writeUInt32BE(0x20010db8, 0);
      if (len >= 64) b.writeUInt16BE(i, 6);
      if (len === 128) b.writeUInt32BE(i * 7919, 12);
      if (len === 48) b.writeUInt16BE(i, 4);
      return formatPrefix(6, b, len);
    }),
  );
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.constantFrom('add', 'add', 'get', 'del'), prefixArb, fc.constantFrom(0, 7)), { maxLength: 3000 }),
    fc.integer({ min: 0, max: 3 }),
    (ops, dropEvery) => {
      const t = new RouteTable();
      const model = new Map<string, Entry>();
      for (const [op, prefix, table] of ops) {
        const fam = prefix.includes(':') ? 6 : 4;
        const key = `${table}|${prefix}`;
        if (op === 'add') {
          const e = t.lookup(fam, table, prefix, true);
          if (model.has(key)) assert.equal(e, model.get(key));
          model.set(key, e);
          assert.equal(t.prefixOf(e), prefix);
        } else if (op === 'get') assert.equal(t.lookup(fam, table, prefix, false), model.get(key));
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
          model.delete(`${e.slot.info.table}|${t.prefixOf(e)}`);
        }
      });
      assert.equal(t.size, model.size);
      assert.deepEqual(new Set([...t]), new Set(model.values()));
      for (const [key, e] of model) {
        const [table, prefix] = key.split('|') as [string, string];
        assert.equal(t.lookup(prefix.includes(':') ? 6 : 4, Number(table), prefix, false), e);
      }
    },
  ), { numRuns: 60 });
});

test('route table: dense runs (blocks colliding and spilling over), removals in the middle of probe chains', () => {
  const t = new RouteTable();
  const text = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`;
  const N = 20_000;
  const all = Array.from({ length: N }, (_, i) => t.lookup(4, 0, text(i * 3), true));
  for (let i = 0; i < N; i += 3) t.delete(all[i]!);
  for (let i = 0; i < N; i++) assert.equal(t.lookup(4, 0, text(i * 3), false), i % 3 === 0 ? undefined : all[i], text(i * 3));
  // re-adding reuses removed slots and finds nothing twice
  for (let i = 0; i < N; i += 3) all[i] = t.lookup(4, 0, text(i * 3), true);
  for (let i = 0; i < N; i++) assert.equal(t.lookup(4, 0, text(i * 3), true), all[i]);
  assert.equal(t.size, N);
  assert.equal(new Set([...t]).size, N);
});

test('route table: IPv6 dense runs with removals, and a prefix written another way is the same route', () => {
  const t = new RouteTable();
  const text = (i: number) => `2001:db8:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}::/64`;
  const N = 20_000;
  const all = Array.from({ length: N }, (_, i) => t.lookup(6, 0, text(i), true));
  for (let i = 0; i < N; i += 3) t.delete(all[i]!);
  for (let i = 0; i < N; i++) assert.equal(t.lookup(6, 0, text(i), false), i % 3 === 0 ? undefined : all[i], text(i));
  const e = t.lookup(6, 0, '::ffff:10.0.0.0/104', true);
  assert.equal(t.lookup(6, 0, '::ffff:a00:0/104', false), e);
  assert.equal(t.lookup(6, 0, '2001:DB8::/32', true), t.lookup(6, 0, '2001:db8::/32', false));
  const before = t.size;
  t.delete(e);
  assert.equal(t.lookup(6, 0, '::ffff:10.0.0.0/104', false), undefined);
  assert.equal(t.size, before - 1);
});
