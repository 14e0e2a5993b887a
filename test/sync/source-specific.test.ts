// A source-specific route (IPv6 `X from Y`, babel's) cannot be installed (VPP's routes have no
// source prefix) and is not the route of its destination: its add and its delete leave the plain
// route as it is; the add is counted and reported to zebra as failed, naming its source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FpmSessionDecoder } from '../../src/fpm/session-decoder.js';
import { FakePort } from '../helpers/fake-port.js';
import { prefixFromBytes } from '../../src/route/prefix.js';
import { reconciler, RecordingReporter as Reporter } from '../helpers/builders.js';
import { netlinkFrame, routeMsg } from '../fpm/build.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';


test('a source-specific add and delete never touch the plain route of the same destination; the add is counted and reported failed with its source', async () => {
  const port = new FakePort();
  const r = reconciler(port, { resyncGraceMs: 20, deleteHoldMs: 5, retryMinMs: 5 });
  await r.start();
  r.sessionStart(1);
  const rep = new Reporter();
  r.attachReporter(1, rep);
  // zebra's bytes, through the decoder: what the reconciler is given is what a session gives it
  const dec = new FpmSessionDecoder();
  r.apply(1, dec.push(netlinkFrame(routeMsg({ prefix: '2001:db8:100::/48', gateway: '2001:db8:2::2' }))));
  await r.idle();
  assert.deepEqual([...port.fib.keys()], ['0|2001:db8:100::/48']);
  const before = port.fib.get('0|2001:db8:100::/48');
  const ops = port.ops.length;

  r.apply(1, dec.push(netlinkFrame(routeMsg({ prefix: '2001:db8:100::/48', src: '2001:db8:5::/48', gateway: '2001:db8:2::3' }))));
  await r.idle();
  await new Promise((res) => setImmediate(res));
  assert.equal(port.ops.length, ops, 'no VPP write for the source-specific add');
  assert.equal(port.fib.get('0|2001:db8:100::/48'), before);
  assert.equal(r.state().counters.skipped['source-specific'], 1);
  assert.equal(r.state().counters.skipped['unusable-message'], 0);
  assert.deepEqual(rep.got, ['offload 254 2001:db8:100::/48 p196 unicast', 'failed 254 2001:db8:100::/48 from 2001:db8:5::/48 p196 unicast']);

  r.apply(1, dec.push(netlinkFrame(routeMsg({ op: 'del', prefix: '2001:db8:100::/48', src: '2001:db8:5::/48' }))));
  await r.idle();
  assert.equal(port.ops.length, ops, 'no VPP write for the source-specific delete');
  assert.equal(port.fib.get('0|2001:db8:100::/48'), before);
  assert.equal(r.explain(0, prefixFromBytes(6, Buffer.from('20010db8010000000000000000000000', 'hex'), 0, 48)).state, 'in-sync');
  assert.equal(rep.got.length, 2, 'a delete is not answered');
  await r.stop();
});

test('a source-specific route waiting for a reporter is told once the session takes notifications; a new session forgets it', async () => {
  const port = new FakePort();
  const r = reconciler(port, { resyncGraceMs: 20 });
  await r.start();
  r.sessionStart(1);
  const dec = new FpmSessionDecoder();
  r.apply(1, dec.push(netlinkFrame(routeMsg({ prefix: '2001:db8:100::/48', src: '2001:db8:5::/48', gateway: '2001:db8:2::3', protocol: 42 }))));
  r.apply(1, dec.push(netlinkFrame(routeMsg({ prefix: '2001:db8:200::/48', src: '2001:db8:5::/48', gateway: '2001:db8:2::3', protocol: 42 }))));
  r.apply(1, dec.push(netlinkFrame(routeMsg({ op: 'del', prefix: '2001:db8:200::/48', src: '2001:db8:5::/48', protocol: 42 }))));
  const rep = new Reporter();
  r.attachReporter(1, rep);
  await r.idle();
  assert.deepEqual(rep.got, ['failed 254 2001:db8:100::/48 from 2001:db8:5::/48 p42 unicast']);
  r.apply(1, dec.push(netlinkFrame(routeMsg({ prefix: '2001:db8:300::/48', src: '2001:db8:5::/48', gateway: '2001:db8:2::3', protocol: 42 }))));
  r.sessionStart(2);
  const rep2 = new Reporter();
  r.attachReporter(2, rep2);
  await r.idle();
  assert.deepEqual(rep2.got, [], 'the next session replays its own');
  await r.stop();
});

test('FRR 10.7\'s stream of `ipv6 route X from Y` added and removed beside `ipv6 route X`: VPP keeps X as the plain route says', async () => {
  const port = new FakePort();
  const r = reconciler(port, { resyncGraceMs: 20, deleteHoldMs: 5 });
  await r.start();
  r.sessionStart(1);
  const bytes = readFileSync(fileURLToPath(new URL('../fpm/corpus/frr10.7-source-specific.bin', import.meta.url)));
  r.apply(1, new FpmSessionDecoder().push(bytes));
  await r.idle();
  assert.equal(port.fib.get('0|2001:db8:100::/48'), 'normal/6/2001:db8:2::2/*/1/');
  assert.equal(port.ops.filter((o) => o.key === '0|2001:db8:100::/48').length, 1, 'one write: the plain route\'s');
  await r.stop();
});
