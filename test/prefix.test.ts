import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { parseIpInto } from 'vpp-binapi-ts';
import { formatIPv4, formatIPv6, parseAddress, parsePrefix, prefixText } from '../src/route/prefix.js';

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

// The route model's parser (src/route/ip-text.ts, straight into words) and the VPP library's (its
// codec's, into bytes) are two: both must read every text form alike.
const READS: [text: string, family: 0 | 4 | 6][] = [
  ...(['::', '::1', '1::', '2001:DB8::', '2001:db8:0:1:2:3:4:5', '2001:db8::1:2', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '::ffff:10.0.0.1', '0001:0db8::', '1:2:3:4:5:6:1.2.3.4', 'aBcD::eF'] as const).map((a) => [a, 6] as [string, 6]),
  ...(['0.0.0.0', '255.255.255.255', '10.1.2.3', '010.001.2.3'] as const).map((a) => [a, 4] as [string, 4]),
  ...['1::2::3', ':1::', '1:', '1:2:3:4:5:6:7:8:9', '12345::', 'g::', ':::', '1:2:3:4:5:6:7:1.2.3.4', '::1.2.3', '1.2.3.4:5', '',
    '1.2.3', '1.2.3.4.5', '256.0.0.0', '1..2.3', 'a.b.c.d', '1.2.3.4/8', '1.2.3.4.', '.1.2.3', '1234.0.0.0', '1::2:', '::1.2.3.4.5',
    '1:2:3:4:5:6:7:8::', '::1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7', ' ::1', '::\u00101'].map((a) => [a, 0] as [string, 0]),
];

test('the model\'s address parser and the VPP library\'s read every text form alike, and refuse the same', async (t) => {
  const b = Buffer.alloc(16);
  for (const [text, family] of READS) {
    await t.test(JSON.stringify(text), () => {
      assert.equal(parseIpInto(text, b), family, 'vpp-binapi-ts');
      if (family === 0) {
        assert.throws(() => parseAddress(text), /not an IP address/);
        return;
      }
      const got = parseAddress(text);
      assert.equal(got.family, family);
      assert.deepEqual([...got.bytes], [...b.subarray(0, family === 4 ? 4 : 16)]);
      // and as Node reads it
      if (family === 6) assert.equal(new URL(`http://[${formatIPv6(got.bytes)}]/`).hostname, new URL(`http://[${text}]/`).hostname);
      else assert.equal(formatIPv4(got.bytes), text.split('.').map(Number).join('.'));
    });
  }
});

test('any IPv6 text Node writes is read as Node reads it, by both parsers', () => {
  const b = Buffer.alloc(16);
  fc.assert(fc.property(fc.ipV6(), (a) => {
    assert.equal(parseIpInto(a, b), 6);
    const got = parseAddress(a);
    assert.deepEqual([...got.bytes], [...b]);
    assert.equal(new URL(`http://[${formatIPv6(got.bytes)}]/`).hostname, new URL(`http://[${a}]/`).hostname);
  }), { numRuns: 2000 });
});

test('an IPv4-mapped address is printed with its tail dotted, as inet_ntop does; nothing else is', () => {
  assert.equal(String(parsePrefix('::ffff:0:0/96')), '::ffff:0.0.0.0/96');
  assert.equal(String(parsePrefix('::ffff:a00:1/128')), '::ffff:10.0.0.1/128');
  assert.equal(String(parsePrefix('::fffe:a00:1/128')), '::fffe:a00:1/128');
  assert.equal(String(parsePrefix('1::ffff:a00:1/128')), '1::ffff:a00:1/128');
  assert.equal(String(parsePrefix('::a00:1/128')), '::a00:1/128');
});

test('the route model imports nothing but itself: its text parser is its own, not the VPP library\'s', () => {
  const dir = new URL('../src/route/', import.meta.url);
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(new URL(name, dir), 'utf8');
    for (const m of text.matchAll(/\bfrom\s*'([^']+)'/g)) assert.ok(m[1]!.startsWith('./'), `src/route/${name} imports ${m[1]}`);
  }
});
