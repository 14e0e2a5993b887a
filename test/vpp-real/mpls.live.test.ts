// MPLS end to end (issue 24): a real zebra with MPLS made available (zebra-lab `mpls`: its own
// /proc/sys/net/mpls, the kernel's refusals read as ACKs) → fibmgr → a real VPP. `mpls lsp` and
// labelled statics added, changed and deleted through vtysh, an FPM reconnect, a zebra restart:
// at every step VPP's MPLS table (mpls_route_dump: the EOS and non-EOS entry of each label) equals
// zebra's `show mpls table`, and the labelled routes carry zebra's stacks (ip_route_v2_dump against
// `show ip route json`). FRR 8.4 and 10.3 go through every step; 10.7 through the changes only.
// With 8.4 (on a VPP fibmgr has not written before) the simulator runs the same script too: what
// zebra sent, as fibmgr recorded it (--record-fpm), is replayed into fibmgr's reconciler on the
// simulator, which must then hold the real VPP's MPLS table and fibmgr's routes at every step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startRealVpp, type RealVpp } from '../helpers/real-vpp.js';
import { join } from 'node:path';
import { fibOf, mplsTableOf, openVpp } from '../helpers/vpp-fib.js';
import { simStack, type SimStack } from '../helpers/sim-stack.js';
import { SimReplay, recordedSessions } from '../helpers/sim-replay.js';
import { startLab, labUnavailable, skipLive, FRRS, type Lab } from '../helpers/zebra-lab.js';
import { startFibmgr, type FibmgrChild } from '../helpers/fibmgr-child.js';
import { until } from '../helpers/daemon.js';
import { mpls_route_dump } from 'vpp-binapi-ts/gen';
import type { VppClient } from 'vpp-binapi-ts';

type Lsps = Record<string, string[]>;
const IMPLICIT_NULL = 3;

/** zebra's installed LSPs: label → sorted "nexthop:out-stack" ("pop" for implicit-null). */
function zebraLsps(l: Lab): Lsps {
  const table = JSON.parse(l.vtysh('show mpls table json')) as Record<string, { nexthops: { nexthop?: string; installed?: boolean; outLabelStack?: number[]; outLabel: number }[] }>;
  const out: Lsps = {};
  for (const [label, lsp] of Object.entries(table)) {
    const hops = lsp.nexthops.filter((n) => n.installed).map((n) => {
      const stack = n.outLabelStack ?? [n.outLabel];
      return `${n.nexthop}:${stack.length === 1 && stack[0] === IMPLICIT_NULL ? 'pop' : stack.join('/')}`;
    });
    if (hops.length) out[label] = hops.sort();
  }
  return out;
}

/** VPP's MPLS table 0 above the reserved labels: label → sorted "nexthop:out-stack" (EOS and non-EOS entries alike, else marked). */
async function vppLsps(c: VppClient): Promise<Lsps> {
  const eos: Lsps = {}, neos: Lsps = {};
  for (const d of await c.dump<any, any>(mpls_route_dump, { table: { mt_table_id: 0, mt_name: '' } })) {
    const r = d.mr_route;
    if (r.mr_label < 16) continue;
    const hops = (r.mr_paths as any[]).map((p) => {
      const via = Number(p.proto) === 1 ? p.nh.address.ip6 : p.nh.address.ip4;
      const labels = (p.label_stack as { label: number }[]).slice(0, p.n_labels).map((x) => x.label);
      return `${via}:${labels.join('/') || 'pop'}`;
    }).sort();
    (r.mr_eos ? eos : neos)[String(r.mr_label)] = hops;
  }
  // the two entries of a label are written one after the other: while a change is under way they
  // differ, which makes the answer differ from zebra's (the caller waits for them to agree)
  const out: Lsps = {};
  for (const label of new Set([...Object.keys(eos), ...Object.keys(neos)])) {
    const e = eos[label] ?? [], n = neos[label] ?? [];
    out[label] = JSON.stringify(e) === JSON.stringify(n) ? e : [...e, `non-EOS entry differs: ${n.join(' ') || 'none'}`];
  }
  return out;
}

const sortedKeys = (o: Lsps): Lsps => Object.fromEntries(Object.entries(o).sort(([a], [b]) => Number(a) - Number(b)));

async function lspsMatch(c: VppClient, l: Lab, what: string, expect?: Lsps): Promise<void> {
  const z = sortedKeys(zebraLsps(l));
  if (expect) assert.deepEqual(z, expect, `zebra's own table (${what})`);
  await until(`VPP's MPLS table = zebra's (${what})`, async () => JSON.stringify(sortedKeys(await vppLsps(c))) === JSON.stringify(z), 20_000, async () => ({ vpp: await vppLsps(c), zebra: z }));
}

async function labelled(c: VppClient): Promise<Record<string, string[]>> {
  const f = await fibOf(c);
  return Object.fromEntries(Object.entries(f).filter(([, paths]) => paths.some((p) => p.includes(' labels '))));
}

/** zebra's installed labelled routes (table 0 in VPP): "0|prefix" → sorted "gateway labels a/b". */
function zebraLabelled(l: Lab): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const af of ['ip', 'ipv6']) {
    const table = JSON.parse(l.vtysh(`show ${af} route json`)) as Record<string, { installed?: boolean; nexthops: { ip?: string; fib?: boolean; labels?: number[] }[] }[]>;
    for (const [prefix, routes] of Object.entries(table)) {
      const hops = routes.filter((r) => r.installed).flatMap((r) => r.nexthops).filter((n) => n.fib && n.labels?.length).map((n) => `${n.ip} labels ${n.labels!.join('/')}`);
      if (hops.length) out[`0|${prefix}`] = hops.sort();
    }
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** VPP's labelled routes as zebraLabelled says them. */
async function vppLabelled(c: VppClient): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const [k, paths] of Object.entries(await labelled(c))) out[k] = paths.map((p) => `${p.split(' ')[1]} labels ${p.split(' labels ')[1]}`).sort();
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

async function labelledMatch(c: VppClient, l: Lab, what: string): Promise<void> {
  const z = zebraLabelled(l);
  await until(`VPP's labelled routes = zebra's (${what})`, async () => JSON.stringify(await vppLabelled(c)) === JSON.stringify(z), 20_000, async () => ({ vpp: await vppLabelled(c), zebra: z }));
}

/** What the simulator and the real VPP are compared on: MPLS table 0 whole, and fibmgr's routes. */
async function heldBy(c: VppClient): Promise<{ mpls: Record<string, string>; routes: Record<string, string[]> }> {
  return { mpls: await mplsTableOf(c), routes: await fibOf(c) };
}

async function scenario(vpp: RealVpp, frr: (typeof FRRS)[number], first: boolean, full: boolean): Promise<void> {
  let lab: Lab | undefined;
  let fib: FibmgrChild | undefined;
  let sim: SimStack | undefined;
  let simc: VppClient | undefined;
  const c = await openVpp(vpp.apiSock);
  try {
    if (first) await vpp.cli('create loopback interface'); // loop0, sw_if_index 1
    lab = await startLab({ module: 'dplane_fpm_nl', fpmPort: 2620, root: frr.root, mpls: true, conf: ['mpls lsp 100 10.0.2.2 200'] });
    const l = lab;
    const recording = join(l.dir, 'fpm');
    fib = await startFibmgr(l, ['--vpp-sock', vpp.apiSock, '--resync-grace', '1', '--stale-time', '4', '--interface-map', 'eth2=loop0', '--record-fpm', recording], { dryRun: false });
    const f = fib;
    // the simulator as this VPP is (loop0, mapped from eth2), fibmgr's reconciler on it as the daemon runs it
    let replay: SimReplay | undefined;
    if (first) {
      const simPath = join(l.dir, 'sim.sock');
      sim = await simStack({
        simPath, interfaces: [{ swIfIndex: 1, name: 'loop0' }], interfaceMap: [{ linux: Number(l.exec('cat /sys/class/net/eth2/ifindex').trim()), vpp: 1 }],
        // no delete held for an add (the daemon holds one 50 ms): a held delete waits on the clock,
        // which the replay moves only once the writes so far are answered; the end states are alike
        resyncGraceMs: 1000, staleTimeMs: 4000, deleteHoldMs: 0,
      });
      simc = await openVpp(simPath);
      replay = new SimReplay(sim, recording, 6000);
    }
    /** The simulator, fed what zebra sent so far, holds what the real VPP holds. */
    const simAgrees = async (what: string): Promise<void> => {
      if (!replay || !simc) return;
      const s = simc;
      await until(`the simulator on zebra's script = the real VPP (${what})`, async () => {
        await replay.catchUp(recordedSessions(f.lines));
        return JSON.stringify(await heldBy(s)) === JSON.stringify(await heldBy(c));
      }, 20_000, async () => ({ sim: await heldBy(s), real: await heldBy(c) }));
    };
    await f.waitFor('zebra to connect and VPP to be read', () => f.sessions().length > 0 && f.lines.some((x) => x.msg === 'VPP ready: adopted our routes'));
    await lspsMatch(c, l, 'zebra.conf\'s LSP', { 100: ['10.0.2.2:200'] });
    await simAgrees('zebra.conf\'s LSP');

    // added
    l.vtysh('conf t', 'ip route 192.168.50.0/24 10.0.2.2 label 500/600', 'ipv6 route 2001:db8:500::/48 2001:db8:3::2 label 700',
      'mpls lsp 101 10.0.3.4 implicit-null', 'mpls lsp 102 10.0.2.3 300', 'mpls lsp 102 10.0.3.3 301', 'mpls lsp 103 2001:db8:3::5 explicit-null');
    await lspsMatch(c, l, 'added', { 100: ['10.0.2.2:200'], 101: ['10.0.3.4:pop'], 102: ['10.0.2.3:300', '10.0.3.3:301'], 103: ['2001:db8:3::5:2'] });
    const want = { '0|192.168.50.0/24': ['normal 10.0.2.2 sw* w1 labels 500/600'], '0|2001:db8:500::/48': ['normal 2001:db8:3::2 sw1 w1 labels 700'] };
    await until('the labelled routes in VPP', async () => JSON.stringify(await labelled(c)) === JSON.stringify(want), 20_000, () => labelled(c));
    assert.match(await vpp.cli('show mpls interface'), /loop0\s+MPLS enabled/, 'MPLS input on the mapped interface LSPs use');
    await simAgrees('added');

    // changed
    l.vtysh('conf t', 'mpls lsp 100 10.0.2.2 201', 'ip route 192.168.50.0/24 10.0.2.2 label 501/601/701');
    await lspsMatch(c, l, 'changed', { 100: ['10.0.2.2:201'], 101: ['10.0.3.4:pop'], 102: ['10.0.2.3:300', '10.0.3.3:301'], 103: ['2001:db8:3::5:2'] });
    // (zebra sends the route's change as a delete and an add, or one replace: either way one add reaches VPP)
    await labelledMatch(c, l, 'a second label stack on the same next hop');
    // with FRR 8.4 and 10.3 the route keeps the new stack after this; 10.7's staticd replaced the
    // stack of the same next hop in place, so removing the old stack's static removes the route
    l.vtysh('conf t', 'no ip route 192.168.50.0/24 10.0.2.2 label 500/600');
    await labelledMatch(c, l, 'the first label stack removed');
    await simAgrees('changed');

    // deleted
    l.vtysh('conf t', 'no mpls lsp 101', 'no mpls lsp 102 10.0.2.3', 'no ipv6 route 2001:db8:500::/48 2001:db8:3::2 label 700');
    const after = { 100: ['10.0.2.2:201'], 102: ['10.0.3.3:301'], 103: ['2001:db8:3::5:2'] };
    await lspsMatch(c, l, 'deleted', after);
    await until('the labelled IPv6 route gone', async () => !('0|2001:db8:500::/48' in (await labelled(c))), 20_000, () => labelled(c));
    await labelledMatch(c, l, 'deleted');
    await simAgrees('deleted');

    const bad = () => f.lines.filter((x) => Number(x.level) >= 50);
    // zebra's replays are FRR's own code, alike in 10.3 and 10.7: the newest FRR is checked for
    // what changed in its encoding (labels on nexthop objects), not again for the replays (time)
    if (!full) return assert.deepEqual(bad(), [], 'no error logged');

    // FPM reconnect: the replay confirms everything, nothing changes
    l.exec('ss -K dst 127.0.0.1 dport = 2620');
    await f.waitFor('zebra to reconnect', () => f.sessions().length > 1, 25_000);
    const s2 = f.sessions().at(-1);
    await f.waitFor('the resync to end', () => f.lines.some((x) => x.session === s2 && x.msg === 'resync done'), 25_000);
    await lspsMatch(c, l, 'after an FPM reconnect', after);
    await labelledMatch(c, l, 'after an FPM reconnect');
    await simAgrees('after an FPM reconnect');

    // zebra restarts: its LSPs from vtysh are gone (only zebra.conf's is back); the resync's end removes the rest
    await l.kill9('zebra');
    await l.startZebra();
    await f.waitFor('zebra\'s new session', () => f.sessions().length > 2, 30_000);
    const s3 = f.sessions().at(-1);
    await f.waitFor('the resync after the restart to end', () => f.lines.some((x) => x.session === s3 && x.msg === 'resync done'), 30_000);
    await lspsMatch(c, l, 'after a zebra restart', { 100: ['10.0.2.2:200'] });
    await labelledMatch(c, l, 'after a zebra restart');
    await simAgrees('after a zebra restart');
    assert.deepEqual(bad(), [], 'no error logged');
  } finally {
    await simc?.close();
    await sim?.close();
    await fib?.stop();
    await lab?.stop();
    await c.close();
  }
}

test('real VPP, real zebra with MPLS: LSPs and labelled routes added, changed, deleted, across an FPM reconnect and a zebra restart', { timeout: 300_000 }, async (t) => {
  if (spawnSync('gcc', ['--version']).status !== 0) return skipLive(t, 'no gcc: the MPLS lab compiles its netlink shim (apt-get install -y gcc)');
  const vpp = await startRealVpp(t);
  if (!vpp) return;
  let first = true;
  for (const frr of FRRS) {
    await vpp.test(t, frr.name, async (st) => {
      const why = labUnavailable(frr.root);
      if (why) return skipLive(st, why);
      try {
        await scenario(vpp, frr, first, frr !== FRRS[2]);
      } finally {
        first = false; // VPP holds this scenario's writes now, failed or not
      }
    });
  }
});
