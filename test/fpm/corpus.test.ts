// Replays every kept input under test/fpm/corpus/ (fuzzer finds and hand-made nasties): whole,
// and in one-byte chunks; every output must be sane.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { feedSane } from './sane.js';

const DIR = fileURLToPath(new URL('./corpus/', import.meta.url));
const files = readdirSync(DIR).filter((f) => f.endsWith('.bin')).sort();

test('the corpus is there', () => {
  assert.ok(files.length > 0);
});

for (const f of files) {
  test(`corpus ${f}`, () => {
    const data = readFileSync(DIR + f);
    const whole = feedSane(data, []);
    const bytewise = feedSane(data, Array.from({ length: Math.min(data.length, 4096) }, (_, i) => i));
    assert.deepEqual(JSON.parse(JSON.stringify(bytewise)), JSON.parse(JSON.stringify(whole)));
  });
}
