// What every decoder output must satisfy, whatever bytes went in.
import assert from 'node:assert/strict';
import { FpmSessionDecoder } from '../../src/fpm/session-decoder.js';
import type { RouteEvent } from '../../src/route/types.js';

const ROUTE_KEYS = 'kind,op,family,table,prefix,type,protocol,metric,nhg,nexthops';
/** netlink routes carry rtm_protocol as a number too (echoed in route notifications). */
const NETLINK_ROUTE_KEYS = 'kind,op,family,table,prefix,type,protocol,protocolId,metric,nhg,nexthops';

export function assertSaneEvents(events: RouteEvent[]): void {
  for (const e of events) {
    switch (e.kind) {
      case 'route':
        assert.equal(Object.keys(e).join(','), e.protocolId === undefined ? ROUTE_KEYS : NETLINK_ROUTE_KEYS);
        if (e.protocolId !== undefined) assert.ok(Number.isInteger(e.protocolId) && e.protocolId >= 0 && e.protocolId <= 255);
        assert.ok(e.op === 'add' || e.op === 'del');
        assert.ok(e.family === 4 || e.family === 6);
        assert.match(String(e.prefix), e.family === 4 ? /^\d+\.\d+\.\d+\.\d+\/\d+$/ : /^[0-9a-f:.]+\/\d+$/);
        assert.ok(Number.isInteger(e.table) && e.table >= 0);
        for (const n of e.nexthops) assert.ok(Number.isInteger(n.weight) && n.weight >= 1 && Array.isArray(n.labels));
        break;
      case 'lsp':
        assert.equal(Object.keys(e).join(','), 'kind,op,label,eos,protocol,protocolId,nexthops');
        assert.ok(Number.isInteger(e.label) && e.label >= 0 && e.label < 1 << 20);
        assert.ok(e.op === 'del' ? e.nexthops.length === 0 : e.nexthops.length > 0);
        for (const n of e.nexthops) assert.ok(Number.isInteger(n.weight) && n.weight >= 1 && n.labels.length <= 16);
        break;
      case 'nexthop-group':
        assert.ok(Number.isInteger(e.id) && e.id > 0);
        break;
      case 'skipped':
        assert.equal(typeof e.what, 'string');
        break;
      case 'error':
        assert.ok(Number.isInteger(e.offset) && e.offset >= 0);
        assert.ok(!e.reason.startsWith('internal error'), e.reason);
        break;
      default:
        assert.fail(`unknown event ${JSON.stringify(e)}`);
    }
  }
}

/** Feeds the stream in the given chunks and checks everything that came out; returns the events. */
export function feedSane(data: Buffer, cuts: number[], opts: { maxPendingRoutes?: number; weights?: 'auto' | 'kernel' | 'legacy' } = {}): RouteEvent[] {
  const d = new FpmSessionDecoder({ maxPendingRoutes: opts.maxPendingRoutes ?? 64, maxNexthopGroups: 256, weights: opts.weights });
  const all: RouteEvent[] = [];
  let prev = 0;
  for (const c of [...cuts.filter((x) => x > 0 && x < data.length).sort((a, b) => a - b), data.length]) {
    all.push(...d.push(data.subarray(prev, c)));
    prev = c;
    assert.ok(d.pendingRoutes <= (opts.maxPendingRoutes ?? 64));
  }
  all.push(...d.end());
  assertSaneEvents(all);
  if (d.fatal) {
    assert.equal(all.filter((e) => e === d.fatal).length, 1);
    assert.ok(d.offset <= data.length && d.fatal.offset < d.offset);
  } else assert.equal(d.offset, data.length);
  return all;
}
