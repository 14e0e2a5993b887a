// Broken input: a clear error event (or a skip), never an exception; decoding goes on when the
// framing allows, and a broken framing is fatal for the session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fpmFrame, netlinkFrame, nexthopMsg, nlmsg, routeBody, routeMsg, rta, u32le } from './build.js';
import { decodeAll } from './decode-all.js';
import { FpmSessionDecoder } from '../../src/fpm/session-decoder.js';
import type { ErrorEvent, RouteEvent } from '../../src/route/types.js';

const good = netlinkFrame(routeMsg({ prefix: '8.8.8.8/32', gateway: '10.0.2.2' }));
const errors = (events: RouteEvent[]): ErrorEvent[] => events.filter((e): e is ErrorEvent => e.kind === 'error');
const routes = (events: RouteEvent[]): string[] => events.flatMap((e) => (e.kind === 'route' ? [String(e.prefix)] : []));

/** One bad message between two good ones in one frame: one error at its offset, both good routes. */
function badBetween(bad: Buffer, reason: RegExp): void {
  const before = routeMsg({ prefix: '1.1.1.1/32', gateway: '10.0.2.2' });
  const { events } = decodeAll(netlinkFrame(before, bad, routeMsg({ prefix: '2.2.2.2/32', gateway: '10.0.2.2' })));
  const errs = errors(events);
  assert.equal(errs.length, 1, JSON.stringify(events));
  assert.match(errs[0].reason, reason);
  assert.equal(errs[0].offset, 4 + before.length);
  assert.deepEqual(routes(events), ['1.1.1.1/32', '2.2.2.2/32']);
}

test('bad FPM version: fatal, at its offset, nothing after it', () => {
  const d = new FpmSessionDecoder();
  const bad = fpmFrame(1, Buffer.alloc(8), 2);
  const out = d.push(Buffer.concat([good, bad, good]));
  assert.deepEqual(routes(out), ['8.8.8.8/32']);
  assert.deepEqual(d.fatal, { kind: 'error', offset: good.length, reason: 'unsupported FPM version 2', what: 'malformed' });
  assert.equal(out[out.length - 1], d.fatal);
  assert.deepEqual(d.push(good), []);
  assert.equal(d.stats.errors, 1);
});

test('frame length below the header size: fatal, also when the header arrives in pieces', () => {
  for (const len of [0, 1, 3]) {
    const d = new FpmSessionDecoder();
    d.push(Buffer.from([1, 1]));
    d.push(Buffer.from([len >> 8, len & 0xff]));
    assert.match(d.fatal?.reason ?? '', new RegExp(`length ${len} below`));
    assert.equal(d.fatal?.offset, 0);
  }
});

test('unknown FPM message type: error for that frame, the next one decodes', () => {
  for (const type of [0, 3, 255]) {
    const { events, decoder } = decodeAll(Buffer.concat([fpmFrame(type, Buffer.alloc(12)), good]));
    assert.deepEqual(errors(events), [{ kind: 'error', offset: 0, reason: `unknown FPM message type ${type}`, what: 'unknown-frame' }]);
    assert.deepEqual(routes(events), ['8.8.8.8/32']);
    assert.equal(decoder.fatal, null);
  }
});

test('stream ending inside a frame: reported by end()', () => {
  const { events } = decodeAll(Buffer.concat([good, good.subarray(0, 10)]));
  assert.deepEqual(routes(events), ['8.8.8.8/32']);
  assert.deepEqual(errors(events), [{ kind: 'error', offset: good.length, reason: 'stream ends inside a frame (10 bytes of it)', what: 'malformed' }]);
  const { events: e2 } = decodeAll(good.subarray(0, 2));
  assert.equal(errors(e2)[0].offset, 0);
});

test('netlink message length that lies: error, rest of the frame dropped, next frame fine', () => {
  const m = routeMsg({ prefix: '1.1.1.1/32', gateway: '10.0.2.2' });
  for (const len of [m.length + 4, 1 << 30, 15, 0]) {
    const bad = Buffer.from(m);
    bad.writeUInt32LE(len, 0);
    const { events } = decodeAll(Buffer.concat([netlinkFrame(bad, routeMsg({ prefix: '3.3.3.3/32', gateway: '10.0.2.2' })), good]));
    const errs = errors(events);
    if (len === m.length + 4) {
      // It swallows the next message's first 4 bytes: that one is unreadable, the next frame fine.
      assert.ok(errs.length >= 1);
    } else {
      assert.equal(errs.length, 1, `len ${len}: ${JSON.stringify(events)}`);
      assert.match(errs[0].reason, /netlink message length/);
      assert.equal(errs[0].offset, 4);
    }
    assert.equal(routes(events).at(-1), '8.8.8.8/32');
  }
});

test('trailing bytes too short for a netlink header', () => {
  const { events } = decodeAll(Buffer.concat([fpmFrame(1, Buffer.concat([routeMsg({ prefix: '1.1.1.1/32', gateway: '10.0.2.2' }), Buffer.alloc(8)])), good]));
  assert.match(errors(events)[0].reason, /8 trailing bytes in a netlink frame/);
  assert.deepEqual(routes(events), ['1.1.1.1/32', '8.8.8.8/32']);
});

test('attribute overrunning its message', () => {
  const body = routeBody({ prefix: '9.9.9.0/24', gateway: '10.0.2.2' });
  body.writeUInt16LE(40, 12); // RTA_DST claims 40 bytes
  badBetween(nlmsg(24, body), /attribute type 1 \(length 40\) overruns/);
});

test('attribute length below 4', () => {
  badBetween(nlmsg(24, Buffer.concat([routeBody({ prefix: '9.9.9.0/24' }), Buffer.from([2, 0, 5, 0])])), /has length 2 < 4/);
});

test('truncated attributes and trailing bytes', () => {
  badBetween(nlmsg(24, Buffer.concat([routeBody({ prefix: '9.9.9.0/24' }), rta(4, Buffer.from([3, 0]))])), /RTA_OIF payload 2 bytes/);
  badBetween(nlmsg(24, Buffer.concat([routeBody({ prefix: '9.9.9.0/24' }), rta(5, Buffer.from([10, 0, 2]))])), /RTA_GATEWAY payload 3 bytes/);
  badBetween(nlmsg(24, Buffer.concat([routeBody({ prefix: '9.9.9.0/24' }), rta(30, Buffer.alloc(0))])), /RTA_NH_ID payload 0 bytes/);
  badBetween(nlmsg(24, Buffer.concat([routeBody({ prefix: '9.9.9.0/24' }), Buffer.from([8, 0])])), /2 trailing bytes/);
  badBetween(nlmsg(24, Buffer.alloc(8)), /too short for rtmsg/);
});

test('RTA_DST of the wrong size, prefix length too long, length without RTA_DST', () => {
  const b = routeBody({ prefix: '9.9.9.0/24' });
  badBetween(nlmsg(24, Buffer.concat([b.subarray(0, 12), rta(1, Buffer.alloc(16))])), /RTA_DST payload 16 bytes, want 4/);
  const long = Buffer.from(b);
  long[1] = 33;
  badBetween(nlmsg(24, long), /prefix length 33 too long for IPv4/);
  badBetween(nlmsg(24, routeBody({ prefix: '9.9.9.0/24', noDst: true })), /prefix length 24 without RTA_DST/);
});

test('multipath: rtnexthop overrunning RTA_MULTIPATH, too short, inner attribute overrun', () => {
  const mk = (mp: Buffer): Buffer => nlmsg(24, Buffer.concat([routeBody({ prefix: '9.9.9.0/24' }), rta(9, mp)]));
  const nh = Buffer.alloc(8);
  nh.writeUInt16LE(64, 0);
  badBetween(mk(nh), /rtnexthop \(length 64\) overruns/);
  const short = Buffer.alloc(8);
  short.writeUInt16LE(4, 0);
  badBetween(mk(short), /rtnexthop length 4 < 8/);
  badBetween(mk(Buffer.alloc(4)), /4 trailing bytes, too short for rtnexthop/);
  const inner = Buffer.concat([Buffer.alloc(8), Buffer.from([12, 0, 5, 0, 10, 0, 2, 2])]);
  inner.writeUInt16LE(16, 0);
  badBetween(mk(inner), /rtnexthop: attribute type 5 \(length 12\) overruns/);
});

test('MPLS encap: missing type, ragged label stack', () => {
  const r = routeBody({ prefix: '9.9.9.0/24', gateway: '10.0.2.2' });
  badBetween(nlmsg(24, Buffer.concat([r, rta(22, rta(1, Buffer.alloc(4)))])), /RTA_ENCAP without RTA_ENCAP_TYPE/);
  badBetween(nlmsg(24, Buffer.concat([r, rta(21, Buffer.from([1, 0])), rta(22, rta(1, Buffer.alloc(6)))])), /not a whole number of label entries/);
});

test('nexthop messages: no id, id 0, ragged group, self-member, nothing at all', () => {
  const hdr = Buffer.alloc(8);
  badBetween(nlmsg(104, Buffer.concat([hdr, rta(5, u32le(3))])), /RTM_NEWNEXTHOP without NHA_ID/);
  badBetween(nlmsg(104, Buffer.concat([hdr, rta(1, u32le(0)), rta(5, u32le(3))])), /NHA_ID 0/);
  badBetween(nlmsg(104, Buffer.concat([hdr, rta(1, u32le(5)), rta(2, Buffer.alloc(12))])), /NHA_GROUP payload 12 bytes/);
  badBetween(nexthopMsg({ id: 5, group: [{ id: 5 }] }), /lists itself/);
  badBetween(nlmsg(104, Buffer.concat([hdr, rta(1, u32le(5))])), /no gateway, interface, group or blackhole/);
  badBetween(nlmsg(105, Buffer.alloc(4)), /too short for nhmsg/);
});

test('error offsets count from the start of the stream across chunks', () => {
  const bad = netlinkFrame(nlmsg(24, Buffer.alloc(4)));
  const d = new FpmSessionDecoder();
  d.push(good.subarray(0, 5));
  d.push(good.subarray(5));
  const out = d.push(Buffer.concat([good, bad]));
  assert.deepEqual(errors(out).map((e) => e.offset), [2 * good.length + 4]);
  assert.equal(d.offset, 2 * good.length + bad.length);
});

test('the largest frame (65,535 bytes) is accepted', () => {
  const msgs: Buffer[] = [];
  let n = 4;
  for (let i = 0; n + 44 <= 65535 - 100; i++) {
    const m = routeMsg({ prefix: `10.${i >> 8}.${i & 255}.0/24`, gateway: '10.0.2.2' });
    msgs.push(m);
    n += m.length;
  }
  const body = Buffer.concat(msgs);
  // The last message fills the frame exactly, unpadded: 65,535 is not a multiple of 4.
  const filler = Buffer.alloc(65535 - 4 - body.length);
  filler.writeUInt32LE(filler.length, 0);
  filler.writeUInt16LE(28, 4);
  const frame = fpmFrame(1, Buffer.concat([body, filler]));
  assert.equal(frame.length, 65535);
  const { events, decoder } = decodeAll(Buffer.concat([frame, good]), {}, [1000, 65534]);
  assert.equal(decoder.stats.errors, 0);
  assert.equal(routes(events).length, msgs.length + 1);
});
