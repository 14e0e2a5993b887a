// The simulator earns its place: one scripted scenario of the requests fibmgr sends (adds, hitless
// replaces, deletes, path adds/removes, tables, ECMP with weights, drops, IPv6, and errors such as
// a route into a missing table) runs against the simulator and against a real VPP. After every step
// the retvals must be equal and the FIBs (ip_route_v2_dump of the scenario's source, in every table
// ip_table_dump lists) identical — except for the named differences in EXCEPTIONS, each with its
// reason, each checked to still hold (so a stale exception fails too).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRealVpp, type RealVpp } from '../helpers/real-vpp.js';
import { mplsTableOf, openVpp, routesOf } from '../helpers/vpp-fib.js';
import { VppSim } from 'vpp-binapi-ts/sim';
import { isRetvalError } from 'vpp-binapi-ts';
import type { VppClient } from 'vpp-binapi-ts';
import { fib_source_add, ip_route_add_del_v2, ip_table_add_del, ip_table_dump, mpls_route_add_del, mpls_table_add_del, sw_interface_set_mpls_enable, FibPathType, FibPathNhProto } from 'vpp-binapi-ts/gen';

const ANY = 0xffffffff;
const v4 = (nh: string, weight = 1) => ({ sw_if_index: ANY, weight, proto: FibPathNhProto.FIB_API_PATH_NH_PROTO_IP4, nh: { address: { ip4: nh } } });
const v6 = (nh: string, weight = 1) => ({ sw_if_index: ANY, weight, proto: FibPathNhProto.FIB_API_PATH_NH_PROTO_IP6, nh: { address: { ip6: nh } } });
const special = (type: number, ip6 = false) => ({ sw_if_index: ANY, weight: 1, type, proto: ip6 ? FibPathNhProto.FIB_API_PATH_NH_PROTO_IP6 : FibPathNhProto.FIB_API_PATH_NH_PROTO_IP4 });

type Step =
  | { what: string; table: { is_add: boolean; table_id: number; is_ip6?: boolean } }
  | { what: string; route: { is_add: boolean; is_multipath?: boolean; table_id?: number; prefix: string; paths: object[] } };

const SCRIPT: Step[] = [
  { what: 'add, one recursive next hop', route: { is_add: true, prefix: '10.1.0.0/16', paths: [v4('10.0.0.1')] } },
  { what: 'add, ECMP with weights', route: { is_add: true, prefix: '10.2.0.0/16', paths: [v4('10.0.0.1', 1), v4('10.0.0.2', 3)] } },
  { what: 'hitless replace (is_add=1, no delete)', route: { is_add: true, prefix: '10.1.0.0/16', paths: [v4('10.0.0.3'), v4('10.0.0.4')] } },
  { what: 'replace, ECMP to one path', route: { is_add: true, prefix: '10.2.0.0/16', paths: [v4('10.0.0.2', 2)] } },
  { what: 'blackhole', route: { is_add: true, prefix: '192.0.2.0/24', paths: [special(FibPathType.FIB_API_PATH_TYPE_DROP)] } },
  { what: 'unreachable', route: { is_add: true, prefix: '198.51.100.0/24', paths: [special(FibPathType.FIB_API_PATH_TYPE_ICMP_UNREACH)] } },
  { what: 'prohibit', route: { is_add: true, prefix: '203.0.113.0/24', paths: [special(FibPathType.FIB_API_PATH_TYPE_ICMP_PROHIBIT)] } },
  { what: 'blackhole replaced by a next hop', route: { is_add: true, prefix: '192.0.2.0/24', paths: [v4('10.0.0.9')] } },
  { what: 'host route', route: { is_add: true, prefix: '8.8.8.8/32', paths: [v4('10.0.0.1'), v4('10.0.0.2')] } },
  { what: 'IPv6 add, ECMP', route: { is_add: true, prefix: '2001:db8:1::/48', paths: [v6('2001:db8::1'), v6('2001:db8::2', 5)] } },
  { what: 'IPv6 blackhole', route: { is_add: true, prefix: '2001:db8:dead::/48', paths: [special(FibPathType.FIB_API_PATH_TYPE_DROP, true)] } },
  { what: 'IPv6 unreachable', route: { is_add: true, prefix: '2001:db8:beef::/48', paths: [special(FibPathType.FIB_API_PATH_TYPE_ICMP_UNREACH, true)] } },
  { what: 'IPv6 replace', route: { is_add: true, prefix: '2001:db8:1::/48', paths: [v6('2001:db8::3')] } },
  { what: 'route into a missing IPv4 table', route: { is_add: true, table_id: 77, prefix: '10.77.0.0/16', paths: [v4('10.0.0.1')] } },
  { what: 'route into a missing IPv6 table', route: { is_add: true, table_id: 78, prefix: '2001:db8:78::/48', paths: [v6('2001:db8::1')] } },
  { what: 'delete from a missing table', route: { is_add: false, table_id: 77, prefix: '10.77.0.0/16', paths: [] } },
  { what: 'create IPv4 table 77', table: { is_add: true, table_id: 77 } },
  { what: 'create IPv6 table 78', table: { is_add: true, table_id: 78, is_ip6: true } },
  { what: 'create IPv4 table 77 again', table: { is_add: true, table_id: 77 } },
  { what: 'route into table 77', route: { is_add: true, table_id: 77, prefix: '10.77.0.0/16', paths: [v4('10.0.0.1')] } },
  { what: 'same prefix in table 0 and 77', route: { is_add: true, table_id: 77, prefix: '10.1.0.0/16', paths: [special(FibPathType.FIB_API_PATH_TYPE_DROP)] } },
  { what: 'route into table 78', route: { is_add: true, table_id: 78, prefix: '2001:db8:78::/48', paths: [v6('2001:db8::1')] } },
  { what: 'add a path (is_multipath=1)', route: { is_add: true, is_multipath: true, prefix: '10.2.0.0/16', paths: [v4('10.0.0.5')] } },
  { what: 'remove a path (is_multipath=1)', route: { is_add: false, is_multipath: true, prefix: '10.2.0.0/16', paths: [v4('10.0.0.2', 2)] } },
  { what: 'delete', route: { is_add: false, prefix: '8.8.8.8/32', paths: [] } },
  { what: 'delete again (absent)', route: { is_add: false, prefix: '8.8.8.8/32', paths: [] } },
  { what: 'delete a prefix never added', route: { is_add: false, prefix: '172.16.0.0/12', paths: [] } },
  { what: 'IPv6 delete', route: { is_add: false, prefix: '2001:db8:dead::/48', paths: [] } },
  { what: 'delete in table 77', route: { is_add: false, table_id: 77, prefix: '10.77.0.0/16', paths: [] } },
  { what: 'delete in table 78', route: { is_add: false, table_id: 78, prefix: '2001:db8:78::/48', paths: [] } },
  { what: 'IPv6 table 78 removed, now unused', table: { is_add: false, table_id: 78, is_ip6: true } },
  { what: 'route into the removed table 78', route: { is_add: true, table_id: 78, prefix: '2001:db8:78::/48', paths: [v6('2001:db8::1')] } },
  { what: 'a path via an interface VPP does not have', route: { is_add: true, prefix: '10.99.0.0/16', paths: [{ ...v4('10.0.0.1'), sw_if_index: 99 }] } },
  { what: 'add with no paths', route: { is_add: true, prefix: '10.98.0.0/16', paths: [] } },
  { what: 'IPv4 table 77 removed while it holds a route', table: { is_add: false, table_id: 77 } },
  { what: 'route into table 77 after its removal', route: { is_add: true, table_id: 77, prefix: '10.77.1.0/24', paths: [v4('10.0.0.1')] } },
  { what: 'table 0 removed', table: { is_add: false, table_id: 0 } },
];

/**
 * Where the simulator may answer otherwise, by step: why, and what each side says (checked, so an
 * exception that stopped holding fails the test and is removed). Empty when they agree everywhere.
 */
const EXCEPTIONS: Record<string, { why: string; sim: Outcome; real: Outcome }> = {};

interface Outcome { retval: number; fib: Record<string, string[]>; tables: string[] }

async function outcomeOf(c: VppClient, src: number, step: Step): Promise<Outcome> {
  let retval = 0;
  try {
    if ('table' in step) {
      await c.request(ip_table_add_del, { is_add: step.table.is_add, table: { table_id: step.table.table_id, is_ip6: step.table.is_ip6 ?? false, name: '' } });
    } else {
      const r = step.route;
      await c.request(ip_route_add_del_v2, { is_add: r.is_add, is_multipath: r.is_multipath ?? false, route: { table_id: r.table_id ?? 0, prefix: r.prefix, src, paths: r.paths } });
    }
  } catch (e) {
    if (!isRetvalError(e)) throw e;
    retval = e.retval;
  }
  const fib = Object.fromEntries([...(await routesOf(c, src))].sort(([a], [b]) => a.localeCompare(b)));
  const tables = (await c.dump<any, any>(ip_table_dump, {})).map((t) => `${t.table.is_ip6 ? 'ip6' : 'ip4'}:${t.table.table_id}`).sort();
  return { retval, fib, tables };
}

/** A simulator beside the real VPP, and a client of each (all closed after the test). */
async function clientsOfBoth(t: TestContext, vpp: RealVpp, name: string): Promise<{ sim: VppSim; real: VppClient; simc: VppClient }> {
  const simSock = join(tmpdir(), `fibmgr-${name}-${process.pid}.sock`);
  const sim = await new VppSim({ socketPath: simSock }).start();
  t.after(() => sim.stop());
  const real = await openVpp(vpp.apiSock);
  t.after(() => real.close());
  const simc = await openVpp(simSock);
  t.after(() => simc.close());
  return { sim, real, simc };
}

test('sim vs real VPP: one scripted scenario, the same retvals and the same FIB after every step', { timeout: 180_000 }, async (t) => {
  const vpp = await startRealVpp(t);
  if (!vpp) return;
  const { sim, real, simc } = await clientsOfBoth(t, vpp, 'simreal');

  // the source ids differ (a real VPP has more built-in sources): each side's own id is used
  const realSrc = (await real.request<any, any>(fib_source_add, { src: { priority: 100, name: 'simreal' } })).id as number;
  const simSrc = (await simc.request<any, any>(fib_source_add, { src: { priority: 100, name: 'simreal' } })).id as number;

  const differences: string[] = [];
  const retvals = new Set<number>();
  for (const step of SCRIPT) {
    const r = await outcomeOf(real, realSrc, step);
    const s = await outcomeOf(simc, simSrc, step);
    retvals.add(r.retval);
    const ex = EXCEPTIONS[step.what];
    if (ex) {
      assert.deepEqual({ sim: s, real: r }, { sim: ex.sim, real: ex.real }, `exception "${step.what}" (${ex.why}) no longer holds as written`);
      continue;
    }
    try {
      assert.deepEqual(s, r);
    } catch {
      differences.push(`${step.what}:\n  real ${JSON.stringify(r)}\n  sim  ${JSON.stringify(s)}`);
    }
  }
  assert.deepEqual(differences, [], `the simulator differs from the real VPP ${vpp.version}:\n${differences.join('\n')}`);
  // the scenario reached VPP's errors, not only its successes: no such FIB, no paths, no such interface
  assert.deepEqual([...retvals].sort((a, b) => a - b), [-54, -52, -3, 0]);
  assert.equal(sim.errors.length, 0, `the simulator threw: ${sim.errors.join('; ')}`);
});

// The MPLS half (issue 24): label entries of MPLS table 0 as fibmgr writes them (EOS and non-EOS,
// swaps, implicit-null pops, IPv6 next hops, replaces, deletes) and VPP's errors, on both sides;
// after every step the retvals and the whole table (VPP's special entries of labels 0-2 too) agree.
const lbl = (...labels: number[]) => ({ n_labels: labels.length, label_stack: labels.map((label) => ({ is_uniform: 0, label, ttl: 64, exp: 0 })) });
type MplsStep =
  | { what: string; table: boolean }
  | { what: string; enable: number }
  | { what: string; lsp: { is_add: boolean; label: number; eos: boolean; eos_proto?: number; paths: object[] } };

const MPLS_SCRIPT: MplsStep[] = [
  { what: 'an LSP before MPLS table 0 exists', lsp: { is_add: true, label: 100, eos: true, paths: [{ ...v4('10.0.0.1'), ...lbl(200) }] } },
  { what: 'create MPLS table 0', table: true },
  { what: 'create MPLS table 0 again', table: true },
  { what: 'swap, EOS', lsp: { is_add: true, label: 100, eos: true, paths: [{ ...v4('10.0.0.1'), ...lbl(200) }] } },
  { what: 'swap, non-EOS', lsp: { is_add: true, label: 100, eos: false, paths: [{ ...v4('10.0.0.1'), ...lbl(200) }] } },
  { what: 'replace (is_multipath 0)', lsp: { is_add: true, label: 100, eos: true, paths: [{ ...v4('10.0.0.2'), ...lbl(201, 202) }] } },
  { what: 'implicit-null: pop', lsp: { is_add: true, label: 101, eos: true, paths: [v4('10.0.0.3')] } },
  { what: 'two next hops', lsp: { is_add: true, label: 102, eos: false, paths: [{ ...v4('10.0.0.4'), ...lbl(300) }, { ...v4('10.0.0.5'), ...lbl(301) }] } },
  { what: 'IPv6 next hop, explicit-null, EOS proto IPv6', lsp: { is_add: true, label: 103, eos: true, eos_proto: 1, paths: [{ ...v6('2001:db8::5'), ...lbl(2) }] } },
  { what: 'a path via an interface VPP does not have', lsp: { is_add: true, label: 104, eos: true, paths: [{ ...v4('10.0.0.1'), sw_if_index: 99 }] } },
  { what: 'add with no paths', lsp: { is_add: true, label: 105, eos: true, paths: [] } },
  { what: 'delete', lsp: { is_add: false, label: 101, eos: true, paths: [] } },
  { what: 'delete again (absent)', lsp: { is_add: false, label: 101, eos: true, paths: [] } },
  { what: 'MPLS on an interface VPP does not have', enable: 99 },
];

interface MplsOutcome { retval: number; table: Record<string, string> }

async function mplsOutcomeOf(c: VppClient, step: MplsStep): Promise<MplsOutcome> {
  let retval = 0;
  try {
    if ('table' in step) await c.request(mpls_table_add_del, { mt_is_add: true, mt_table: { mt_table_id: 0, mt_name: '' } });
    else if ('enable' in step) await c.request(sw_interface_set_mpls_enable, { sw_if_index: step.enable, enable: true });
    else {
      const l = step.lsp;
      await c.request(mpls_route_add_del, { mr_is_add: l.is_add, mr_is_multipath: false, mr_route: { mr_table_id: 0, mr_label: l.label, mr_eos: l.eos ? 1 : 0, mr_eos_proto: l.eos_proto ?? 0, mr_is_multicast: false, mr_n_paths: l.paths.length, mr_paths: l.paths } });
    }
  } catch (e) {
    if (!isRetvalError(e)) throw e;
    retval = e.retval;
  }
  return { retval, table: await mplsTableOf(c) };
}

test('sim vs real VPP: the MPLS script, the same retvals and the same MPLS table after every step', { timeout: 120_000 }, async (t) => {
  const vpp = await startRealVpp(t);
  if (!vpp) return;
  const { sim, real, simc } = await clientsOfBoth(t, vpp, 'simreal-mpls');
  const differences: string[] = [];
  const retvals = new Set<number>();
  for (const step of MPLS_SCRIPT) {
    const r = await mplsOutcomeOf(real, step);
    const s = await mplsOutcomeOf(simc, step);
    retvals.add(r.retval);
    try {
      assert.deepEqual(s, r);
    } catch {
      differences.push(`${step.what}:\n  real ${JSON.stringify(r)}\n  sim  ${JSON.stringify(s)}`);
    }
  }
  assert.deepEqual(differences, [], `the simulator differs from the real VPP ${vpp.version}:\n${differences.join('\n')}`);
  assert.deepEqual([...retvals].sort((a, b) => a - b), [-54, -52, -3, -2, 0]);
  assert.equal(sim.errors.length, 0, `the simulator threw: ${sim.errors.join('; ')}`);
});
