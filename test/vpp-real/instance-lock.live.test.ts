// One fibmgr per VPP, on a real VPP: a second fibmgr started against the same VPP as a running one
// exits non-zero within seconds naming the first, without registering with VPP; the first's routes
// stay as they were.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startRealVpp } from '../helpers/real-vpp.js';
import { fibOf, openVpp } from '../helpers/vpp-fib.js';
import { REPO } from '../helpers/fibmgr-child.js';
import { freePort, sendFpm, startDaemon, until } from '../helpers/daemon.js';

const FIXTURES = join(REPO, 'test', 'fixtures', 'fpm');

test('real VPP: a second fibmgr on the same VPP exits non-zero naming the first; the first keeps its routes', { timeout: 120_000 }, async (t) => {
  const vpp = await startRealVpp(t);
  if (!vpp) return;
  const c = await openVpp(vpp.apiSock);
  t.after(() => c.close());
  const first = startDaemon(['--vpp-sock', vpp.apiSock, '--fpm-port', String(await freePort()), '--metrics-addr', 'off', '--resync-grace', '1']);
  t.after(() => first.stop());
  await first.waitLog('VPP ready: adopted our routes');
  const fpmPort = Number(first.proc.spawnargs[first.proc.spawnargs.indexOf('--fpm-port') + 1]);
  const zebra = await sendFpm(fpmPort, join(FIXTURES, 'static-nhg.bin'));
  t.after(() => zebra.destroy());
  await until('zebra\'s routes in VPP', async () => Object.keys(await fibOf(c)).length === 5, 20_000, () => fibOf(c));
  await until('the first\'s resync to end', () => first.lines.some((l) => /resync done$/.test(String(l.msg))), 20_000);
  const before = JSON.stringify(await fibOf(c));
  const clients = (await vpp.cli('show api clients')).split('\n').filter((l) => /fibmgr/.test(l)).length;
  assert.ok(clients >= 1, 'VPP lists the first fibmgr among its API clients');

  const second = startDaemon(['--vpp-sock', vpp.apiSock, '--fpm-port', String(await freePort()), '--metrics-addr', 'off', '--resync-grace', '1']);
  t.after(() => second.stop());
  const code = await Promise.race([second.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 20_000).unref())]);
  assert.notEqual(code, 'running', `the second fibmgr still runs after 20 s:\n${second.raw.slice(-5).join('\n')}`);
  assert.notEqual(code, 0);
  const fatal = second.lines.find((l) => l.level === 60);
  assert.match(String(fatal?.err), new RegExp(`another fibmgr \\(pid ${first.proc.pid}\\b.*already runs on this VPP`), second.raw.join('\n'));
  assert.equal((await vpp.cli('show api clients')).split('\n').filter((l) => /fibmgr/.test(l)).length, clients, 'the second never registered with VPP');
  assert.equal(JSON.stringify(await fibOf(c)), before, 'the first\'s routes are as they were');
  t.diagnostic(String(fatal?.err));
});
