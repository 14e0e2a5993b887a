// An exception nothing caught ends fibmgr with a logged reason and status 70 (systemd restarts it
// and it adopts VPP's routes), rather than a bare stack trace — or limping on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { REPO } from '../helpers/fibmgr-child.js';

for (const kind of ['uncaughtException', 'unhandledRejection'] as const) {
  test(`an unexpected ${kind} is logged as fatal and exits 70`, () => {
    const boom = kind === 'uncaughtException' ? "setImmediate(() => { throw new Error('boom in a callback'); });" : "Promise.reject(new Error('boom in a promise'));";
    const script = `const { installLastResortGuard } = await import('./src/daemon.ts'); const { createLogger } = await import('./src/log.ts');
      installLastResortGuard(createLogger('info')); ${boom} setInterval(() => {}, 1000); // alive until the guard ends it`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 70, r.stderr);
    const line = r.stderr.split('\n').concat(r.stdout.split('\n')).map((l) => { try { return JSON.parse(l); } catch { return null; } }).find((o) => o?.level === 60);
    assert.ok(line, `no fatal line in: ${r.stderr}${r.stdout}`);
    assert.equal(line.kind, kind);
    assert.match(line.err, /boom/);
  });
}
