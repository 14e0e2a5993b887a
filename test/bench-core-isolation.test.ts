// bench:real's keeping VPP's core for VPP (bench/lib/core-isolation.ts): the CPU lists and masks it reads
// from /proc and /sys and writes back. Moving the machine's tasks is left to the bench: a test
// that did it would move them under the other tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuMask, formatCpuList, parseCpuList } from '../bench/lib/core-isolation.js';

test('a CPU list as the kernel writes it reads as its CPUs', () => {
  assert.deepEqual(parseCpuList('0-1'), [0, 1]);
  assert.deepEqual(parseCpuList('0-2,5\n'), [0, 1, 2, 5]);
  assert.deepEqual(parseCpuList('3'), [3]);
});

test('what is not a CPU list reads as null', () => {
  for (const bad of ['', 'ff', '2-1', '0-', '0,,1', '-1']) assert.equal(parseCpuList(bad), null, JSON.stringify(bad));
});

test('CPUs are written back as a list and as the workqueues\' hex mask', () => {
  assert.equal(formatCpuList([0, 1, 2, 5]), '0,1,2,5');
  assert.equal(cpuMask([0]), '1');
  assert.equal(cpuMask([0, 2]), '5');
  assert.equal(cpuMask([0, 1, 2, 3]), 'f');
});
