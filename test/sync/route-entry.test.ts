// A route's packed state: every named accessor changes what it names and nothing else, whatever
// the rest of the entry holds (the writer's, the notifications' and the audit's bits share two
// integers: route-entry.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { auditMark, noteMark, setWire, wireProtocol, wireType, type Entry } from '../../src/sync/state/route-entry.js';
import { RouteTable } from '../../src/sync/state/route-table.js';
import { RouteNotes, isNoteQueued, oweAnswer, oweNothing, owesAnswer } from '../../src/sync/zebra/route-notes.js';
import { clearAuditMarks, isAudited, isTouched, markAudited, markTouched } from '../../src/sync/audit/fib-audit.js';
import * as w from '../../src/sync/write/write-flags.js';
import { parsePrefix } from '../../src/route/prefix.js';
import type { RouteReporter } from '../../src/route/sink.js';

/** Everything the accessors tell of an entry, and its plain fields. */
function view(e: Entry) {
  return {
    queuedAdd: w.isQueuedAdd(e), queuedDelete: w.isQueuedDelete(e), sending: w.isSending(e), retrying: w.isRetrying(e),
    parked: w.isParked(e), compactSeen: w.isCompactSeen(e), writeIdle: w.isWriteIdle(e), stage: w.writeStage(e),
    owesAnswer: owesAnswer(e), noteQueued: isNoteQueued(e), audited: isAudited(e), touched: isTouched(e),
    protocol: wireProtocol(e), type: wireType(e),
    want: e.want, have: e.have, gen: e.gen, nhg: e.nhg, hops: e.hops, proto: e.proto, zebraTable: e.zebraTable,
    groupPrev: e.groupPrev, groupNext: e.groupNext, slot: e.slot, network: e.network,
  };
}
type View = ReturnType<typeof view>;

// A reporter that takes nothing: what is noted stays queued.
const full: RouteReporter = { report: () => false, onRoom: () => {} };
const notes = new RouteNotes({ gen: () => 0, dropIfEmpty: () => {}, notified: { offload: 0, failed: 0 } });
notes.attach(full, () => {}, () => {});

/** Each operation, and what it changes (from the view before); every other part must stay. */
const ops: { name: string; apply: (e: Entry) => void; changes: (before: View) => Partial<View> }[] = [
  { name: 'queueAdd', apply: w.queueAdd, changes: () => ({ queuedAdd: true, queuedDelete: false }) },
  { name: 'queueDelete', apply: w.queueDelete, changes: () => ({ queuedAdd: false, queuedDelete: true }) },
  { name: 'dequeue', apply: w.dequeue, changes: () => ({ queuedAdd: false, queuedDelete: false }) },
  { name: 'dequeueAdd', apply: w.dequeueAdd, changes: () => ({ queuedAdd: false }) },
  { name: 'dequeueDelete', apply: w.dequeueDelete, changes: () => ({ queuedDelete: false }) },
  { name: 'markSending', apply: w.markSending, changes: () => ({ sending: true }) },
  { name: 'clearSending', apply: w.clearSending, changes: () => ({ sending: false }) },
  { name: 'markRetrying', apply: w.markRetrying, changes: () => ({ retrying: true }) },
  { name: 'clearRetrying', apply: w.clearRetrying, changes: () => ({ retrying: false }) },
  { name: 'markParked', apply: w.markParked, changes: () => ({ parked: true }) },
  { name: 'clearParked', apply: w.clearParked, changes: () => ({ parked: false }) },
  { name: 'markCompactSeen', apply: w.markCompactSeen, changes: () => ({ compactSeen: true }) },
  { name: 'clearCompactSeen', apply: w.clearCompactSeen, changes: () => ({ compactSeen: false }) },
  { name: 'oweAnswer (the write\'s)', apply: (e) => oweAnswer(e, null), changes: () => ({ owesAnswer: true }) },
  { name: 'oweAnswer installed', apply: (e) => oweAnswer(e, 'installed'), changes: () => ({ owesAnswer: true }) },
  { name: 'oweAnswer failed', apply: (e) => oweAnswer(e, 'failed'), changes: () => ({ owesAnswer: true }) },
  { name: 'oweNothing', apply: oweNothing, changes: () => ({ owesAnswer: false }) },
  // queued only when an answer is owed; the queue itself is RouteNotes' (cleared by its detach)
  { name: 'notes.note', apply: (e) => notes.note(e), changes: (b) => ({ noteQueued: b.noteQueued || b.owesAnswer }) },
  { name: 'markAudited', apply: markAudited, changes: () => ({ audited: true }) },
  { name: 'markTouched', apply: markTouched, changes: () => ({ touched: true }) },
  { name: 'clearAuditMarks', apply: clearAuditMarks, changes: () => ({ audited: false, touched: false }) },
  { name: 'setWire 186 blackhole', apply: (e) => setWire(e, { protocolId: 186, type: 'blackhole' }), changes: () => ({ protocol: 186, type: 'blackhole' }) },
  { name: 'setWire 255 prohibit', apply: (e) => setWire(e, { protocolId: 0x1ff, type: 'prohibit' }), changes: () => ({ protocol: 255, type: 'prohibit' }) },
  { name: 'setWire none', apply: (e) => setWire(e, null), changes: () => ({ protocol: 0, type: 'unspec' }) },
];

/** The derived parts of the view, checked against the flags rather than listed in each row. */
function derived(v: View): Pick<View, 'writeIdle' | 'stage'> {
  const stage = v.retrying ? 'retrying' : v.sending ? 'in-flight' : v.parked ? 'waiting-for-table' : v.queuedAdd || v.queuedDelete ? 'queued' : null;
  return { writeIdle: !v.queuedAdd && !v.queuedDelete && !v.sending && !v.retrying && !v.parked && !v.compactSeen, stage };
}

test('route entry: each accessor changes what it names and nothing else, from any state', () => {
  const table = new RouteTable();
  let i = 0;
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: ops.length - 1 }), { maxLength: 40 }), (seq) => {
    // a fresh entry brought to an arbitrary state by the operations themselves
    const e = table.lookup(0, parsePrefix(`10.${(i >> 8) & 255}.${i++ & 255}.0/24`), true);
    for (const k of seq) ops[k]!.apply(e);
    for (const op of ops) {
      const before = view(e);
      op.apply(e);
      const after = view(e);
      const want = { ...before, ...op.changes(before) };
      assert.deepEqual(after, { ...want, ...derived(want) }, op.name);
    }
  }), { numRuns: 300 });
});

test('route entry: a new entry holds nothing, owes nothing and is idle', () => {
  const e = new RouteTable().lookup(3, parsePrefix('2001:db8::/32'), true);
  const v = view(e);
  assert.deepEqual(
    { ...v, slot: undefined, network: undefined },
    {
      queuedAdd: false, queuedDelete: false, sending: false, retrying: false, parked: false, compactSeen: false, writeIdle: true, stage: null,
      owesAnswer: false, noteQueued: false, audited: false, touched: false, protocol: 0, type: 'unspec',
      want: null, have: null, gen: 0, nhg: 0, hops: null, proto: '', zebraTable: -1, groupPrev: null, groupNext: null, slot: undefined, network: undefined,
    },
  );
});

test('route entry: the other modules\' bits stay in their ranges', () => {
  const notesBits = [0, 1, 2, 3, 4, 5, 6, 7].map(noteMark);
  const auditBits = [0, 1, 2, 3].map(auditMark);
  const all = [...notesBits, ...auditBits];
  assert.equal(new Set(all).size, all.length);
  for (const b of all) assert.equal(b & 0xffff, 0, 'not over the wire protocol and type');
  for (const bad of [-1, 8]) assert.throws(() => noteMark(bad), RangeError);
  for (const bad of [-1, 4]) assert.throws(() => auditMark(bad), RangeError);
});
