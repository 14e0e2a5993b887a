import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatIPv6, parseAddress, parsePrefix, prefixText } from '../src/route/prefix.js';

test('IPv6 formatting is RFC 5952', () => {
  const cases: Record<string, string> = {
    '2001:0db8:0000:0000:0000:0000:0000:0001': '2001:db8::1',
    '2001:db8:0:0:1:0:0:1': '2001:db8::1:0:0:1',
    '0:0:0:0:0:0:0:0': '::',
    'fe80:0:0:0:0:0:0:0': 'fe80::',
    '2001:db8:0:1:1:1:1:1': '2001:db8:0:1:1:1:1:1',
  };
  for (const [input, want] of Object.entries(cases)) assert.equal(formatIPv6(parseAddress(input).bytes), want);
});

test('address text round-trips through bytes for any IPv6', () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
    const text = formatIPv6(b);
    assert.deepEqual([...parseAddress(text).bytes], [...b]);
  }), { numRuns: 2000 });
});

test('prefix parsing masks on request and rejects bad lengths', () => {
  const p = parsePrefix('10.1.2.3/24');
  assert.equal(prefixText(p), '10.1.2.0/24');
  assert.equal(String(parsePrefix('2001:db8::1/32')), '2001:db8::/32');
  assert.equal(String(parsePrefix('::ffff:10.1.2.3/120')), '::ffff:10.1.2.0/120');
  assert.equal(String(parsePrefix('10.1.2.3', { host: true })), '10.1.2.3/32');
  assert.throws(() => parsePrefix('10.0.0.0/33'));
  assert.throws(() => parsePrefix('10.0.0.0'));
});
