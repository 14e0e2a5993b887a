// Errors as types: every error class has a stable code, and a predicate that reads it tells the
// error apart even when it comes from another copy of the package (a duplicate install, where
// instanceof fails): the copy here is the same source file loaded as a second module instance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as api from '../src/index.js';

const {
  VppError, VppRetvalError, VppTimeoutError, VppDisconnectedError, VppCrcMismatchError, VppUnavailableError, VppProtocolError,
  VppEncodeError, VppDecodeError,
} = api;

type Predicate = (err: unknown) => boolean;

/** A module loaded again as a second instance (its URL differs by the query): another copy's classes. */
function again(path: string, tag: string): Promise<Record<string, any>> {
  return import(new URL(`${path}?${tag}`, import.meta.url).href);
}

/** Each class with how to make one, its code, and the predicate that must hold for it alone. */
function cases(m: Record<string, any>, codec: Record<string, any>): { what: string; err: Error; code: string; is: Predicate }[] {
  return [
    { what: 'retval', err: new m.VppRetvalError('ip_route_add_del', -3, {}), code: 'VPP_RETVAL', is: api.isRetvalError },
    { what: 'timeout', err: new m.VppTimeoutError('ip_route_add_del', 1000, {}), code: 'VPP_TIMEOUT', is: api.isTimeout },
    { what: 'disconnected', err: new m.VppDisconnectedError('ip_route_add_del', 'socket closed'), code: 'VPP_DISCONNECTED', is: api.isDisconnected },
    { what: 'crc mismatch', err: new m.VppCrcMismatchError([{ name: 'ip_route_add_del', ours: 'b8ecfe0d', offered: [] }]), code: 'VPP_CRC_MISMATCH', is: api.isCrcMismatch },
    { what: 'unavailable', err: new m.VppUnavailableError('ip_route_add_del_v2 is not offered'), code: 'VPP_UNAVAILABLE', is: api.isUnavailable },
    { what: 'protocol', err: new m.VppProtocolError('frame too short'), code: 'VPP_PROTOCOL', is: api.isProtocolError },
    { what: 'encode', err: new codec.VppEncodeError('prefix: bad'), code: 'VPP_ENCODE', is: api.isEncodeError },
    { what: 'decode', err: new codec.VppDecodeError('truncated'), code: 'VPP_DECODE', is: api.isDecodeError },
  ];
}

const predicates: [string, Predicate][] = [
  ['isRetvalError', api.isRetvalError], ['isTimeout', api.isTimeout], ['isDisconnected', api.isDisconnected],
  ['isCrcMismatch', api.isCrcMismatch], ['isUnavailable', api.isUnavailable], ['isProtocolError', api.isProtocolError],
  ['isEncodeError', api.isEncodeError], ['isDecodeError', api.isDecodeError],
];

for (const copy of [false, true]) {
  test(`each error has its code and only its own predicate holds${copy ? ' (another copy of the package)' : ''}`, async () => {
    const m = copy ? await again('../src/client/errors.ts', 'copy') : await import('../src/client/errors.js');
    const codec = copy ? await again('../src/codec/runtime.ts', 'copy') : await import('../src/codec/runtime.js');
    if (copy) assert.notEqual(m.VppTimeoutError, VppTimeoutError, 'the copy is a second module instance');
    for (const c of cases(m, codec)) {
      assert.equal((c.err as { code?: string }).code, c.code, c.what);
      for (const [name, is] of predicates) assert.equal(is(c.err), is === c.is, `${name} on a ${c.what} error`);
      const client = !c.code.startsWith('VPP_ENCODE') && !c.code.startsWith('VPP_DECODE');
      assert.equal(api.isVppError(c.err), client, `isVppError on a ${c.what} error`);
      assert.equal(c.err instanceof VppError, client && !copy, 'instanceof holds within one copy only');
    }
  });
}

test('the predicates narrow the type: a retval error from another copy still gives its retval', async () => {
  const m = await again('../src/client/errors.ts', 'narrow');
  const err: unknown = new m.VppRetvalError('ip_table_add_del', -3, null);
  assert.ok(!(err instanceof VppRetvalError));
  assert.ok(api.isRetvalError(err));
  assert.equal(err.retval, -3);
  assert.equal(err.retvalName, 'NO_SUCH_FIB');
});

test('what is not a VPP error: other errors, codes of other libraries, things that are not objects', () => {
  const others: unknown[] = [
    new Error('VppDisconnectedError'),
    Object.assign(new Error('x'), { name: 'VppTimeoutError' }),
    Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    { code: 42 },
    null, undefined, 'VPP_TIMEOUT', 0,
  ];
  for (const err of others) {
    assert.equal(api.isVppError(err), false, String(err));
    for (const [name, is] of predicates) assert.equal(is(err), false, `${name}(${String(err)})`);
  }
});

test('the codes are the README\'s', () => {
  assert.equal(new VppError('x').code, 'VPP_ERROR');
  assert.ok(api.isVppError(new VppError('x')));
  assert.equal(new VppEncodeError('x').code, 'VPP_ENCODE');
  assert.equal(new VppDecodeError('x').code, 'VPP_DECODE');
  assert.equal(new VppDisconnectedError('show_version', 'closed').name, 'VppDisconnectedError');
});
