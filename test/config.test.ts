import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, ConfigError } from '../src/config/load.js';

test('flags beat environment, environment beats defaults', () => {
  const c = loadConfig({ fpmPort: '31337' }, { FIBMGR_FPM_PORT: '4000', FIBMGR_VPP_SOCK: '/tmp/x.sock' });
  assert.equal(c.fpmPort, 31337);
  assert.equal(c.vppSock, '/tmp/x.sock');
  assert.equal(c.fpmHost, '127.0.0.1');
});

test('an out-of-range port is an error naming the flag and the value', () => {
  assert.throws(() => loadConfig({ fpmPort: '70000' }, {}), (e: unknown) => e instanceof ConfigError && /--fpm-port.*70000/.test(e.message));
});
