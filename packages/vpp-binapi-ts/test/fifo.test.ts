import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Fifo } from '../src/fifo.js';

// The queue against an array doing the same: runs of pushes and shifts long enough to cross its
// chunks (1,024 items) both ways, empty it and fill it again, with retain and drain between.
type Op =
  | { op: 'push'; n: number }
  | { op: 'shift'; n: number }
  | { op: 'retain'; mod: number }
  | { op: 'drain'; requeueEvery: number };

const ops: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('push' as const), n: fc.integer({ min: 0, max: 3000 }) }),
  fc.record({ op: fc.constant('shift' as const), n: fc.integer({ min: 0, max: 3000 }) }),
  fc.record({ op: fc.constant('retain' as const), mod: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ op: fc.constant('drain' as const), requeueEvery: fc.integer({ min: 0, max: 4 }) }),
);

test('Fifo gives what an array would, in order, whatever the mix of push, shift, retain and drain', () => {
  fc.assert(
    fc.property(fc.array(ops, { maxLength: 30 }), (script) => {
      const q = new Fifo<number>();
      let model: number[] = [];
      let next = 0;
      for (const s of script) {
        if (s.op === 'push') {
          for (let i = 0; i < s.n; i++) {
            q.push(next);
            model.push(next++);
          }
        } else if (s.op === 'shift') {
          for (let i = 0; i < s.n; i++) {
            assert.equal(q.peek(), model[0]);
            assert.equal(q.shift(), model.shift());
          }
        } else if (s.op === 'retain') {
          const asked: number[] = [];
          q.retain((x) => {
            asked.push(x);
            return x % s.mod === 0;
          });
          assert.deepEqual(asked, model, 'retain asks once per item, oldest first');
          model = model.filter((x) => x % s.mod === 0);
        } else {
          // what drain's callback pushes is queued anew, after the drain
          const got: number[] = [];
          const requeued: number[] = [];
          q.drain((x) => {
            got.push(x);
            if (s.requeueEvery > 0 && x % s.requeueEvery === 0) {
              q.push(x);
              requeued.push(x);
            }
          });
          assert.deepEqual(got, model);
          model = requeued;
        }
        assert.equal(q.size, model.length);
        assert.equal(q.peek(), model[0]);
      }
      const rest: number[] = [];
      while (q.size > 0) rest.push(q.shift()!);
      assert.deepEqual(rest, model);
      assert.equal(q.shift(), undefined);
      assert.equal(q.peek(), undefined);
    }),
    { numRuns: 300 },
  );
});

test('Fifo lets go of what it handed out (a shifted, retained-out or drained item is not kept)', async () => {
  // Weak references see whether the queue still holds an item: a queue that keeps consumed slots
  // would keep a million routes' entries alive after a full table went through it.
  const q = new Fifo<{ i: number }>();
  const refs: WeakRef<object>[] = [];
  (() => {
    for (let i = 0; i < 5000; i++) {
      const o = { i };
      refs.push(new WeakRef(o));
      q.push(o);
    }
    for (let i = 0; i < 2500; i++) q.shift();
    q.retain((o) => o.i % 2 === 0);
  })();
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  await new Promise((r) => setImmediate(r));
  gc();
  const alive = refs.filter((r) => r.deref() !== undefined).length;
  assert.equal(alive, 1250, 'only the 1,250 items still queued are alive');
  q.drain(() => {});
  await new Promise((r) => setImmediate(r));
  gc();
  assert.equal(refs.filter((r) => r.deref() !== undefined).length, 0);
});

test('Fifo.retain: a keep that throws leaves the queue as it was, one that pushes has its item asked and queued last', () => {
  // as the array version did: a compaction that threw would otherwise lose the queued routes
  // (still marked queued, so never queued again), and a pushed one would jump the queue
  const q = new Fifo<number>();
  for (let i = 0; i < 3000; i++) q.push(i);
  for (let i = 0; i < 100; i++) q.shift();
  assert.throws(
    () =>
      q.retain((x) => {
        if (x === 2000) throw new Error('boom');
        return x % 2 === 0;
      }),
    /boom/,
  );
  assert.equal(q.size, 2900);
  const asked: number[] = [];
  q.retain((x) => {
    asked.push(x);
    if (x === 100 || x === 3000) q.push(x + 10_000);
    return x % 2 === 0 || x >= 10_000;
  });
  const want = Array.from({ length: 2900 }, (_, i) => i + 100);
  assert.deepEqual(asked, [...want, 10_100]);
  const rest: number[] = [];
  while (q.size > 0) rest.push(q.shift()!);
  assert.deepEqual(rest, [...want.filter((x) => x % 2 === 0), 10_100]);
});
