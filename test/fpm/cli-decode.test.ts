// `fibmgr decode FILE` end to end, as a user runs it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/fpm/', import.meta.url));

function decode(...args: string[]): { status: number | null; lines: Record<string, unknown>[]; raw: string[]; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'decode', ...args], { cwd: ROOT, encoding: 'utf8' });
  const raw = r.stdout.split('\n').filter(Boolean);
  return { status: r.status, raw, lines: raw.map((l) => JSON.parse(l)), stderr: r.stderr };
}

test('decode static-changes: JSON lines equal the fixture, route keys in the documented order, summary on stderr, exit 0', () => {
  const r = decode(`${FIXTURES}static-changes.bin`);
  assert.equal(r.status, 0, r.stderr);
  const want = JSON.parse(readFileSync(`${FIXTURES}static-changes.json`, 'utf8')) as Record<string, unknown>[];
  assert.equal(r.lines.length, want.length);
  want.forEach((w, i) => {
    if (w.kind === 'route') {
      assert.deepEqual(r.lines[i], w);
      assert.ok(r.raw[i].startsWith('{"kind":"route","op":'), r.raw[i]);
      assert.deepEqual(Object.keys(r.lines[i]), ['kind', 'op', 'family', 'table', 'prefix', 'type', 'protocol', 'metric', 'nhg', 'nexthops']);
    } else for (const k of Object.keys(w)) assert.deepEqual(r.lines[i][k], w[k]);
  });
  const summary = JSON.parse(r.stderr.trim().split('\n').at(-1)!);
  assert.deepEqual(summary.events, { 'nexthop-group add': 19, 'route add': 14, 'route del': 4 });
  assert.equal(summary.errors, 0);
});

test('decode --fpm-weights kernel on the legacy capture reads hops 1 as weight 2', () => {
  const r = decode('--fpm-weights', 'kernel', `${FIXTURES}legacy-fpm.bin`);
  assert.equal(r.status, 0);
  const ecmp = r.lines.find((l) => l.prefix === '8.8.8.8/32') as { nexthops: { weight: number }[] };
  assert.deepEqual(ecmp.nexthops.map((n) => n.weight), [2, 2, 2]);
});

test('decode of a damaged capture: error lines, decoding goes on, exit 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fibmgr-decode-'));
  const good = readFileSync(`${FIXTURES}static-inline-nexthops.bin`);
  const file = join(dir, 'bad.bin');
  writeFileSync(file, Buffer.concat([Buffer.from([1, 7, 0, 8, 0, 0, 0, 0]), good, good.subarray(0, 9)]));
  const r = decode(file);
  assert.equal(r.status, 1);
  assert.deepEqual(r.lines[0], { kind: 'error', offset: 0, reason: 'unknown FPM message type 7', what: 'unknown-frame' });
  assert.equal(r.lines.filter((l) => l.kind === 'route').length, 11);
  assert.deepEqual(r.lines.at(-1), { kind: 'error', offset: 8 + good.length, reason: 'stream ends inside a frame (9 bytes of it)', what: 'malformed' });
});

test('usage errors exit 2: missing file, bad weight mode', () => {
  assert.equal(decode('/nonexistent/capture.bin').status, 2);
  assert.equal(decode('--fpm-weights', 'sideways', `${FIXTURES}legacy-fpm.bin`).status, 2);
});
