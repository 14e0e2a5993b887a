// fibmgr's first VPP session (src/vpp-connect.ts, used by the daemon and the chaos harness):
// retried with backoff while VPP is not there, given up on a stop, never retried on a CRC mismatch.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connectVpp } from '../src/vpp-connect.js';
import { VppCrcMismatchError } from 'vpp-binapi-ts';

const turn = () => new Promise<void>((r) => setImmediate(r));

/** A client whose connect() fails with `errors` in turn, then succeeds; time moves only by tick. */
function setup(t: TestContext, errors: Error[]) {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let connects = 0;
  const client = { connect: async () => { connects++; const e = errors.shift(); if (e) throw e; } };
  const retries: { attempt: number; retryInMs: number }[] = [];
  const onRetry = (_e: Error, attempt: number, retryInMs: number) => void retries.push({ attempt, retryInMs });
  /** Waits for the next failed attempt's wait to begin, then lets it pass. */
  const nextWait = async () => {
    const seen = retries.length;
    while (retries.length === seen) await turn();
    t.mock.timers.tick(retries[retries.length - 1]!.retryInMs);
  };
  return { client, retries, onRetry, nextWait, connects: () => connects };
}

test('retried with backoff (250 ms doubling, at most 10 s) until VPP answers', async (t) => {
  const s = setup(t, Array.from({ length: 8 }, () => new Error('ENOENT')));
  const done = connectVpp(s.client, () => false, s.onRetry);
  for (let i = 0; i < 8; i++) await s.nextWait();
  assert.equal(await done, true);
  assert.equal(s.connects(), 9);
  assert.deepEqual(s.retries.map((r) => r.retryInMs), [250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  assert.deepEqual(s.retries.map((r) => r.attempt), [1, 2, 3, 4, 5, 6, 7, 8]);
});

test('a stop during the wait ends the retries: false, and no further attempt', async (t) => {
  const s = setup(t, Array.from({ length: 5 }, () => new Error('ENOENT')));
  let stopping = false;
  const done = connectVpp(s.client, () => stopping, s.onRetry);
  await s.nextWait();
  while (s.retries.length < 2) await turn();
  stopping = true;
  t.mock.timers.tick(s.retries[1]!.retryInMs);
  assert.equal(await done, false);
  assert.equal(s.connects(), 2);
});

test('a CRC mismatch is thrown at once: no retry fixes it', async (t) => {
  const s = setup(t, [new Error('ENOENT'), new VppCrcMismatchError([{ name: 'ip_route_add_del_v2', ours: '0x1', offered: [] }] as never)]);
  const done = connectVpp(s.client, () => false, s.onRetry);
  await s.nextWait();
  await assert.rejects(done, VppCrcMismatchError);
  assert.equal(s.connects(), 2);
  assert.equal(s.retries.length, 1);
});
