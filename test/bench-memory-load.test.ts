// bench:real's memory load (bench/lib/memory-load.ts, REAL_BENCH_AA=raw+load): it says when it runs,
// and it never outlives the bench that started it, whose SIGKILL is the usual end but not the only one.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { nextMessage } from '../bench/lib/pipeline.js';

const LOAD = fileURLToPath(new URL('../bench/lib/memory-load.ts', import.meta.url));
const start = (mb: string): ChildProcess => fork(LOAD, [mb], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
const exited = (child: ChildProcess): Promise<number | null> => new Promise((resolve) => child.once('exit', (code) => resolve(code)));
/** `child`'s exit status once it exits; the child is killed after the test, however it ended (a runner's timeout too). */
function exitOf(t: TestContext, child: ChildProcess): Promise<number | null> {
  t.after(() => { child.kill('SIGKILL'); });
  return exited(child);
}

test('the memory load says it runs once it has touched all its memory, and ends once the bench is gone', { timeout: 60_000 }, async (t) => {
  const child = start('64');
  const gone = exitOf(t, child);
  // rejects (the test fails, naming the exit) if the load ends before it says it runs
  const first = await nextMessage(child, 'the memory load');
  assert.deepEqual(first, { running: true });
  assert.equal(child.exitCode, null, 'still running after its first pass');
  // a write in every 64-byte line touches every page of the 64 MB
  const anonKb = Number(/RssAnon:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]);
  assert.ok(anonKb >= 64 * 1024, `RssAnon ${anonKb} kB`);
  // what a bench that crashed or was killed leaves: the IPC channel closed
  child.disconnect();
  assert.equal(await gone, 1);
});

test('a size that is not a whole number of MB ends the memory load at once', { timeout: 60_000 }, async (t) => {
  const child = start('0.5');
  const gone = exitOf(t, child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const code = await gone;
  assert.ok(typeof code === 'number' && code !== 0, `exit ${code}`);
  assert.match(stderr, /not a whole number of MB/);
});
