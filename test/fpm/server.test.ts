// The FPM server over real TCP sockets on an ephemeral port: chunking, session replacement,
// bad input closing only its session, and backpressure through the sink.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { FpmServer } from '../../src/fpm/server.js';
import { FpmSessionDecoder } from '../../src/fpm/session-decoder.js';
import { createLogger } from '../../src/log.js';
import type { RouteSink } from '../../src/route/sink.js';
import type { RouteEvent } from '../../src/route/types.js';
import { turns, waitFor } from '../helpers/wait.js';

const FIXTURES = new URL('../fixtures/fpm/', import.meta.url);
const fixture = (name: string): Buffer => readFileSync(new URL(`${name}.bin`, FIXTURES));

class RecordingSink implements RouteSink {
  congested = false;
  readonly log: string[] = [];
  readonly events = new Map<number, RouteEvent[]>();
  applies = 0;
  private drain: (() => void)[] = [];
  /** Called after each apply; a test can flip `congested` here. */
  onApply: (() => void) | null = null;
  sessionStart(id: number): void { this.log.push(`start ${id}`); this.events.set(id, []); }
  sessionEnd(id: number, reason: string): void { this.log.push(`end ${id} ${reason}`); }
  apply(id: number, events: RouteEvent[]): void {
    this.applies++;
    this.events.get(id)!.push(...events);
    this.onApply?.();
  }
  onDrain(cb: () => void): void { this.drain.push(cb); }
  release(): void { this.congested = false; for (const cb of this.drain) cb(); }
}

const servers: FpmServer[] = [];
after(async () => { for (const s of servers) await s.close(); });

async function setup(): Promise<{ server: FpmServer; sink: RecordingSink; port: number }> {
  const sink = new RecordingSink();
  const server = new FpmServer({ host: '127.0.0.1', port: 0, decoder: () => new FpmSessionDecoder({ weights: 'auto' }), sink, logger: createLogger('silent') });
  servers.push(server);
  const { port } = await server.listen();
  return { server, sink, port };
}

/** A live session (zebra connected) and the kernel-1k recording with the events it decodes to. */
async function kernelSession(): Promise<{ server: FpmServer; sink: RecordingSink; s: Socket; data: Buffer; want: RouteEvent[] }> {
  const { server, sink, port } = await setup();
  const data = fixture('kernel-1k');
  const want = decodeWhole(data);
  const s = await dial(port);
  await until('up', () => server.stats.state === 'up');
  return { server, sink, s, data, want };
}

async function dial(port: number): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  s.setNoDelay(true);
  s.on('error', () => undefined); // the server hanging up on us (reset) is what some tests expect
  await once(s, 'connect');
  return s;
}

const until = waitFor;

// events.once would reject on the reset that precedes the close
const closed = (s: Socket): Promise<void> => new Promise((r) => s.once('close', () => r()));
const decodeWhole = (b: Buffer): RouteEvent[] => new FpmSessionDecoder({ weights: 'auto' }).push(b);

/** Writes `data` a piece at a time, each read by the server (`read()`: its bytes so far) before the next goes. */
async function writeInChunks(s: Socket, data: Buffer, sizes: number[], read: () => number): Promise<void> {
  const base = read();
  let off = 0;
  for (let i = 0; off < data.length; i++) {
    const n = sizes[i % sizes.length]!;
    s.write(data.subarray(off, off + n));
    off = Math.min(data.length, off + n);
    await until('the piece read', () => read() - base >= off); // each piece arrives as its own read
  }
}

test('a fixture fed in odd chunk sizes yields exactly the events of decoding it whole', async () => {
  const { server, sink, port } = await setup();
  for (const name of ['static-changes', 'legacy-fpm', 'static-table100']) {
    const data = fixture(name);
    const want = decodeWhole(data);
    assert.ok(want.filter((e) => e.kind === 'route').length > 5, `${name} has routes`);
    const s = await dial(port);
    await until('session start', () => server.stats.state === 'up');
    const id = server.stats.session!.id;
    await writeInChunks(s, data, [1, 3, 7, 13, 64, 2, 250], () => server.stats.bytesTotal);
    await until(`${name} events`, () => (sink.events.get(id)?.length ?? 0) >= want.length);
    assert.deepEqual(sink.events.get(id), want, name);
    assert.ok(sink.applies > 1, 'several reads');
    assert.equal(server.stats.session!.bytes, data.length);
    assert.equal(server.stats.session!.routes, want.filter((e) => e.kind === 'route').length);
    s.end();
    await until('session end', () => server.stats.state === 'none');
    assert.match(sink.log.at(-1)!, new RegExp(`^end ${id} `));
  }
  assert.equal(server.stats.sessionsTotal, 3);
});

test('a new connection replaces the current session only once it has sent a valid frame', async () => {
  const { server, sink, port } = await setup();
  const data = fixture('static-nhg');
  const a = await dial(port);
  a.write(data.subarray(0, 200));
  await until('A up', () => sink.log.includes('start 1'));
  // a stranger that sends nothing valid never disturbs A
  const stray = await dial(port);
  const strayClosed = closed(stray);
  stray.write(Buffer.from('GET / HTTP/1.0\r\n\r\n'));
  await strayClosed;
  assert.deepEqual(sink.log, ['start 1']);
  assert.equal(server.stats.refused['invalid-first-frame'], 1);
  const aClosed = closed(a);
  const b = await dial(port);
  await turns();
  assert.deepEqual(sink.log, ['start 1'], 'a connection that has sent nothing yet replaces nothing');
  b.write(data);
  await until('B up', () => sink.log.includes('start 2'));
  await aClosed; // the server hung up on A
  assert.ok(sink.log.some((l) => /^end 1 replaced by 127\.0\.0\.1:\d+$/.test(l)), sink.log.join('\n'));
  assert.deepEqual(sink.log.slice(0, 3).map((l) => l.split(' ').slice(0, 2).join(' ')), ['start 1', 'end 1', 'start 2']);
  const want = decodeWhole(data);
  await until('B events', () => (sink.events.get(2)?.length ?? 0) >= want.length);
  assert.deepEqual(sink.events.get(2), want);
  assert.equal(server.stats.session!.id, 2);
  b.destroy();
});

test('a connection that is not allowed is refused before any byte counts; the live session stays', async () => {
  const sink = new RecordingSink();
  let refuse = false;
  const checked: number[] = [];
  const peerCheck = {
    check: async (_addr?: string, p?: number) => {
      checked.push(p!);
      return refuse ? { ok: false, kind: 'owner', reason: 'the connecting socket belongs to uid 65534, not to --fpm-user' } : { ok: true, kind: 'owner', reason: 'allowed' };
    },
  };
  const server = new FpmServer({ host: '127.0.0.1', port: 0, decoder: () => new FpmSessionDecoder(), sink, logger: createLogger('silent'), peerCheck: peerCheck as never });
  servers.push(server);
  const { port } = await server.listen();
  const data = fixture('static-nhg');
  const a = await dial(port);
  a.write(data);
  await until('A up', () => sink.log.includes('start 1'));
  const want = decodeWhole(data).length;
  await until('A events', () => (sink.events.get(1)?.length ?? 0) >= want);
  refuse = true;
  const bad = await dial(port);
  const lp = bad.localPort;
  const badClosed = closed(bad);
  bad.write(data);
  await badClosed;
  assert.equal(checked.at(-1), lp, 'the check saw the connecting end');
  assert.equal(server.stats.refused.owner, 1);
  assert.deepEqual(sink.log, ['start 1']);
  assert.equal(sink.events.get(1)!.length, want, 'nothing of the refused connection was applied');
  assert.equal(server.stats.session!.id, 1);
  a.destroy();
});

test('nothing of a connection is read while its peer check is pending; a refused one is never decoded', async () => {
  const sink = new RecordingSink();
  const gates: ((v: { ok: boolean; kind: string; reason: string }) => void)[] = [];
  const peerCheck = { check: () => new Promise((r) => gates.push(r)) };
  const server = new FpmServer({ host: '127.0.0.1', port: 0, decoder: () => new FpmSessionDecoder(), sink, logger: createLogger('silent'), peerCheck: peerCheck as never });
  servers.push(server);
  const { port } = await server.listen();
  const data = fixture('static-nhg');
  // a stranger writes a whole valid stream and closes before its check answers
  const stranger = await dial(port);
  await until('the check asked', () => gates.length === 1);
  await new Promise<void>((r) => stranger.end(data, () => r()));
  assert.deepEqual(sink.log, [], 'no session while the check is pending');
  gates[0]!({ ok: false, kind: 'owner', reason: 'the connecting socket is FIN_WAIT2, not ESTABLISHED: its owner cannot be told' });
  await until('the refusal counted', () => server.stats.refused.owner === 1);
  assert.deepEqual(sink.log, []);
  assert.equal(server.stats.bytesTotal, 0, 'not one byte of it was read');
  // zebra's connection: held the same way until its check passes, then every byte counts
  const zebra = await dial(port);
  zebra.write(data);
  await until('the check asked', () => gates.length === 2);
  await turns();
  assert.equal(server.stats.bytesTotal, 0);
  gates[1]!({ ok: true, kind: 'owner', reason: 'allowed' });
  const want = decodeWhole(data);
  await until('zebra events', () => (sink.events.get(1)?.length ?? 0) >= want.length);
  assert.deepEqual(sink.events.get(1), want);
  zebra.destroy();
});

test('refusals are all counted, and logged once per peer per interval with the count held back', async () => {
  const sink = new RecordingSink();
  const lines: Record<string, unknown>[] = [];
  const logStream = new Writable({ write(chunk: Buffer, _e, cb) { for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>); cb(); } });
  let now = 0;
  const peerCheck = { check: async () => ({ ok: false, kind: 'owner', reason: 'the connecting socket belongs to uid 65534, not to --fpm-user', uid: 65534 }) };
  const server = new FpmServer({ host: '127.0.0.1', port: 0, decoder: () => new FpmSessionDecoder(), sink, logger: createLogger('info', logStream), peerCheck: peerCheck as never, refusalLogIntervalMs: 10_000, now: () => now });
  servers.push(server);
  const { port } = await server.listen();
  const refusedLines = () => lines.filter((l) => String(l.msg).startsWith('fpm connection refused'));
  const knock = async (n: number) => {
    const before = server.stats.refused.owner ?? 0;
    for (let i = 0; i < n; i++) closed(await dial(port));
    await until('refusals', () => (server.stats.refused.owner ?? 0) === before + n);
  };
  await knock(50);
  assert.equal(refusedLines().length, 1, 'one line for 50 refusals within the interval');
  assert.equal(refusedLines()[0]!.uid, 65534);
  now += 10_000;
  await knock(1);
  assert.equal(refusedLines().length, 2);
  assert.equal(refusedLines()[1]!.refusedSinceLastLine, 49, 'the next line tells how many were not logged');
  assert.equal(server.stats.refused.owner, 51);
});

test('a bad frame closes only that session; the next connection works', async () => {
  const { server, sink, port } = await setup();
  const data = fixture('static-nhg');
  const good = decodeWhole(data);
  const a = await dial(port);
  const aClosed = closed(a);
  // a complete good stream, then a header whose length is shorter than the header itself
  a.write(Buffer.concat([data, Buffer.from([1, 1, 0, 2, 0, 0, 0, 0])]));
  await aClosed;
  await until('session 1 end', () => sink.log.some((l) => l.startsWith('end 1 bad input at offset ')));
  assert.match(sink.log.find((l) => l.startsWith('end 1'))!, new RegExp(`offset ${data.length}\\b`));
  assert.deepEqual(sink.events.get(1)!.filter((e) => e.kind !== 'error'), good, 'everything before the bad frame was delivered');
  assert.equal(server.stats.sessionsFailed, 1);
  assert.equal(server.stats.state, 'none');

  const b = await dial(port);
  b.write(data);
  await until('session 2 events', () => (sink.events.get(2)?.length ?? 0) >= good.length);
  assert.deepEqual(sink.events.get(2), good);
  b.destroy();
});

test('while the sink is congested the socket is not read; after drain nothing is lost', async () => {
  const { server, sink, s, data, want } = await kernelSession();
  sink.onApply = () => { sink.congested = true; }; // congested as soon as anything arrives
  s.write(data.subarray(0, 1000));
  await until('first apply', () => sink.applies === 1);
  await until('paused', () => server.stats.state === 'paused');
  const bytesAtPause = server.stats.session!.bytes;
  await new Promise<void>((r) => s.write(data.subarray(1000), () => r()));
  await turns(); // the bytes are here: a server reading them would have by now
  assert.equal(sink.applies, 1, 'no reads while congested');
  assert.equal(server.stats.session!.bytes, bytesAtPause, 'no bytes consumed while congested');

  sink.onApply = null;
  sink.release();
  await until('all events', () => sink.events.get(1)!.length >= want.length);
  assert.deepEqual(sink.events.get(1), want);
  assert.equal(server.stats.state, 'up');
  assert.equal(server.stats.session!.bytes, data.length);
  s.destroy();
});

test('close() ends the session and stops listening', async () => {
  const { server, sink, port } = await setup();
  const s = await dial(port);
  const gone = closed(s);
  await until('up', () => sink.log.includes('start 1'));
  await server.close();
  await gone;
  assert.ok(sink.log.includes('end 1 server closing'));
  await assert.rejects(dial(port));
});

test('a large read is decoded and applied a piece (8 KB) at a time, so that few events are alive at once', async () => {
  const { server, sink, s, data, want } = await kernelSession();
  assert.ok(data.length > 4 * 8192, 'the fixture spans several pieces');
  s.write(data);
  await until('all events', () => (sink.events.get(1)?.length ?? 0) >= want.length);
  assert.deepEqual(sink.events.get(1), want);
  assert.ok(sink.applies >= Math.ceil(data.length / 8192), `${sink.applies} applies for ${data.length} bytes`);
  s.destroy();
});

test('a large read is decoded over several event-loop turns (two pieces a turn): what else is due runs in between', async () => {
  const { server, sink, s, data, want } = await kernelSession();
  // the whole fixture in one read: written before the server reads anything
  server['current']!.socket.pause();
  await new Promise<void>((r) => s.write(data, () => r()));
  await turns();
  // work that becomes due at the first apply (as VPP's replies do while zebra's input is decoded)
  let appliesWhenOtherWorkRan = -1;
  let scheduled = false;
  sink.onApply = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => { appliesWhenOtherWorkRan = sink.applies; });
  };
  server['current']!.socket.resume();
  await until('all events', () => (sink.events.get(1)?.length ?? 0) >= want.length);
  assert.deepEqual(sink.events.get(1), want);
  const pieces = Math.ceil(data.length / 8192);
  assert.ok(sink.applies >= pieces, `${sink.applies} applies`);
  // a turn of the event loop came after at most a turn's pieces (2), not after the whole read
  assert.ok(appliesWhenOtherWorkRan > 0 && appliesWhenOtherWorkRan <= 4, `other work ran after ${appliesWhenOtherWorkRan} of ${sink.applies} applies`);
  s.destroy();
});

test('a session ended while part of a read is still to be decoded applies that part first', async () => {
  const { server, sink, s, data, want } = await kernelSession();
  sink.onApply = () => {
    sink.onApply = null;
    setImmediate(() => server.dropSession('dropped by the test'));
  };
  s.write(data);
  await until('session end', () => sink.log.some((l) => l.startsWith('end 1')));
  assert.deepEqual(sink.log, ['start 1', 'end 1 dropped by the test']);
  // everything read before the drop is applied (its complete frames), not only the pieces of its first turn
  const read = server.stats.bytesTotal;
  const got = sink.events.get(1)!;
  assert.ok(read > 2 * 8192, `${read} bytes read`);
  assert.deepEqual(got, decodeWhole(data.subarray(0, read)));
  assert.ok(got.length <= want.length);
  s.destroy();
});

test('a session dropped from inside apply (re-entrant) applies the rest of its read once, in order, after that apply, and counts it once', async () => {
  const { server, sink, s, data } = await kernelSession();
  // the read ends in a broken header: the drain meets it
  const bad = Buffer.concat([data, Buffer.from([1, 1, 0, 2, 0, 0, 0, 0])]);
  server['current']!.socket.pause();
  await new Promise<void>((r) => s.write(bad, () => r()));
  await turns();
  let depth = 0;
  let nested = 0;
  const apply = sink.apply.bind(sink);
  sink.apply = (id, events) => {
    if (depth > 0) nested++;
    depth++;
    try {
      apply(id, events);
      if (sink.applies === 1) server.dropSession('dropped inside apply');
    } finally {
      depth--;
    }
  };
  server['current']!.socket.resume();
  await until('session end', () => sink.log.some((l) => l.startsWith('end 1')));
  assert.equal(nested, 0, 'apply is never entered again from inside apply');
  const read = server.stats.bytesTotal;
  assert.equal(read, bad.length, 'the whole write came in one read');
  const got = sink.events.get(1)!;
  assert.deepEqual(got, decodeWhole(bad), 'what was read is applied, in order, up to the broken frame');
  const routes = got.filter((e) => e.kind === 'route').length;
  assert.equal(server.stats.routesTotal, routes, 'each route counted once');
  assert.equal(server.stats.sessionsFailed, 1, 'the broken stream counted once');
  assert.equal(sink.log.filter((l) => l.startsWith('end 1')).length, 1);
  s.destroy();
});
