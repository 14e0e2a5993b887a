// The generated codec (src/gen) against the recordings of a real VPP: every recorded request
// encodes to the recorded bytes, every recorded reply decodes to what vpp_papi decoded and
// encodes back to the same bytes; enums refuse values outside their definition; truncated
// input is a VppDecodeError; and the generated files are what the generator writes today.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { messages, FibPathType, ip_route_add_del, ip_route_add_del_v2, sw_interface_details } from '../src/gen/index.js';
import { VppDecodeError, VppEncodeError } from '../src/codec/runtime.js';
import type { MessageDef } from '../src/index.js';
import { generate, API_DIR, GEN_DIR } from '../src/generator.js';

const dir = new URL('./fixtures/transcripts/', import.meta.url);
interface Frame { dir: string; msg: string; msg_id: number; hex: string; fields?: any }
const transcripts = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => ({ file: f, frames: (JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as { frames: Frame[] }).frames }));

const defs = messages as Record<string, MessageDef>;
const byKey = new Map(Object.values(defs).map((d) => [d.key, d]));
const payload = (f: Frame) => Buffer.from(f.hex, 'hex').subarray(16);

/** vpp_papi's shapes as ours: enums {enum, name, value} → value. */
function norm(v: any): any {
  if (Array.isArray(v)) return v.map(norm);
  if (v && typeof v === 'object') {
    if ('enum' in v && 'value' in v && Object.keys(v).length === 3) return v.value;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)]));
  }
  return v;
}

/** Our decoded shapes as plain JSON (Buffers as byte arrays, bigints as numbers). */
function plain(v: any): any {
  if (Buffer.isBuffer(v)) return [...v];
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

test('every recorded message has a generated definition with the recorded name_crc', () => {
  const missing = new Set<string>();
  for (const t of transcripts) for (const f of t.frames) if (f.fields && !byKey.has(f.msg)) missing.add(f.msg);
  assert.deepEqual([...missing], []);
});

test('recorded requests encode to the recorded bytes, byte for byte', () => {
  let n = 0;
  for (const t of transcripts) {
    for (const f of t.frames) {
      if (f.dir !== 'client->vpp' || !f.fields) continue;
      const def = byKey.get(f.msg)!;
      const got = def.encode(f.msg_id, norm(f.fields));
      assert.equal(got.toString('hex'), payload(f).toString('hex'), `${t.file} ${f.msg}`);
      n++;
    }
  }
  assert.ok(n > 100, `${n} requests compared`);
});

test('recorded replies decode to what vpp_papi decoded, and encode back to the same bytes', () => {
  let n = 0;
  for (const t of transcripts) {
    for (const f of t.frames) {
      if (f.dir !== 'vpp->client' || !f.fields) continue;
      const def = byKey.get(f.msg)!;
      const p = payload(f);
      const got = def.decode(p);
      const want = norm(f.fields);
      const have = plain(got);
      const full = plain(got);
      // later transcripts abbreviate the 855-entry handshake table to a note
      if (typeof want.message_table === 'string') have.message_table = want.message_table;
      assert.deepEqual(have, want, `${t.file} ${f.msg}`);
      // re-encoding gives back the bytes, except host bits of route prefixes (shown as networks)
      const again = def.encode(f.msg_id, got);
      if (!/^ip_route_(v2_)?details|^ip_route_lookup/.test(f.msg)) assert.equal(again.toString('hex'), p.toString('hex'), `${t.file} ${f.msg} re-encoded`);
      assert.deepEqual(plain(def.decode(again)), full, `${t.file} ${f.msg} decodes the same after re-encoding`);
      n++;
    }
  }
  assert.ok(n > 100, `${n} replies compared`);
});

test('every truncation of a recorded reply is a VppDecodeError', () => {
  for (const t of transcripts) {
    for (const f of t.frames) {
      if (f.dir !== 'vpp->client' || !f.fields) continue;
      const def = byKey.get(f.msg)!;
      const p = payload(f);
      // the handshake reply is 56 kB: cut it at a spread of points, the rest everywhere
      const step = p.length > 2000 ? 997 : 1;
      for (let cut = 0; cut < p.length; cut += step) {
        assert.throws(() => def.decode(p, 0, cut), VppDecodeError, `${f.msg} cut at ${cut}`);
      }
    }
  }
});

test('a count that overruns the bytes is refused before anything is allocated', () => {
  const route = { table_id: 0, prefix: '10.0.0.0/8', paths: [{ sw_if_index: 1, weight: 1, nh: { address: { ip4: '10.0.0.1' } } }] };
  const b = ip_route_add_del.encode(396, { is_add: true, route });
  b[2 + 4 + 4 + 1 + 1 + 4 + 4 + 18] = 200; // n_paths
  assert.throws(() => ip_route_add_del.decode(b), (e: Error) => e instanceof VppDecodeError && /count of 200/.test(e.message));
});

test('enum fields take only the values their definition has', () => {
  const route = (type: number) => ({ table_id: 0, prefix: '10.0.0.0/8', paths: [{ sw_if_index: 1, type }] });
  for (const v of Object.values(FibPathType)) ip_route_add_del.encode(396, { route: route(v) });
  for (const bad of [99, -1, 1.5, 0x10000]) {
    assert.throws(() => ip_route_add_del.encode(396, { route: route(bad) }), (e: Error) => e instanceof VppEncodeError && /route\.paths\.type/.test(e.message) && /fib_path_type/.test(e.message));
  }
  // flags enums (if_status_flags) take combinations of their bits, nothing else
  sw_interface_details.encode(171, { flags: 3 });
  assert.throws(() => sw_interface_details.encode(171, { flags: 4 }), VppEncodeError);
});

test('counts follow their arrays; a count that disagrees is refused', () => {
  const paths = [{ sw_if_index: 1 }, { sw_if_index: 2 }];
  const b = ip_route_add_del_v2.encode(397, { route: { prefix: '10.0.0.0/8', paths } });
  assert.equal(b.length, 40 + 2 * 167);
  assert.equal(ip_route_add_del_v2.decode(b).route.n_paths, 2);
  assert.throws(() => ip_route_add_del_v2.encode(397, { route: { prefix: '10.0.0.0/8', n_paths: 3, paths } }), /says 3 but the array has 2/);
});

test('out-of-range numbers, bad addresses and over-long strings are refused with the field named', () => {
  const cases: [any, RegExp][] = [
    [{ route: { prefix: '10.0.0.0/33' } }, /route\.prefix.*over 32/],
    [{ route: { prefix: '10.0.0.256/32' } }, /route\.prefix/],
    [{ route: { prefix: '2001:db8::/129' } }, /over 128/],
    [{ route: { prefix: 'nonsense' } }, /not a prefix/],
    [{ route: { table_id: -1, prefix: '10.0.0.0/8' } }, /route\.table_id.*u32/],
    [{ route: { prefix: '10.0.0.0/8', paths: [{ weight: 256 }] } }, /paths\.weight.*u8/],
    [{ route: { prefix: '10.0.0.0/8', paths: [{ nh: { address: { ip4: '1.2.3' } } }] } }, /nh\.address\.ip4/],
    [{ route: { prefix: '10.0.0.0/8', paths: [{ label_stack: new Array(17).fill({}) }] } }, /label_stack.*holds 16/],
  ];
  for (const [fields, re] of cases) assert.throws(() => ip_route_add_del.encode(396, fields), (e: Error) => e instanceof VppEncodeError && re.test(e.message), JSON.stringify(fields));
  assert.throws(() => messages.ip_table_add_del.encode(382, { table: { name: 'x'.repeat(65) } }), /table\.name.*holds 64/);
});

test('addresses and prefixes: text either way, bytes accepted, IPv6 in RFC 5952 form', () => {
  const enc = (prefix: string, gw: any) => ip_route_add_del.decode(ip_route_add_del.encode(396, { route: { prefix, paths: [{ proto: 1, nh: { address: gw } }] } })).route;
  const r = enc('2001:db8:0:0:1::/80', { ip6: '2001:DB8::0:1' });
  assert.equal(r.prefix, '2001:db8:0:0:1::/80');
  assert.equal(r.paths[0]!.nh.address.ip6, '2001:db8::1');
  assert.equal(enc('::ffff:10.1.2.3/128', { ip6: Uint8Array.from([0xfe, 0x80, ...new Array(13).fill(0), 1]) }).paths[0]!.nh.address.ip6, 'fe80::1');
  assert.equal(enc('::ffff:10.1.2.3/128', {}).prefix, '::ffff:a01:203/128');
  assert.equal(enc('1:0:1:0:1:0:1:0/128', {}).prefix, '1:0:1:0:1:0:1:0/128');
  assert.equal(enc('1:0:0:1:0:0:0:1/128', {}).prefix, '1:0:0:1::1/128');
  assert.equal(enc('1:0:0:1:0:0:1:1/128', {}).prefix, '1::1:0:0:1:1/128');
  assert.equal(enc('10.1.2.3/8', {}).prefix, '10.0.0.0/8', 'routes read back as networks');
  const addr = messages.ip_address_details;
  assert.equal(addr.decode(addr.encode(426, { prefix: '192.0.2.1/24' })).prefix, '192.0.2.1/24', 'interface addresses keep the host part');
});

test('the generated files are what the generator writes from api/ today', () => {
  const files = generate(API_DIR);
  const onDisk = readdirSync(GEN_DIR).sort();
  assert.deepEqual(onDisk, [...files.keys()].sort(), 'the same files');
  for (const [name, text] of files) {
    assert.ok(readFileSync(join(GEN_DIR, name), 'utf8') === text, `src/gen/${name} is stale: run npm run gen -w vpp-binapi-ts`);
  }
});
