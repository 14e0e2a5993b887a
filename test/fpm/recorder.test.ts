// --record-fpm: each session's frames into a file of its own, whole frames only, within a size cap
// over all sessions; the files are streams `fibmgr decode` (the session decoder) reads to the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { FpmRecorder } from '../../src/fpm/recorder.js';
import { FpmServer } from '../../src/fpm/server.js';
import { FpmSessionDecoder } from '../../src/fpm/session-decoder.js';
import { createLogger } from '../../src/log.js';
import type { RouteSink } from '../../src/route/sink.js';
import { waitFor } from '../helpers/wait.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/fpm/${name}.bin`, import.meta.url));

/** The frame boundaries of a stream (offsets where a frame ends). */
function frameEnds(b: Buffer): number[] {
  const out: number[] = [];
  for (let off = 0; off + 4 <= b.length; off += b.readUInt16BE(off + 2)) out.push(off + b.readUInt16BE(off + 2));
  return out;
}

/** Feeds `data` in pieces of the given sizes, in turn. */
function feed(r: FpmRecorder, id: number, data: Buffer, sizes: number[]): void {
  for (let off = 0, i = 0; off < data.length; off += sizes[i++ % sizes.length]!) r.data(id, data.subarray(off, off + sizes[i % sizes.length]!));
}

function tmp(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'fibmgr-record-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('each session into its own file, byte for byte, however the stream was cut into reads; a session cut mid-frame keeps its whole frames', (t) => {
  const dir = tmp(t);
  const r = new FpmRecorder(join(dir, 'fpm'), createLogger('silent'));
  const a = fixture('static-changes'), b = fixture('mpls-84-1');
  r.sessionStart(1);
  feed(r, 1, a, [1, 3, 7, 4096, 2]);
  r.sessionEnd(1);
  r.sessionStart(2);
  // the connection dies 5 bytes into a frame
  const cut = frameEnds(b)[3]! + 5;
  feed(r, 2, b.subarray(0, cut), [5, 1000]);
  r.sessionEnd(2);
  assert.deepEqual(readFileSync(join(dir, 'fpm.1')), a);
  assert.deepEqual(readFileSync(join(dir, 'fpm.2')), b.subarray(0, frameEnds(b)[3]!));
  const d = new FpmSessionDecoder();
  d.push(readFileSync(join(dir, 'fpm.2')));
  assert.deepEqual({ frames: d.stats.frames, errors: d.stats.errors }, { frames: 4, errors: 0 });
});

test('the size cap holds over all sessions: recording stops at the last whole frame that fits, later sessions are not recorded, a warning says so once', (t) => {
  const dir = tmp(t);
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('info', new Writable({ write(c, _e, cb) { lines.push(JSON.parse(String(c))); cb(); } }));
  const a = fixture('static-changes');
  const ends = frameEnds(a);
  const cap = ends[5]! + 3; // room for six frames and a bit: not for the seventh
  const r = new FpmRecorder(join(dir, 'fpm'), logger, cap);
  r.sessionStart(1);
  feed(r, 1, a, [ends[1]! + 1, 9]);
  r.sessionStart(2);
  r.data(2, a);
  r.sessionEnd(1);
  r.sessionEnd(2);
  assert.deepEqual(readFileSync(join(dir, 'fpm.1')), a.subarray(0, ends[5]!));
  assert.equal(existsSync(join(dir, 'fpm.2')), false, 'nothing recorded past the cap');
  assert.equal(lines.filter((l) => /size cap/.test(String(l.msg))).length, 1);
});

test('a file that cannot be opened costs the recording only', (t) => {
  const dir = tmp(t);
  const r = new FpmRecorder(join(dir, 'no-such-dir', 'fpm'), createLogger('silent'));
  r.sessionStart(1);
  r.data(1, fixture('static-changes'));
  r.sessionEnd(1);
  assert.equal(existsSync(join(dir, 'no-such-dir')), false);
});

test('through the FPM server: what zebra sends on each connection is in that session\'s file', async (t) => {
  const dir = tmp(t);
  const sink: RouteSink = { congested: false, sessionStart() {}, sessionEnd() {}, apply() {}, onDrain() {} };
  let applied = 0;
  sink.apply = () => { applied++; };
  const server = new FpmServer({ host: '127.0.0.1', port: 0, decoder: () => new FpmSessionDecoder(), sink, logger: createLogger('silent'), recorder: new FpmRecorder(join(dir, 'fpm'), createLogger('silent')) });
  t.after(() => server.close());
  const { port } = await server.listen();
  const data = fixture('mpls-84-1');
  const s = connect(port, '127.0.0.1');
  await once(s, 'connect');
  s.end(data);
  await waitFor('the session read to its end', () => server.stats.bytesTotal === data.length && applied > 0);
  assert.deepEqual(readFileSync(join(dir, 'fpm.1')), data);
});
