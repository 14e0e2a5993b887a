// Progress lines on a fake clock: a line per interval while work is under way (what, received,
// written, rate, left), one summary at the end, nothing for work shorter than an interval; and
// through the daemon on a real (slowed) replay, in JSON and in the pretty format.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/log.js';
import { Progress } from '../../src/ops/progress.js';
import type { ReconcilerState } from '../../src/sync/reconciler.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { REPO } from '../helpers/fibmgr-child.js';
import { sendFpm, startSimDaemon, until } from '../helpers/daemon.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({ write(chunk, _enc, cb) { for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l)); cb(); } });
  return { lines, logger: createLogger('info', stream) };
}

function state(o: Partial<ReconcilerState> & { writes?: number }): ReconcilerState {
  return {
    session: 1, resyncing: false, vppReady: true, ownership: null, routes: 0, desired: 0, installed: 0, backlog: 0, inflight: 0, retrying: 0, waitingForTables: 0, failingTables: [], pathSets: 0, congested: false,
    counters: { acked: o.writes ?? 0 } as ReconcilerState['counters'], lastResync: null, stale: null, lastErrors: [], lastAudit: null, auditChecked: null, adopting: null,
    lsps: { desired: 0, installed: 0, pending: 0, failed: 0, notInstallable: 0, held: [], table: 'ready', unsupported: null, errors: 0, skipped: 0, swept: 0 }, ...o,
  };
}

test('a progress line every interval while a replay runs, a summary when it ends; short work stays quiet', () => {
  const clock = new FakeClock();
  const { lines, logger } = capture();
  let s = state({});
  let received = 0;
  const p = new Progress({ routesReceived: () => received, sync: () => s }, { logger, intervalMs: 5000, clock });
  p.start();
  // a short resync (under one interval): no lines at all
  s = state({ resyncing: true, backlog: 10 });
  clock.advance(1000);
  s = state({ writes: 10 });
  clock.advance(10_000);
  const shortWork = lines.length;
  // a long replay: 1,000 routes a second for 12 s
  let writes = 10;
  for (let t = 0; t < 12; t++) {
    received += 1000;
    writes += 1000;
    s = state({ resyncing: true, backlog: 50_000 - t * 1000, writes });
    clock.advance(1000);
  }
  s = state({ writes });
  clock.advance(1000);
  p.stop();
  const progress = lines.filter((l) => l.component === 'progress');
  assert.equal(shortWork, 1, 'the short resync gets its summary only');
  const long = progress.slice(1);
  assert.deepEqual(long.map((l) => l.what), ['zebra replay', 'zebra replay', 'zebra replay']);
  assert.equal(long[0]!.writesPerSecond, 1000);
  assert.ok((long[0]!.left as number) < 50_000 && (long[0]!.left as number) > 38_000, String(long[0]!.left));
  assert.match(String(long[0]!.msg), /zebra replay: \d+ routes received, \d+ written \(1000\/s\), \d+ left/);
  const end = long.at(-1)!;
  assert.match(String(end.msg), /^zebra replay done in \d+\.\d s/);
  assert.equal(end.written, 12_000);
  assert.equal(end.received, 12_000);
});

test('the daemon: progress lines on a slowed replay, JSON when told, pretty when told', { timeout: 90_000 }, async () => {
  const fixtures = join(REPO, 'test', 'fixtures', 'fpm');
  for (const format of ['json', 'pretty'] as const) {
    const { sim, d, fpmPort } = await startSimDaemon(`progress-${format}`, ['--resync-grace', '1', '--audit-interval', '0', '--progress-interval', '0.2', '--log-format', format]);
    try {
      await until('VPP ready', () => d.raw.some((l) => /VPP ready: adopted our routes/.test(l)), 20_000);
      // every VPP reply a second late: the replay's writes outlast several progress intervals
      sim.delayMs = 1000;
      const zebra = await sendFpm(fpmPort, join(fixtures, 'kernel-1k.bin'));
      await until('a progress line and a summary', () => d.raw.some((l) => /zebra replay: \d+ routes received/.test(l)) && d.raw.some((l) => /(zebra replay|writing routes) done in/.test(l)), 60_000, () => d.raw.slice(-5));
      if (format === 'json') {
        const line = d.lines.find((l) => /zebra replay: /.test(String(l.msg)))!;
        assert.equal(line.component, 'progress');
        assert.equal(typeof line.written, 'number');
        assert.equal(typeof line.left, 'number');
        assert.ok(d.raw.every((l) => l.startsWith('{')), 'JSON: one object a line');
      } else {
        assert.equal(d.lines.length, 0, 'pretty: no JSON lines');
        assert.ok(d.raw.some((l) => /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: zebra replay: \d+ routes received, \d+ written \(\d+\/s\), \d+ left/.test(l)), d.raw.slice(-5).join('\n'));
      }
      zebra.destroy();
    } finally {
      await d.stop();
      await sim.stop();
    }
  }
});
