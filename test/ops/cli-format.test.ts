// What `fibmgr show route` and `fibmgr status` print, from the documents the daemon answers with:
// pure functions, one table each — a row names the case, changes a document and says the lines
// it must print (and what it must not).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatShownRoute } from '../../src/cli/show-route.js';
import { NOT_INSTALLED, type NotInstalledReason } from '../../src/sync/state/not-installed.js';
import { formatState } from '../../src/cli/status.js';
import { buildState, type StateDoc } from '../../src/ops/state.js';
import { newEventCounts } from '../../src/ops/event-counts.js';
import { VppLink } from '../../src/ops/vpp-link.js';
import type { AuditResult } from '../../src/sync/reconciler.js';
import { FakePort } from '../helpers/fake-port.js';
import { reconciler } from '../helpers/builders.js';

// --- fibmgr show route ----------------------------------------------------------------------------

type Shown = Parameters<typeof formatShownRoute>[0];
const P = 'normal 10.0.2.2 sw* w1';
const AT = '2026-01-02T03:04:05.000Z';

/** A route zebra sent and VPP holds, as /route answers for it. */
const shown = (o: Partial<Shown> = {}): Shown => ({
  family: 4, table: 0, prefix: '10.1.0.0/16', zebraTable: 254,
  zebra: { protocol: 'static', protocolId: 196, table: 254, type: 'unicast', nhg: null },
  wants: P, installed: P, vpp: { source: 23, ours: true, paths: P },
  state: 'in-sync', attempts: 0, lastError: null, skipped: null, notifyPending: false, ...o,
});
const skip = (reason: NotInstalledReason | 'some-newer-reason', nexthops: { gateway: string | null; ifindex: number | null; weight: number }[]) => ({
  reason: reason as NotInstalledReason, detail: null as string | null, at: AT, protocol: 'kernel', type: 'unicast' as const, zebraTable: 254, nexthops: nexthops.map((h) => ({ ...h, labels: [] })),
});

/** `whole`: the lines are the whole text, in order (else each is somewhere in it). */
const SHOWN: { name: string; route: Shown; text: string[]; whole?: true }[] = [
  {
    name: 'installed: what zebra sent, what fibmgr wants and believes, what VPP holds (fibmgr\'s), in sync',
    route: shown(),
    text: [
      'route 10.1.0.0/16: zebra table 254 → VPP table 0',
      'zebra:   static (protocol 196), unicast',
      `fibmgr:  wants ${P}; believes VPP holds ${P}`,
      `vpp:     ${P} (FIB source 23, fibmgr's)`,
      'state:   in sync: VPP holds what zebra wants',
    ],
    whole: true,
  },
  {
    name: 'an IPv6 route of a VRF, through a nexthop group',
    route: shown({ family: 6, prefix: '2001:db8::/32', zebraTable: 100, table: 7, zebra: { protocol: 'bgp', protocolId: 186, table: 100, type: 'unicast', nhg: 12 } }),
    text: ['route 2001:db8::/32: zebra table 100 → VPP table 7', 'zebra:   bgp (protocol 186), unicast, nexthop group 12'],
  },
  {
    name: 'queued, VPP has no entry yet, zebra not told yet',
    route: shown({ state: 'queued', installed: null, vpp: null, notifyPending: true }),
    text: [`fibmgr:  wants ${P}; believes VPP holds nothing`, 'vpp:     no entry', 'state:   a write is queued; zebra not told yet'],
  },
  { name: 'in flight', route: shown({ state: 'in-flight' }), text: ['state:   a write is in flight'] },
  {
    name: 'retrying: the attempt and VPP\'s last answer',
    route: shown({ state: 'retrying', attempts: 3, lastError: 'VPP returned -54', installed: null }),
    text: ['state:   VPP refused it: retrying (attempt 3): VPP returned -54'],
  },
  { name: 'waiting for its VPP table', route: shown({ state: 'waiting-for-table', table: 100 }), text: ['state:   waiting for its VPP table'] },
  {
    name: 'not installed, a connected subnet: what zebra sent is the skip record, with its next hops',
    route: shown({ zebra: null, wants: null, installed: null, vpp: null, state: 'not-installed', skipped: skip('connected', [{ gateway: null, ifindex: 2, weight: 1 }]) }),
    text: [
      'route 10.1.0.0/16: zebra table 254 → VPP table 0',
      'zebra:   kernel, unicast, at 2026-01-02T03:04:05.000Z',
      '         next hops: - ifindex 2',
      'fibmgr:  wants nothing; believes VPP holds nothing',
      'vpp:     no entry',
      `state:   not installed: connected (${NOT_INSTALLED.connected.explain})`,
    ],
    whole: true,
  },
  {
    name: 'not installed while zebra\'s route is kept (unmappable): zebra\'s line, then the next hops it named',
    route: shown({ wants: null, installed: null, state: 'not-installed', skipped: skip('unmappable-nexthop', [{ gateway: '10.0.2.2', ifindex: null, weight: 3 }, { gateway: null, ifindex: 9, weight: 1 }]) }),
    text: ['zebra:   static (protocol 196), unicast', '         next hops: 10.0.2.2 weight 3, - ifindex 9', `state:   not installed: unmappable-nexthop (${NOT_INSTALLED['unmappable-nexthop'].explain})`],
  },
  {
    name: 'a skip record without next hops says none',
    route: shown({ zebra: null, state: 'not-installed', skipped: skip('no-nexthops', []) }),
    text: ['         next hops: none', `state:   not installed: no-nexthops (${NOT_INSTALLED['no-nexthops'].explain})`],
  },
  {
    name: 'not installed, a message fibmgr could not use: its kind and why after the reason',
    route: shown({ zebra: null, state: 'not-installed', skipped: { ...skip('unusable-message', []), detail: 'unsupported-encap: encapsulation 100' } }),
    text: [`state:   not installed: unusable-message: unsupported-encap: encapsulation 100 (${NOT_INSTALLED['unusable-message'].explain})`],
  },
  {
    name: 'a reason this fibmgr does not know (another version\'s daemon) is shown by its name alone',
    route: shown({ zebra: null, state: 'not-installed', skipped: skip('some-newer-reason', []) }),
    text: ['state:   not installed: some-newer-reason'],
  },
  { name: 'not installed without a skip record: no reason appended', route: shown({ state: 'not-installed' }), text: ['state:   not installed'] },
  {
    name: 'unknown to fibmgr: zebra sent nothing',
    route: shown({ zebra: null, wants: null, installed: null, vpp: null, state: 'unknown' }),
    text: ['zebra:   nothing (never sent, or deleted)', 'state:   fibmgr has no such route'],
  },
  { name: 'VPP holds it under another source', route: shown({ vpp: { source: 1, ours: false, paths: P } }), text: [`vpp:     ${P} (FIB source 1, not fibmgr's)`] },
  { name: 'VPP could not be asked: the reason, as the daemon gave it', route: shown({ vpp: 'not asked: VPP is not connected' }), text: ['vpp:     not asked: VPP is not connected'] },
  { name: 'a state without wording of its own is shown by its name', route: shown({ state: 'unknown-in-vpp' }), text: ['state:   unknown-in-vpp'] },
];

test('fibmgr show route: formatShownRoute, case by case', async (t) => {
  for (const row of SHOWN) {
    await t.test(row.name, () => {
      const lines = formatShownRoute(row.route).split('\n');
      assert.equal(lines.at(-1), '', 'ends with a newline');
      for (const want of row.text) assert.ok(lines.includes(want), `no line ${JSON.stringify(want)} in:\n${lines.join('\n')}`);
      if (row.whole) assert.deepEqual(lines.slice(0, -1), row.text, 'the whole text, in order');
    });
  }
});

// --- fibmgr status --------------------------------------------------------------------------------

/** The /state document of a fresh daemon (dry run, no session), from the real builder. */
async function baseDoc(): Promise<StateDoc> {
  const r = reconciler(new FakePort(), { resyncGraceMs: 10, deleteHoldMs: 0 });
  await r.start();
  const doc = buildState({
    startedAt: new Date(0),
    fpm: { stats: { state: 'none', session: null, sessionsTotal: 0, sessionsFailed: 0, bytesTotal: 0, framesTotal: 0, routesTotal: 0, refused: {}, admitting: 0 } },
    events: newEventCounts(),
    sync: { state: () => r.state(), sweep: () => null, perTable: () => r.perTable(), audit: () => r.audit({ repair: false }), showRoute: async () => null, showLabel: async () => null },
    vpp: new VppLink(null, null),
  });
  await r.stop();
  return { ...doc, pid: 4242, uptimeSeconds: 59 };
}

const audit = (o: Partial<AuditResult>): AuditResult => ({ at: AT, ok: true, checked: 1234, unjudged: 0, missing: 0, extra: 0, different: 0, repaired: 0, durationMs: 2500, drift: [], ...o } as AuditResult);
const vppUp = (d: StateDoc) => { d.vpp = { ...d.vpp, mode: 'vpp', socket: '/run/vpp/api.sock', connected: true, ownership: 'FIB source fibmgr (23)', reconnects: 2 }; };

const STATUS: { name: string; change: (d: StateDoc) => void; lines: string[]; absent?: RegExp[] }[] = [
  {
    name: 'a fresh dry run: ready, no session, no optional lines',
    change: () => {},
    lines: ['fibmgr pid 4242, up 59s: ready', 'zebra:   no session (waiting for zebra to connect); 0 sessions accepted, 0 closed for bad input, 0 decode errors', 'vpp:     dry run (no VPP)', 'routes:  0 desired, 0 installed; backlog 0 (0 in flight), 0 retrying'],
    absent: [/^table:/m, /^stale:/m, /^refused:/m, /^zebra told:/m, /^audit:/m, /^resync:/m, /^tables:/m, /^last errors:/m],
  },
  { name: 'not ready: the reason', change: (d) => { d.readiness = { ready: false, reason: 'VPP is not connected' }; }, lines: ['fibmgr pid 4242, up 59s: NOT READY (VPP is not connected)'] },
  { name: 'uptime in minutes and seconds', change: (d) => { d.uptimeSeconds = 61; }, lines: ['fibmgr pid 4242, up 1m1s: ready'] },
  { name: 'uptime in hours and minutes', change: (d) => { d.uptimeSeconds = 3 * 3600 + 5 * 60 + 7; }, lines: ['fibmgr pid 4242, up 3h5m: ready'] },
  { name: 'uptime in days and hours', change: (d) => { d.uptimeSeconds = 2 * 86400 + 3600 + 1; }, lines: ['fibmgr pid 4242, up 2d1h: ready'] },
  {
    name: 'a session up, counts with thousands separators',
    change: (d) => { d.fpm = { ...d.fpm, state: 'up', session: { id: 3, peer: '127.0.0.1:40000', since: AT, frames: 9, routes: 1_234_567, nexthopGroups: 0, errors: 0 }, sessionsAccepted: 3, sessionsFailed: 1, events: { ...d.fpm.events, errors: 2 } }; },
    lines: ['zebra:   session 3 from 127.0.0.1:40000 up since 2026-01-02T03:04:05.000Z, 1,234,567 routes received; 3 sessions accepted, 1 closed for bad input, 2 decode errors'],
  },
  {
    name: 'a session paused by backpressure',
    change: (d) => { d.fpm = { ...d.fpm, state: 'paused', session: { id: 1, peer: '127.0.0.1:40000', since: AT, frames: 1, routes: 5, nexthopGroups: 0, errors: 0 } }; },
    lines: ['zebra:   session 1 from 127.0.0.1:40000 up (reading paused: backlog full) since 2026-01-02T03:04:05.000Z, 5 routes received; 0 sessions accepted, 0 closed for bad input, 0 decode errors'],
  },
  { name: 'VPP connected: socket, ownership, reconnects', change: vppUp, lines: ['vpp:     connected at /run/vpp/api.sock; FIB source fibmgr (23); 2 reconnects'] },
  {
    name: 'VPP lost: when and why; ownership not known yet',
    change: (d) => { vppUp(d); d.vpp = { ...d.vpp, connected: false, ownership: null, lastDisconnect: { at: AT, reason: 'socket closed' } }; },
    lines: ['vpp:     NOT CONNECTED at /run/vpp/api.sock; ownership not known yet; 2 reconnects; last lost 2026-01-02T03:04:05.000Z: socket closed'],
  },
  {
    name: 'a resync in progress, work pending',
    change: (d) => { d.sync = { ...d.sync, desired: 2000, installed: 1500, backlog: 500, inflight: 64, retrying: 3, resyncing: true }; },
    lines: ['routes:  2,000 desired, 1,500 installed; backlog 500 (64 in flight), 3 retrying; resync in progress'],
  },
  {
    name: 'a table VPP will not create',
    change: (d) => { d.sync = { ...d.sync, failingTables: [{ family: 4, table: 100, error: 'VPP returned -1', routes: 50, tries: 4, since: AT }] as StateDoc['sync']['failingTables'] }; },
    lines: ['table:   VPP would not create table 100 (IPv4): VPP returned -1; 50 routes wait (zebra told they failed), 4 attempts since 2026-01-02T03:04:05.000Z, retried'],
  },
  {
    name: 'an older daemon\'s document without failingTables',
    change: (d) => { delete (d.sync as Partial<StateDoc['sync']>).failingTables; },
    lines: ['routes:  0 desired, 0 installed; backlog 0 (0 in flight), 0 retrying'],
    absent: [/^table:/m],
  },
  {
    name: 'a stale wait: what is held, until when, which groups',
    change: (d) => { d.sync = { ...d.sync, stale: { phase: 'stale-wait', held: 1200, since: AT, until: '2026-01-02T03:06:05.000Z', missing: ['bgp ipv4 table 0', 'static ipv6 table 0'], waits: [] } }; },
    lines: ['stale:   1,200 routes held (forwarding) since 2026-01-02T03:04:05.000Z, until 2026-01-02T03:06:05.000Z at the latest; waiting: bgp ipv4 table 0, static ipv6 table 0 (`fibmgr sweep` removes them now)'],
  },
  {
    name: 'a replay under way is no stale wait',
    change: (d) => { d.sync = { ...d.sync, stale: { phase: 'replaying', held: 0, since: AT, until: AT, missing: [], waits: [] } }; },
    lines: [],
    absent: [/^stale:/m],
  },
  { name: 'connections refused, by kind', change: (d) => { d.fpm = { ...d.fpm, refused: { owner: 2, address: 1 } }; }, lines: ['refused: 2 owner, 1 address (connections not zebra\'s)'] },
  {
    name: 'route notifications told to zebra',
    change: (d) => { d.sync = { ...d.sync, counters: { ...d.sync.counters, notified: { offload: 1000, failed: 3 } } }; },
    lines: ['zebra told: 1,000 routes offloaded, 3 offload failed (route notifications)'],
  },
  {
    name: 'the last audit, clean',
    change: (d) => { d.sync = { ...d.sync, lastAudit: audit({}) }; },
    lines: ['audit:   last at 2026-01-02T03:04:05.000Z: 1,234 routes checked in 2.5 s; 0 missing, 0 extra, 0 different'],
  },
  {
    name: 'the last audit, repairing',
    change: (d) => { d.sync = { ...d.sync, lastAudit: audit({ missing: 1, extra: 2, different: 3, repaired: 6 }) }; },
    lines: ['audit:   last at 2026-01-02T03:04:05.000Z: 1,234 routes checked in 2.5 s; 1 missing, 2 extra, 3 different, 6 repaired'],
  },
  {
    name: 'the last audit could not read VPP',
    change: (d) => { d.sync = { ...d.sync, lastAudit: audit({ ok: false, error: 'VPP is not connected' }) }; },
    lines: ['audit:   last at 2026-01-02T03:04:05.000Z could not read VPP: VPP is not connected'],
  },
  {
    name: 'the last resync',
    change: (d) => { d.sync = { ...d.sync, lastResync: { session: 2, durationMs: 3210, refreshed: 10_000, swept: 5, kept: 1, writes: 7, staleWaitMs: 0 } }; },
    lines: ['resync:  last with session 2: 10,000 refreshed, 5 swept, 1 kept, 7 writes, 3.2 s'],
  },
  {
    name: 'per-table counts, aligned',
    change: (d) => { d.tables = [{ family: 4, table: 0, desired: 1_000_000, installed: 999_999 }, { family: 6, table: 100, desired: 5, installed: 5 }]; },
    lines: ['tables:', '  family      table     desired   installed', '  ipv4            0   1,000,000     999,999', '  ipv6          100           5           5'],
  },
  {
    name: 'the last errors: the ten latest',
    change: (d) => { d.lastErrors = Array.from({ length: 12 }, (_, i) => ({ at: AT, route: `0 10.${i}.0.0/16`, error: `VPP returned -${i}` })); },
    lines: ['last errors:', '  2026-01-02T03:04:05.000Z  0 10.2.0.0/16: VPP returned -2', '  2026-01-02T03:04:05.000Z  0 10.11.0.0/16: VPP returned -11'],
    absent: [/10\.1\.0\.0\/16/, /10\.0\.0\.0\/16/],
  },
];

test('fibmgr status: formatState, case by case', async (t) => {
  const base = await baseDoc();
  for (const row of STATUS) {
    await t.test(row.name, () => {
      const doc = structuredClone(base);
      row.change(doc);
      const text = formatState(doc);
      const lines = text.split('\n');
      assert.equal(lines.at(-1), '', 'ends with a newline');
      for (const want of row.lines) assert.ok(lines.includes(want), `no line ${JSON.stringify(want)} in:\n${text}`);
      for (const not of row.absent ?? []) assert.doesNotMatch(text, not);
    });
  }
});
