// Every message the generator covers, with random values of every field type it uses (driven by
// the same model the generator reads): what is decoded encodes and decodes to itself (byte for
// byte, with route prefixes as networks), size() agrees with the bytes, and every cut of the bytes is a VppDecodeError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { VppDecodeError } from '../src/codec/runtime.js';
import type { MessageDef } from '../src/index.js';
import { generate, loadModel, API_DIR, type Field, type Kind, type Model } from '../src/generator.js';

// src/gen holds only the messages the project uses (api/messages.txt); a library user
// may ask for any other, so the generator is tried on every message of api/: generated
// beside the codec and client it imports, in a scratch directory.
const model = loadModel(API_DIR);
const scratch = mkdtempSync(join(tmpdir(), 'vbt-gen-all-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const src = new URL('../src/', import.meta.url).pathname;
mkdirSync(join(scratch, 'gen'));
writeFileSync(join(scratch, 'package.json'), '{ "type": "module" }\n'); // ESM, as the project: one instance of the runtime's classes
for (const dir of ['codec', 'client', 'transport']) symlinkSync(join(src, dir), join(scratch, dir));
symlinkSync(join(src, 'errors.ts'), join(scratch, 'errors.ts'));
for (const [name, code] of generate(API_DIR, model.messages.map((x) => x.name))) writeFileSync(join(scratch, 'gen', name), code);
const { messages } = (await import(join(scratch, 'gen', 'index.ts'))) as { messages: Record<string, MessageDef> };
const defs = messages;
const runs = Number(process.env.VPP_BINAPI_FUZZ_RUNS ?? 0) > 0 ? 500 : 25;

const text = (max: number) => fc.string({ unit: 'grapheme-ascii', maxLength: max }).filter((s) => !s.includes('\0'));
const v4prefix = fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([a, l]) => `${a}/${l}`);
const v6prefix = fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 128 })).map(([a, l]) => `${a}/${l}`);

function elem(m: Model, k: Kind): fc.Arbitrary<unknown> {
  switch (k.k) {
    case 'prim':
      switch (k.t) {
        case 'bool': return fc.boolean();
        case 'u8': return fc.integer({ min: 0, max: 0xff });
        case 'i8': return fc.integer({ min: -128, max: 127 });
        case 'u16': return fc.integer({ min: 0, max: 0xffff });
        case 'i16': return fc.integer({ min: -32768, max: 32767 });
        case 'u32': return fc.integer({ min: 0, max: 0xffffffff });
        case 'i32': return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
        case 'u64': return fc.bigInt(0n, 2n ** 64n - 1n);
        case 'i64': return fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n);
        case 'f64': return fc.double({ noNaN: true }).map((x) => (Object.is(x, -0) ? 0 : x));
      }
      break;
    case 'enum': return fc.constantFrom(...m.enums.get(k.name)!.values.map(([, v]) => v));
    case 'string': return text(20);
    case 'special':
      switch (k.s) {
        case 'ip4': return fc.ipV4();
        case 'ip6': return fc.ipV6();
        case 'mac': return fc.uint8Array({ minLength: 6, maxLength: 6 });
        case 'address': return fc.oneof(fc.ipV4(), fc.ipV6());
        case 'address_union': return fc.oneof(fc.ipV4().map((ip4) => ({ ip4 })), fc.ipV6().map((ip6) => ({ ip6 })));
        case 'prefix':
        case 'address_with_prefix': return fc.oneof(v4prefix, v6prefix);
        case 'ip4_prefix':
        case 'ip4_address_with_prefix': return v4prefix;
        case 'ip6_prefix':
        case 'ip6_address_with_prefix': return v6prefix;
      }
      break;
    case 'struct': return struct(m, m.structs.get(k.name)!.fields);
    case 'union': return fc.oneof(...m.structs.get(k.name)!.fields.map((f) => field(m, f).map((v) => ({ [f.name]: v }))));
  }
  throw new Error(`no arbitrary for ${JSON.stringify(k)}`);
}

function field(m: Model, f: Field): fc.Arbitrary<unknown> {
  const bytes = f.kind.k === 'prim' && (f.kind.t === 'u8' || f.kind.t === 'i8');
  if (f.kind.k === 'string') return text(f.fixed ? f.fixed : 40);
  if (f.fixed !== undefined) {
    if (bytes) return fc.uint8Array({ minLength: f.fixed, maxLength: f.fixed });
    return fc.array(elem(m, f.kind), { maxLength: f.fixed });
  }
  if (f.countOf !== undefined) {
    if (bytes) return fc.uint8Array({ maxLength: 8 });
    return fc.array(elem(m, f.kind), { maxLength: 3 });
  }
  return elem(m, f.kind);
}

function struct(m: Model, fields: Field[]): fc.Arbitrary<Record<string, unknown>> {
  const rec: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of fields) if (f.counts === undefined && f.name !== '_vl_msg_id') rec[f.name] = field(m, f);
  return fc.record(rec);
}

test(`every generated message round-trips random values of all its field types (${model.messages.length} messages)`, () => {
  assert.ok(model.messages.length > 250);
  for (const msg of model.messages) {
    const def = defs[msg.name]!;
    assert.ok(def, msg.name);
    fc.assert(
      fc.property(struct(model, msg.fields), (v) => {
        const b1 = def.encode(1234, v);
        assert.equal(b1.length, def.size(v), `${msg.name}: size() agrees with the bytes`);
        const d = def.decode(b1);
        // route prefixes read back as networks, so the fixed point is reached after one pass
        const b2 = def.encode(1234, d);
        assert.equal(b2.length, b1.length);
        const d2 = def.decode(b2);
        assert.deepEqual(d2, d, `${msg.name}: decode(encode(decode(x))) = decode(x)`);
        assert.equal(def.encode(1234, d2).toString('hex'), b2.toString('hex'), `${msg.name}: a fixed point`);
        for (const cut of [0, 1, b1.length >> 1, b1.length - 1]) {
          if (cut < b1.length) assert.throws(() => def.decode(b1, 0, cut), VppDecodeError, `${msg.name} cut at ${cut}`);
        }
      }),
      { numRuns: runs },
    );
  }
});

test('decoding random bytes as any message gives a value or a VppDecodeError, nothing else', () => {
  const all = Object.values(defs);
  fc.assert(
    fc.property(fc.nat(all.length - 1), fc.uint8Array({ maxLength: 600 }), (i, bytes) => {
      try {
        all[i]!.decode(Buffer.from(bytes));
      } catch (err) {
        assert.ok(err instanceof VppDecodeError, `${all[i]!.name}: ${(err as Error).message}`);
      }
    }),
    { numRuns: runs * 200 },
  );
});
