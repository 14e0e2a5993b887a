// Property-based: random and mutated byte streams through the session decoder. Every output is
// sane (see sane.ts), nothing throws, nothing hangs, waiting routes stay bounded. FIBMGR_FUZZ_RUNS
// sets the number of runs per property (npm run fuzz sets it high). A failing input is written
// to .tmp/fpm-crashers/ so that it can be kept in test/fpm/corpus/.
import { test } from 'node:test';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { fpmFrame, mplsEncap, netlinkFrame, nexthopMsg, nlmsg, protobufFrame, routeMsg, rta, u32le } from './build.js';
import { feedSane } from './sane.js';

const RUNS = Number(process.env.FIBMGR_FUZZ_RUNS ?? 2000);
const FIXTURES = fileURLToPath(new URL('../fixtures/fpm/', import.meta.url));
const CRASHERS = fileURLToPath(new URL('../../.tmp/fpm-crashers/', import.meta.url));

const seeds: Buffer[] = readdirSync(FIXTURES).filter((f) => f.endsWith('.bin') && !f.startsWith('kernel-1k')).map((f) => readFileSync(FIXTURES + f));
seeds.push(Buffer.concat([
  netlinkFrame(nexthopMsg({ id: 1, gateway: '10.0.2.2', oif: 3, labels: [16] }), nexthopMsg({ id: 2, gateway: '2001:db8::2', oif: 3 })),
  netlinkFrame(nexthopMsg({ id: 3, group: [{ id: 1, weight: 2 }, { id: 2 }] }), nexthopMsg({ id: 4, blackhole: true })),
  netlinkFrame(routeMsg({ prefix: '8.8.8.8/32', nhId: 3 }), routeMsg({ prefix: '9.9.9.0/24', nhId: 9 }), routeMsg({ op: 'del', prefix: '9.9.9.0/24' })),
  netlinkFrame(routeMsg({ prefix: '10.9.0.0/16', multipath: [{ gateway: '10.0.2.2', ifindex: 3, hops: 3, labels: [100, 200] }, { via: 'fe80::1', ifindex: 5 }] })),
  netlinkFrame(routeMsg({ prefix: '2001:db8::/32', gateway: '2001:db8::1', oif: 3, labels: [17], tableAttr: 100 })),
  protobufFrame({ type: 1, add_route: { address_family: 1, key: { prefix: { length: 24, bytes: Buffer.from([10, 1, 2]) } }, route_type: 1, protocol: 9, nexthops: [{ if_id: { index: 3 }, address: { v4: { value: 167772674 } } }] } }),
]));

function keep(data: Buffer, err: unknown): never {
  mkdirSync(CRASHERS, { recursive: true });
  const file = `${CRASHERS}${createHash('sha1').update(data).digest('hex').slice(0, 16)}.bin`;
  writeFileSync(file, data);
  throw new Error(`decoder misbehaved; input kept in ${file}: ${(err as Error)?.message ?? err}`);
}

function check(data: Buffer, cuts: number[], weights?: 'auto' | 'kernel' | 'legacy'): void {
  try {
    feedSane(data, cuts, { weights });
  } catch (e) {
    keep(data, e);
  }
}

const cutsArb = fc.array(fc.nat(70000), { maxLength: 6 });

test('fuzz: random bytes', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), cutsArb, (b, cuts) => check(Buffer.from(b), cuts)), { numRuns: RUNS });
});

test('fuzz: random bodies inside valid FPM headers (netlink and protobuf)', () => {
  const frameArb = fc.tuple(fc.constantFrom(1, 1, 1, 2, 0, 9), fc.uint8Array({ maxLength: 300 })).map(([t, b]) => fpmFrame(t, Buffer.from(b)));
  fc.assert(fc.property(fc.array(frameArb, { maxLength: 6 }), cutsArb, (frames, cuts) => check(Buffer.concat(frames), cuts)), { numRuns: RUNS });
});

test('fuzz: random netlink messages of the decoded kinds with random attributes', () => {
  const attr = fc.tuple(fc.integer({ min: 0, max: 40 }), fc.uint8Array({ maxLength: 40 }), fc.boolean())
    .map(([t, p, nested]) => rta(t | (nested ? 0x8000 : 0), Buffer.from(p)));
  const known = fc.oneof(
    fc.constantFrom(0, 4, 8).map((n) => rta(4, Buffer.alloc(n, 3))),
    fc.constantFrom(3, 4, 16).map((n) => rta(5, Buffer.alloc(n, 1))),
    fc.array(fc.nat(300), { maxLength: 4 }).map((ls) => mplsEncap(ls)),
    fc.nat().map((id) => rta(30, u32le(id % 8))),
    fc.uint8Array({ maxLength: 64 }).map((b) => rta(9, Buffer.from(b))),
    fc.array(fc.tuple(fc.nat(8), fc.nat(255)), { maxLength: 4 }).map((g) => {
      const b = Buffer.alloc(8 * g.length);
      g.forEach(([id, w], i) => { b.writeUInt32LE(id, 8 * i); b[8 * i + 4] = w; });
      return rta(2, b);
    }),
  );
  const msg = fc.tuple(
    fc.constantFrom(24, 25, 104, 105, 28, 16),
    fc.constantFrom(2, 10, 0, 28, 7),
    fc.nat(140), fc.nat(255), fc.constantFrom(0, 1, 6, 7, 8, 2, 200),
    fc.array(fc.oneof(attr, known), { maxLength: 6 }),
  ).map(([type, fam, dstLen, proto, rtype, attrs]) => {
    const hdr = Buffer.alloc(type >= 104 ? 8 : 12);
    hdr[0] = fam;
    if (type < 104) { hdr[1] = dstLen; hdr[5] = proto; hdr[7] = rtype; } else hdr[2] = proto;
    // An NHA_ID most of the time so that groups get defined.
    const id = type >= 104 && dstLen % 4 !== 0 ? [rta(1, u32le(1 + (dstLen % 8)))] : [];
    return nlmsg(type, Buffer.concat([hdr, ...id, ...attrs]));
  });
  fc.assert(fc.property(fc.array(fc.array(msg, { minLength: 1, maxLength: 4 }), { maxLength: 5 }), cutsArb, fc.constantFrom('auto', 'kernel', 'legacy'),
    (frames, cuts, weights) => check(Buffer.concat(frames.map((m) => netlinkFrame(...m))), cuts, weights as 'auto')), { numRuns: RUNS });
});

test('fuzz: recorded and hand-built streams with bytes flipped, cut, inserted or dropped', () => {
  const mutation = fc.tuple(fc.constantFrom('set', 'flip', 'insert', 'delete', 'truncate'), fc.nat(), fc.nat(255));
  fc.assert(fc.property(fc.nat(seeds.length - 1), fc.array(mutation, { minLength: 1, maxLength: 8 }), cutsArb, (si, muts, cuts) => {
    let b = Buffer.from(seeds[si]);
    for (const [kind, at, v] of muts) {
      const i = b.length ? at % b.length : 0;
      if (kind === 'set' && b.length) b[i] = v;
      else if (kind === 'flip' && b.length) b[i] ^= 1 << (v & 7);
      else if (kind === 'insert') b = Buffer.concat([b.subarray(0, i), Buffer.from([v]), b.subarray(i)]);
      else if (kind === 'delete') b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
      else if (kind === 'truncate') b = b.subarray(0, i);
    }
    check(b, cuts);
  }), { numRuns: RUNS });
});
