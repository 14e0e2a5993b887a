import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FrameReader, FramingError, HEADER_SIZE, frame } from '../src/transport/frame.js';
import { BatchWriter } from '../src/transport/writer.js';

const runs = Number(process.env.VPP_BINAPI_FUZZ_RUNS ?? 2000);

/** The first 32-bit word of every frame in `writes`, read in order (the BatchWriter tests' frames carry a number). */
function framedWords(writes: Buffer[]): number[] {
  const got: number[] = [];
  const r = new FrameReader((b, s) => got.push(b.readUInt32BE(s)));
  for (const b of writes) r.push(b);
  return got;
}

/**
 * Frames of random payloads cut at random points, each piece handed to the reader by `push`:
 * the reader must yield the payloads, whole and in order, with nothing left over.
 */
function sameWhereverCut(push: (r: FrameReader, stream: Buffer, from: number, to: number) => void): void {
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
          push(r, stream, prev, p);
          prev = p;
        }
        assert.deepEqual(got, payloads.map((p) => Buffer.from(p).toString('hex')));
        assert.equal(r.buffered, 0);
      },
    ),
    { numRuns: runs },
  );
}

test('FrameReader yields the same payloads however the stream is cut', () => {
  sameWhereverCut((r, stream, from, to) => r.push(stream.subarray(from, to)));
});

test('FrameReader reading from one reused buffer (the client\'s reads): the same payloads, though each read overwrites the last', () => {
  let readBuf = Buffer.alloc(0);
  sameWhereverCut((r, stream, from, to) => {
    if (readBuf.length < stream.length + 16) readBuf = Buffer.alloc(stream.length + 16);
    readBuf.fill(0xee); // what the last read left, and junk past this read's end
    stream.copy(readBuf, 0, from, to);
    r.push(readBuf, to - from);
  });
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
  assert.deepEqual(framedWords(writes), Array.from({ length: 100 }, (_, i) => i));
});

test('BatchWriter: the frames of later ticks go after those already written, in the same buffer until it fills', async () => {
  const writes: Buffer[] = [];
  const w = new BatchWriter({ write: (b: Buffer) => writes.push(b) }, 8192); // past the size Buffer's pool serves
  const put = (v: number, size = 4) => {
    const at = w.reserve(size);
    w.buffer.fill(0, at, at + size);
    w.buffer.writeUInt32BE(v, at);
  };
  for (let tick = 0; tick < 4; tick++) {
    put(tick);
    w.flush();
  }
  assert.equal(writes.length, 4);
  assert.ok(writes.every((b) => b.buffer === writes[0]!.buffer), 'one buffer for ticks of a few frames, not a fresh one per flush');
  put(100, 9000); // more than is left: a new buffer, the bytes already written untouched
  w.flush();
  assert.deepEqual(framedWords(writes), [0, 1, 2, 3, 100]);
});

test('BatchWriter: a new sink does not overwrite what the old one has yet to send', async () => {
  // a reset session's socket keeps sending what it was handed (its goodbye goes behind it) while
  // the next session writes: the old bytes must stay as they were handed over
  const old: Buffer[] = [];
  const next: Buffer[] = [];
  const w = new BatchWriter({ write: (b: Buffer) => old.push(b) });
  const put = (v: number) => {
    const at = w.reserve(4);
    w.buffer.writeUInt32BE(v, at);
  };
  for (let i = 1; i <= 3; i++) put(i);
  w.flush();
  w.setSink({ write: (b: Buffer) => next.push(b) });
  for (let i = 100; i <= 105; i++) put(i);
  w.flush();
  assert.deepEqual(framedWords(old), [1, 2, 3], 'the old sink still holds what it was handed');
  assert.deepEqual(framedWords(next), [100, 101, 102, 103, 104, 105]);
});

test('BatchWriter: a turn of a whole window of frames does not make the next buffer sixteen times its size', async () => {
  // a resync after VPP restarted writes a full window in one turn (4,096 routes of ~400 bytes)
  const writes: Buffer[] = [];
  const w = new BatchWriter({ write: (b: Buffer) => writes.push(b) });
  for (let i = 0; i < 4096; i++) {
    const at = w.reserve(390);
    w.buffer.writeUInt32BE(i, at);
  }
  assert.ok(w.buffer.length <= 4 * 1024 * 1024, `the buffer grew to ${(w.buffer.length / 2 ** 20).toFixed(1)} MB for a 1.6 MB turn`);
  w.flush();
  assert.equal(writes.length, 1);
  assert.deepEqual(framedWords(writes), Array.from({ length: 4096 }, (_, i) => i));
  // a turn bigger than the bound still fits in one buffer
  for (let i = 0; i < 20_000; i++) w.reserve(390);
  w.flush();
  assert.equal(writes.length, 2);
  assert.equal(writes[1]!.length, 20_000 * (390 + HEADER_SIZE));
});

test('BatchWriter: a socket that took a flush whole gets the next turn from the same bytes; one still holding a flush keeps it as it was', () => {
  const taken: number[][] = [];
  const handed: Buffer[] = [];
  let holding = 0;
  const w = new BatchWriter({
    write: (b: Buffer) => {
      handed.push(b);
      taken.push(framedWords([Buffer.from(b)])); // what the kernel would have copied, at once
    },
    get writableLength() { return holding; },
  }, 8192);
  const turn = (from: number, n: number): void => {
    for (let i = from; i < from + n; i++) {
      const at = w.reserve(4); // before w.buffer: a reserve may move the frames to a new buffer
      w.buffer.writeUInt32BE(i, at);
    }
    w.flush();
  };
  turn(0, 3);
  turn(3, 3);
  assert.equal(handed[1]!.buffer, handed[0]!.buffer);
  assert.equal(handed[1]!.byteOffset, handed[0]!.byteOffset, 'taken whole: the next turn starts where the last one did');
  assert.deepEqual(taken, [[0, 1, 2], [3, 4, 5]]);
  holding = 100; // the kernel had no room: the socket keeps the flush and writes it later
  turn(6, 3);
  turn(9, 3);
  assert.notEqual(handed[3]!.byteOffset, handed[2]!.byteOffset, 'a flush the socket still holds is not written over');
  assert.deepEqual(framedWords([handed[2]!, handed[3]!]), [6, 7, 8, 9, 10, 11]);
});

test('BatchWriter on a real socket: turns taken whole reuse the buffer; turns queued while the peer does not read all arrive, in order, as written', async (t) => {
  const net = await import('node:net');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const path = join(tmpdir(), `vbt-writer-${process.pid}.sock`);
  const got: Buffer[] = [];
  let gotBytes = 0;
  let peer: import('node:net').Socket | null = null;
  let onPeer!: (s: import('node:net').Socket) => void;
  const accepted = new Promise<import('node:net').Socket>((resolve) => { onPeer = resolve; });
  const server = net.createServer((s) => {
    peer = s;
    s.pause(); // nothing read until the writer has had to queue: those turns wait in the socket
    s.on('data', (b) => { got.push(b); gotBytes += b.length; });
    onPeer(s);
  });
  await new Promise<void>((r) => server.listen(path, r));
  const sock = net.connect(path);
  // whatever fails, nothing is left holding the test process open (the peer too: a server
  // closes only once its connections have)
  t.after(() => new Promise<void>((r) => { sock.destroy(); (peer as import('node:net').Socket | null)?.destroy(); server.close(() => r()); }));
  await new Promise((r) => sock.once('connect', r));
  const reader = await accepted;
  const w = new BatchWriter(sock, 64 * 1024);
  let next = 0;
  const turn = (): void => {
    for (let i = 0; i < 100; i++) {
      const at = w.reserve(380);
      w.buffer.writeUInt32BE(next++, at);
    }
    w.flush();
  };
  // while the kernel takes every turn whole, one buffer carries more than it holds: reused
  const first = w.buffer;
  for (let i = 0; i < 5; i++) turn();
  assert.equal(sock.writableLength, 0, 'five turns of 39 KB fit in any socket');
  assert.equal(w.buffer, first, 'the same buffer');
  assert.ok(next * (380 + HEADER_SIZE) > first.length, 'more bytes written than it holds: written over');
  // then until the socket holds bytes (its send buffer full, whatever the host's size), and on
  for (let i = 0; sock.writableLength === 0; i++) {
    assert.ok(i < 10_000, 'the socket never queued (390 MB written to a peer that does not read)');
    turn();
  }
  for (let i = 0; i < 20; i++) turn();
  const total = next * (380 + HEADER_SIZE);
  reader.resume();
  const deadline = Date.now() + 30_000;
  while (gotBytes < total) {
    assert.ok(Date.now() < deadline, `${gotBytes} of ${total} bytes read within 30 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.deepEqual(framedWords(got), Array.from({ length: next }, (_, i) => i));
});

test('BatchWriter: a buffer one outsized turn grew past 4 MB is let go once the socket took it', () => {
  const w = new BatchWriter({ write: () => undefined, writableLength: 0 }, 64 * 1024);
  for (let i = 0; i < 20_000; i++) w.reserve(390); // ~8 MB in one turn (a resync's whole window)
  assert.ok(w.buffer.length > 4 * 1024 * 1024);
  w.flush();
  assert.equal(w.buffer.length, 64 * 1024, 'back to the initial size, not ~16 MB held for the session');
  for (let i = 0; i < 1_000; i++) w.reserve(390); // ~400 KB turns grow it within the bound and keep it
  w.flush();
  const kept = w.buffer;
  assert.ok(kept.length <= 4 * 1024 * 1024);
  for (let i = 0; i < 1_000; i++) w.reserve(390);
  w.flush();
  assert.equal(w.buffer, kept);
});

test('the messages the client writes itself match the recorded bytes', async () => {
  const { readFileSync } = await import('node:fs');
  const net = await import('node:net');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { VppClient } = await import('../src/index.js');
  const { recordedMessageTable } = await import('../src/sim/index.js');
  const { encodeSockclntCreate, encodeSockclntCreateReply } = await import('../src/client/handshake.js');
  const t = JSON.parse(readFileSync(new URL('./fixtures/transcripts/connect.json', import.meta.url), 'utf8'));
  const hex = (name: string) => t.frames.find((f: any) => f.msg.startsWith(name)).hex as string;
  // sockclnt_create: vpp_papi's context 124 and the recorded name give the recorded frame.
  assert.equal(frame(encodeSockclntCreate(124, 'rec-connect')).toString('hex'), hex('sockclnt_create_455fb9c4'));
  // The recorded handshake reply decodes to the recorded table, which re-encodes to the same bytes.
  const reply = encodeSockclntCreateReply(124, 0x80000001, recordedMessageTable());
  assert.equal(reply.toString('hex'), hex('sockclnt_create_reply').slice(32));

  // sockclnt_delete as close() writes it, with the recorded context put in.
  const path = join(tmpdir(), `vbt-wire-${process.pid}.sock`);
  const seen: Buffer[] = [];
  const server = net.createServer((sock) => {
    const r = new FrameReader((b, s, e) => {
      const p = Buffer.from(b.subarray(s, e));
      seen.push(p);
      if (p.readUInt16BE(0) === 15) sock.write(frame(encodeSockclntCreateReply(p.readUInt32BE(2), 0x80000001, recordedMessageTable())));
      if (p.readUInt16BE(0) === 17) {
        const rep = Buffer.from('0012000000000000000001', 'hex').subarray(0, 10);
        p.copy(rep, 2, 6, 10);
        sock.end(frame(rep));
      }
    });
    sock.on('data', (c: Buffer) => r.push(c));
  });
  await new Promise<void>((res) => server.listen(path, () => res()));
  const c = new VppClient({ socketPath: path, messages: {}, reconnect: false });
  await c.connect();
  await c.close();
  server.close();
  const del = seen.find((p) => p.readUInt16BE(0) === 17)!;
  del.writeUInt32BE(2, 6); // the recorded session's context
  assert.equal(frame(del).toString('hex'), hex('sockclnt_delete_8ac76db6'));
});
