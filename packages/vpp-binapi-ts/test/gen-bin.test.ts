// vpp-binapi-gen, the generator as a user runs it: messages named on the command line (or in a
// file), their replies and details along, written into --out and importing the runtime by the
// package's name; a bad command line is an error that says what is wrong, and writes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_DIR } from '../src/generator.js';

const PKG = fileURLToPath(new URL('..', import.meta.url));
// run from the package (where tsx resolves); paths given in full
const gen = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(PKG, 'src', 'bin', 'vpp-binapi-gen.ts'), ...args], { cwd: PKG, encoding: 'utf8' });

test('vpp-binapi-gen writes the named messages with their replies and details, importing the runtime by package name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vpp-binapi-gen-'));
  try {
    const out = join(dir, 'msgs');
    const r = gen(['--api-dir', API_DIR, '--messages', 'show_version', 'ip_route_v2_dump', '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readdirSync(out).sort(), ['index.ts', 'ip.ts', 'types.ts', 'vpe.ts']);
    const ip = readFileSync(join(out, 'ip.ts'), 'utf8');
    assert.match(ip, /export const ip_route_v2_dump\b/);
    assert.match(ip, /export const ip_route_v2_details\b/, 'a dump brings its details');
    assert.doesNotMatch(ip, /ip_route_add_del/, 'nothing that was not asked for');
    assert.match(readFileSync(join(out, 'vpe.ts'), 'utf8'), /export const show_version_reply\b/, 'a request brings its reply');
    assert.match(ip, /from 'vpp-binapi-ts\/runtime'/);
    assert.match(ip, /import type \{ MessageDef \} from 'vpp-binapi-ts'/);
    assert.doesNotMatch(ip, /from '\.\.\//, 'no path into the package');

    writeFileSync(join(dir, 'list.txt'), '# mine\ncontrol_ping\n');
    const fromFile = gen(['--api-dir', API_DIR, '--messages-file', join(dir, 'list.txt'), '--out', out]);
    assert.equal(fromFile.status, 0, fromFile.stderr);
    assert.deepEqual(readdirSync(out).sort(), ['index.ts', 'memclnt.ts', 'types.ts'], '--out is emptied first');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('vpp-binapi-gen reads an installed VPP\'s layout: .api.json files in core/ and plugins/ below --api-dir', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vpp-binapi-gen-tree-'));
  try {
    const api = join(dir, 'share', 'vpp', 'api');
    for (const sub of ['core', 'plugins']) mkdirSync(join(api, sub), { recursive: true });
    for (const f of readdirSync(API_DIR).filter((n) => n.endsWith('.api.json'))) cpSync(join(API_DIR, f), join(api, f === 'lcp.api.json' ? 'plugins' : 'core', f));
    const out = join(dir, 'msgs');
    const r = gen(['--api-dir', api, '--messages', 'lcp_itf_pair_get', 'sw_interface_dump', '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readdirSync(out).sort(), ['index.ts', 'interface.ts', 'lcp.ts', 'types.ts']);
    assert.match(readFileSync(join(out, 'lcp.ts'), 'utf8'), /export const lcp_itf_pair_details\b/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('vpp-binapi-gen refuses a bad command line with a message and exit 2, writing nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vpp-binapi-gen-bad-'));
  try {
    for (const [args, why] of [
      [['--messages', 'show_version'], /--api-dir is required/],
      [['--api-dir', API_DIR], /name at least one message/],
      [['--api-dir', API_DIR, '--messages'], /--messages needs a value/],
      [['--api-dir', API_DIR, '--messages', 'no_such_message'], /message no_such_message is in none of the \.api\.json files/],
      [['--api-dir', API_DIR, '--messages', 'show_version', '--frobnicate'], /unknown argument --frobnicate/],
    ] as const) {
      const r = gen([...args, '--out', join(dir, 'msgs')]);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, why);
      if (!(args as readonly string[]).includes('no_such_message')) assert.match(r.stderr, /usage: vpp-binapi-gen/);
      assert.equal(existsSync(join(dir, 'msgs')), false);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
