// Readiness (/readyz, fibmgr status): a pure function of what the daemon reports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readiness } from '../../src/ops/readiness.js';

const base = { vppConnected: true, vppPrepared: true, resyncing: false, staleWait: null, backlog: 0, retrying: 0 };

test('a zebra connection being admitted (its peer check still reading) is not ready: its replay is about to begin', () => {
  assert.deepEqual(readiness(base), { ready: true, reason: 'ready' });
  const r = readiness({ ...base, admitting: 1 });
  assert.equal(r.ready, false);
  assert.match(r.reason, /being admitted/);
  assert.equal(readiness({ ...base, admitting: 0 }).ready, true);
});
