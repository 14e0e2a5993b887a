import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FrameReader, FramingError, HEADER_SIZE, frame } from '../../src/vpp/transport/frame.js';
import { BatchWriter } from '../../src/vpp/transport/writer.js';

const runs = Number(process.env.FIBMGR_FUZZ_RUNS ?? 2000);

test('FrameReader yields the same payloads however the stream is cut', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
      fc.array(fc.nat(), { maxLength: 30 }),
      (payloads, cuts) => {
        const stream = Buffer.concat(payloads.map((p) => {
          const f = frame(Buffer.from(p));
          f.fill(0xab, 0, 8); // VPP's ring pointer: junk the reader must ignore
          return f;
        }));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const got: string[] = [];
        const r = new FrameReader((b, s, e) => got.push(b.toString('hex', s, e)));
        let prev = 0;
        for (const p of [...points, stream.length]) {
          r.push(stream.subarray(prev, p));
          prev = p;
        }
        assert.deepEqual(got, payloads.map((p) => Buffer.from(p).toString('hex')));
        assert.equal(r.buffered, 0);
      },
    ),
    { numRuns: runs },
  );
});

test('FrameReader refuses a length over its limit', () => {
  const r = new FrameReader(() => {}, 1000);
  const h = Buffer.alloc(HEADER_SIZE);
  h.writeUInt32BE(1001, 8);
  assert.throws(() => r.push(h), FramingError);
  const r2 = new FrameReader(() => {}, 1000);
  r2.push(h.subarray(0, 10));
  assert.throws(() => r2.push(h.subarray(10)), FramingError);
});

test('BatchWriter joins the frames of one tick into one write', async () => {
  const writes: Buffer[] = [];
  const w = new BatchWriter({ write: (b: Buffer) => writes.push(b) }, 64);
  for (let i = 0; i < 100; i++) {
    const at = w.reserve(4);
    w.buffer.writeUInt32BE(i, at);
  }
  assert.equal(writes.length, 0);
  await new Promise((r) => setImmediate(r));
  assert.equal(writes.length, 1);
  const got: number[] = [];
  new FrameReader((b, s) => got.push(b.readUInt32BE(s))).push(writes[0]!);
  assert.deepEqual(got, Array.from({ length: 100 }, (_, i) => i));
});
