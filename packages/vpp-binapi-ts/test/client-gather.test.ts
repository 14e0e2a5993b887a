// Replies read in bursts under load (ReplyGather, connection.ts): VPP sends each reply with a
// send() of its own, and a client reading as soon as the socket is readable reads them one or two
// at a time. Between the client and the simulator sits a proxy that holds the simulator's replies
// and lets them go one write per reply, as VPP does; the gather's timer runs on mocked time, so
// the test says when it ends. Replies written while the client gathers are in the client's socket
// before the next turn of the event loop (one process, a unix socket), so a client that read them
// would have them after a few turns.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VppClient, FrameReader, HEADER_SIZE, type ReplyGather } from '../src/index.js';
import { VppSim } from '../src/sim/index.js';
import { gatherPauseMs } from '../src/client/connection.js';
import * as d from './client-defs.js';

let n = 0;
const turn = (): Promise<void> => new Promise((res) => setImmediate(res));

/** Until cond holds, turn by turn (no timers: they are mocked here); a real failure hits the deadline. */
async function turnsUntil(what: string, cond: () => boolean): Promise<void> {
  const end = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await turn();
  }
}

/** A proxy that passes the client's bytes on and holds the simulator's frames until released, one write each. */
async function holdingProxy(simPath: string) {
  const path = join(tmpdir(), `vbt-gather-proxy-${process.pid}-${n++}.sock`);
  const held: Buffer[] = [];
  let holding = false;
  let toClient: net.Socket | null = null;
  const sockets: net.Socket[] = [];
  const server = net.createServer((client) => {
    toClient = client;
    const up = net.connect(simPath);
    sockets.push(client, up);
    const reader = new FrameReader((b, s, e) => {
      const f = Buffer.from(b.subarray(s - HEADER_SIZE, e));
      if (holding) held.push(f);
      else client.write(f);
    });
    up.on('data', (c) => reader.push(c));
    client.on('data', (c) => up.write(c));
    client.on('close', () => up.destroy());
    up.on('close', () => client.destroy());
    client.on('error', () => {});
    up.on('error', () => {});
  });
  await new Promise<void>((res) => server.listen(path, res));
  return {
    close: (): Promise<void> => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((res) => server.close(() => res()));
    },
    path,
    held,
    hold: () => { holding = true; },
    /** Writes the next `count` held replies, one write each; resolves once all are in the client's socket. */
    release: (count: number): Promise<void> => {
      const frames = held.splice(0, count);
      return Promise.all(frames.map((f) => new Promise<void>((res) => toClient!.write(f, () => res())))).then(() => undefined);
    },
    /** Writes the next `count` held replies in one write, as VPP flushes the output it queued for a client that did not read. */
    releaseAtOnce: (count: number): Promise<void> => {
      const frames = held.splice(0, count);
      return new Promise<void>((res) => toClient!.write(Buffer.concat(frames), () => res()));
    },
  };
}

async function setup(t: TestContext, gather: ReplyGather | false) {
  const simPath = join(tmpdir(), `vbt-gather-sim-${process.pid}-${n++}.sock`);
  const sim = await new VppSim({ socketPath: simPath }).start();
  const proxy = await holdingProxy(simPath);
  const c = new VppClient({ socketPath: proxy.path, messages: d.messages, required: [d.ip_route_add_del], reconnect: false, gatherReplies: gather, window: 4096 });
  await c.connect();
  t.after(async () => {
    t.mock.timers.reset();
    await c.close();
    await proxy.close();
    await sim.stop();
  });
  // the gather's timer on the test's time (connect's own timers are behind us)
  t.mock.timers.enable({ apis: ['setTimeout'] });
  proxy.hold();
  const answered: boolean[] = [];
  const send = (count: number): void => {
    for (let i = 0; i < count; i++) {
      const k = answered.push(false) - 1;
      // an answer, whatever VPP says (the simulator refuses a next hop on no interface)
      const done = (): void => { answered[k] = true; };
      c.request(d.ip_route_add_del, d.route(`10.${k >> 8}.${k & 255}.0/24`)).then(done, done);
    }
  };
  const answeredCount = (): number => answered.filter(Boolean).length;
  /** `count` requests, VPP's answers held, then the first let go and read: the rest in flight. */
  const firstReplyOf = async (count: number): Promise<void> => {
    send(count);
    await turnsUntil(`VPP to answer all ${count}`, () => proxy.held.length === count);
    await proxy.release(1);
    await turnsUntil('the first reply', () => answeredCount() === 1);
  };
  return { c, proxy, firstReplyOf, answeredCount };
}

/** Turns enough for a client that reads to have read what is in its socket (one process, a unix socket). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await turn();
}

test('with many requests in flight, replies VPP sends one by one are read together once the gather ends', async (t) => {
  const { c, proxy, firstReplyOf, answeredCount } = await setup(t, { minInFlight: 4, ms: 5 });
  await firstReplyOf(10);
  // nine still in flight (≥ 4): the client stopped reading for 5 ms after that read
  await proxy.release(9);
  await settle();
  assert.equal(answeredCount(), 1, 'the nine replies wait in the socket while the client gathers');
  assert.equal(c.pending.inflight, 9);
  const reads = c.socketReads();
  t.mock.timers.tick(5);
  await turnsUntil('the nine replies, read after the gather', () => answeredCount() === 10);
  assert.equal(c.pending.inflight, 0);
  assert.equal(c.socketReads() - reads, 1, 'the nine sent one by one came in one read (socketReads counts the reads)');
});

test('below minInFlight, and with gathering off, each reply is read as it comes', async (t) => {
  for (const gather of [{ minInFlight: 4, ms: 5 }, false] as const) {
    await t.test(`gather ${JSON.stringify(gather)}`, async (tt) => {
      const { proxy, firstReplyOf, answeredCount } = await setup(tt, gather);
      // gathering on: 3 in flight after the first reply, below 4; off: 9 in flight, no gathering
      const count = gather ? 4 : 10;
      await firstReplyOf(count);
      await proxy.release(1);
      // no timer ticks: read at once
      await turnsUntil('the second reply, with no gather', () => answeredCount() === 2);
      await proxy.release(count - 2);
      await turnsUntil('the rest', () => answeredCount() === count);
    });
  }
});

test('a client paused by its owner stays paused when a gather ends', async (t) => {
  const { c, proxy, firstReplyOf, answeredCount } = await setup(t, { minInFlight: 2, ms: 5 });
  await firstReplyOf(5);
  c.pause();
  await proxy.release(4);
  t.mock.timers.tick(5);
  await settle();
  assert.equal(answeredCount(), 1, 'the gather\'s end does not undo the owner\'s pause');
  c.resume();
  await turnsUntil('the rest, after resume()', () => answeredCount() === 5);
});

test('a read that fills the read buffer is followed by the next at once: what gathered is read whole, not one buffer per gather', async (t) => {
  const { proxy, firstReplyOf, answeredCount } = await setup(t, { minInFlight: 4, ms: 5 });
  // 3000 replies of 30 bytes: ~88 KB, more than one read's 64 KB
  const count = 3000;
  await firstReplyOf(count);
  // the rest lands in the client's socket while it gathers
  await proxy.releaseAtOnce(count - 1);
  t.mock.timers.tick(5);
  // no further tick: a full buffer says more is waiting, so the client does not stop after it
  // (bounded in turns: the requests' own timeout would answer them all after 10 s)
  for (let i = 0; i < 200 && answeredCount() < count; i++) await turn();
  assert.equal(answeredCount(), count, 'every reply, read in the reads after the one gather');
});

test('the pause grows with what is in flight (perMs), from ms up to maxMs; without perMs it is ms', () => {
  const g = { minInFlight: 64, ms: 1, perMs: 2048, maxMs: 8 };
  assert.equal(gatherPauseMs(g, 64), 1, 'the least is ms');
  assert.equal(gatherPauseMs(g, 4095), 1);
  assert.equal(gatherPauseMs(g, 4096), 2);
  assert.equal(gatherPauseMs(g, 16_384), 8);
  assert.equal(gatherPauseMs(g, 100_000), 8, 'the most is maxMs');
  assert.equal(gatherPauseMs({ minInFlight: 64, ms: 3 }, 100_000), 3, 'no perMs: ms');
  assert.equal(gatherPauseMs({ minInFlight: 64, ms: 3, perMs: 1000, maxMs: 8 }, 4000), 4, 'max(ms, n / perMs), not ms + n / perMs');
});

test('a gather that cannot work is refused when the client is made', () => {
  const make = (gather: ReplyGather) => () => new VppClient({ socketPath: '/nonexistent', messages: d.messages, required: [d.ip_route_add_del], reconnect: false, gatherReplies: gather, timeoutMs: 10_000 });
  for (const [gather, why] of [
    [{ minInFlight: 64, ms: 0 }, /ms must be a positive number/],
    [{ minInFlight: 64, ms: NaN }, /ms must be a positive number/],
    [{ minInFlight: 64, ms: 1, perMs: 2048 }, /maxMs must be/],
    [{ minInFlight: 64, ms: 1, perMs: 0, maxMs: 8 }, /perMs must be a positive number/],
    [{ minInFlight: 64, ms: 1, perMs: 2048, maxMs: NaN }, /maxMs must be/],
    [{ minInFlight: 64, ms: 4, perMs: 2048, maxMs: 2 }, /maxMs must be a number ≥ ms/],
    [{ minInFlight: 64, ms: 1, perMs: 2048, maxMs: 5000 }, /under a quarter of timeoutMs/],
    [{ minInFlight: 64, ms: 5000 }, /under a quarter of timeoutMs/],
  ] as const) assert.throws(make(gather as ReplyGather), (err: Error) => err instanceof RangeError && why.test(err.message), JSON.stringify(gather));
  assert.doesNotThrow(make({ minInFlight: 64, ms: 1, perMs: 2048, maxMs: 8 }));
});

test('with perMs, replies wait for the longer pause that what is in flight earns, up to maxMs', async (t) => {
  const { c, proxy, firstReplyOf, answeredCount } = await setup(t, { minInFlight: 4, ms: 1, perMs: 8, maxMs: 3 });
  await firstReplyOf(40);
  // 39 in flight after the first reply: floor(39 / 8) = 4, held to maxMs: a pause of 3 ms
  await proxy.release(30);
  t.mock.timers.tick(2);
  await settle();
  assert.equal(answeredCount(), 1, 'not read 2 ms into a 3 ms pause');
  t.mock.timers.tick(1);
  await turnsUntil('the thirty replies, read after 3 ms', () => answeredCount() === 31);
  assert.equal(c.pending.inflight, 9);
  // 9 in flight: floor(9 / 8) = 1 ms, the least (ms)
  await proxy.release(5);
  await settle();
  assert.equal(answeredCount(), 31, 'gathering again after that read');
  t.mock.timers.tick(1);
  for (let i = 0; i < 200 && answeredCount() < 36; i++) await turn();
  assert.equal(answeredCount(), 36, 'the five replies, read 1 ms later');
});
