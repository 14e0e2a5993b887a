// VPP's socket clients as `show api clients` lists them, and the reap of sessions whose clients
// died without a goodbye (the nudge: a CLI exec that fails on VPP's main thread). The listing
// below is the real VPP's (26.10, over cli_inband) with one dead session in it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VppClient, parseSocketClients, reapDeadSessions } from '../src/index.js';
import { VppSim } from '../src/sim/index.js';
import { NUDGE_PATH } from '../src/api-clients.js';
import { messages } from '../src/gen/index.js';

const REAL = 'Socket clients\n                Name  Fildesc\n                 raw       14\n      eof-spin-repro       13\n';

test('parseSocketClients reads VPP\'s listing; nothing listed is no client', () => {
  assert.deepEqual(parseSocketClients(REAL), [{ name: 'raw', fd: 14 }, { name: 'eof-spin-repro', fd: 13 }]);
  assert.deepEqual(parseSocketClients(''), []);
  const withShm = 'Shared memory clients\n                Name      PID   Queue Length           Queue VA Health\n               vpp_papi     1234              0 0x0000000130000000 OK\n\n' + REAL;
  assert.deepEqual(parseSocketClients(withShm).map((c) => c.name), ['raw', 'eof-spin-repro']);
});

test('the nudge path cannot name a file: its parent is /dev/null', () => {
  assert.match(NUDGE_PATH, /^\/dev\/null\/[^/\s]+$/);
});

test('reapDeadSessions: dead sessions listed, the nudge sent, the ones gone counted; alone, no nudge', async () => {
  const path = join(tmpdir(), `vbt-reap-${process.pid}.sock`);
  const sim = await new VppSim({ socketPath: path }).start();
  const cliInband = (messages as any).cli_inband;
  const c = new VppClient({ socketPath: path, messages: messages as any, reconnect: false, clientName: 'app' });
  try {
    await c.connect();
    const alone = await reapDeadSessions(c, cliInband);
    assert.deepEqual(alone, { before: [{ name: 'app', fd: 13 }], reaped: [] });
    assert.equal(sim.count('cli_inband'), 1, 'only the listing: nobody else to reap');
    sim.deadSessions.push('app', 'app-audit');
    const r = await reapDeadSessions(c, cliInband);
    assert.deepEqual(r.reaped.map((x) => x.name), ['app', 'app-audit']);
    assert.equal(r.before.length, 3);
    assert.equal(sim.count('cli_inband'), 4, 'listing, nudge, listing');
  } finally {
    await c.close();
    await sim.stop();
  }
});
