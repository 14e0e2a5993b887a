// A table VPP will not create costs its own routes only (issue 26, item 12): they wait, counted
// and reported (state, show route, zebra told they failed), the creation is retried with backoff,
// and they are no part of the backlog that pauses zebra's input for every table. Against the
// simulator, told to refuse ip_table_add_del for one table, on the fake clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePrefix, prefixText } from '../../src/route/prefix.js';
import type { RouteReporter } from '../../src/route/sink.js';
import type { Prefix, RouteEventRoute, RouteType } from '../../src/route/types.js';
import { add, del } from '../helpers/builders.js';
import { messages } from 'vpp-binapi-ts/gen';
import { RETVAL } from 'vpp-binapi-ts';
import { simStack, until } from '../helpers/sim-stack.js';

function route(prefix: string, table: number): RouteEventRoute {
  return add(prefix, '10.0.2.2', { table, protocolId: 196 });
}

class Reporter implements RouteReporter {
  /** "table prefix" → the last word zebra got */
  readonly last = new Map<string, 'offload' | 'failed'>();
  report(prefix: Prefix, table: number, _p: number, _t: RouteType, installed: boolean): boolean {
    this.last.set(`${table} ${prefixText(prefix)}`, installed ? 'offload' : 'failed');
    return true;
  }
  onRoom(): void {}
  count(table: number, word: 'offload' | 'failed'): number {
    return [...this.last].filter(([k, v]) => k.startsWith(`${table} `) && v === word).length;
  }
}

test('a table VPP will not create: its routes wait, counted and reported failed; the other tables go on, zebra\'s input is not paused; it is made at a retry', async (t) => {
  const s = await simStack({ maxBacklog: 20, retryMinMs: 1000, retryMaxMs: 8000 });
  t.after(() => s.close());
  let refusing = true;
  s.sim.reject = (name, payload) => {
    if (name !== 'ip_table_add_del' || !refusing) return undefined;
    const req = messages.ip_table_add_del.decode(payload) as { table: { table_id: number } };
    return req.table.table_id === 100 ? RETVAL.INVALID_VALUE : undefined;
  };
  const { r } = s;
  r.sessionStart(1);
  const rep = new Reporter();
  r.attachReporter(1, rep);
  const events: RouteEventRoute[] = [];
  for (let i = 0; i < 50; i++) events.push(route(`10.100.${i}.0/24`, 100));
  for (let i = 0; i < 30; i++) events.push(route(`10.1.${i}.0/24`, 254));
  for (let i = 0; i < 10; i++) events.push(route(`10.200.${i}.0/24`, 200));
  r.apply(1, events);
  s.clock.advance(3000);

  // the other tables are written, and zebra's input is not held back by the 50 waiting routes
  assert.ok(await until(() => r.state().backlog === 0 && !r.congested && s.fib().size === 40), `backlog ${r.state().backlog}, congested ${r.congested}, in VPP ${s.fib().size}`);
  assert.ok(await until(() => rep.count(100, 'failed') === 50 && rep.count(254, 'offload') === 30 && rep.count(200, 'offload') === 10), 'zebra is told the routes of the refused table failed, the others are offloaded');
  const st = r.state();
  assert.equal(st.waitingForTables, 50);
  assert.equal(st.failingTables.length, 1);
  assert.deepEqual({ ...st.failingTables[0], since: undefined }, { family: 4, table: 100, error: 'ip_table_add_del: VPP returned -7 (INVALID_VALUE)', tries: 1, since: undefined, routes: 50 });
  assert.equal(st.counters.tableErrors, 1);
  const ex = r.explain(100, parsePrefix('10.100.7.0/24'));
  assert.equal(ex.state, 'waiting-for-table');
  assert.match(ex.lastError ?? '', /VPP table 100 \(IPv4\) could not be created: .*INVALID_VALUE/);

  // retried with backoff: 1 s, then 2 s
  s.clock.advance(1000);
  assert.ok(await until(() => r.state().counters.tableErrors === 2));
  assert.equal(s.sim.count('ip_table_add_del') >= 3, true);
  refusing = false;
  s.clock.advance(1999);
  assert.ok(await until(() => s.sim.count('ip_table_add_del') >= 3));
  const asked = s.sim.count('ip_table_add_del');
  assert.equal(r.state().waitingForTables, 50, 'not before the backoff has passed');
  s.clock.advance(1);
  assert.ok(await until(() => s.fib().size === 90 && r.state().waitingForTables === 0 && r.state().backlog === 0), `in VPP ${s.fib().size}`);
  assert.equal(s.sim.count('ip_table_add_del'), asked + 1);
  assert.deepEqual(r.state().failingTables, []);
  assert.ok(await until(() => rep.count(100, 'offload') === 50), 'zebra is told they are installed now');
  assert.equal(r.explain(100, parsePrefix('10.100.7.0/24')).state, 'in-sync');
});

test('a route zebra deletes while its table is refused stops waiting for it', async (t) => {
  const s = await simStack({ maxBacklog: 20, retryMinMs: 1000 });
  t.after(() => s.close());
  s.sim.reject = (name) => (name === 'ip_table_add_del' ? RETVAL.INVALID_VALUE : undefined);
  const { r } = s;
  r.sessionStart(1);
  r.apply(1, [route('10.100.1.0/24', 100), route('10.100.2.0/24', 100)]);
  s.clock.advance(3000);
  assert.ok(await until(() => r.state().counters.tableErrors === 1 && r.state().waitingForTables === 2));
  r.apply(1, [del('10.100.1.0/24', { table: 100, protocolId: 196, type: 'unicast' })]);
  assert.ok(await until(() => r.state().waitingForTables === 1));
  assert.equal(r.state().failingTables[0]?.routes, 1);
  assert.equal(r.explain(100, parsePrefix('10.100.1.0/24')).state, 'unknown', 'forgotten');
});
