// `fibmgr show route PREFIX [--table N]`: the one command to run when a prefix misbehaves — what
// zebra last sent for it, what fibmgr wants in VPP and believes installed, what VPP holds there
// (one lookup), and what is pending or went wrong.
import type { RouteExplain } from '../sync/reconciler.js';
import { explainReason } from '../sync/state/not-installed.js';
import { cannotAsk, opsRequest } from './ops-client.js';

type Shown = RouteExplain & { zebraTable: number; vpp: { source: number; ours: boolean; paths: string } | null | string };

const STATES: Record<string, string> = {
  'in-sync': 'in sync: VPP holds what zebra wants',
  queued: 'a write is queued',
  'in-flight': 'a write is in flight',
  retrying: 'VPP refused it: retrying',
  'waiting-for-table': 'waiting for its VPP table',
  'not-installed': 'not installed',
  unknown: 'fibmgr has no such route',
};

export function formatShownRoute(r: Shown): string {
  const out = [`route ${r.prefix}: zebra table ${r.zebraTable} → VPP table ${r.table}`];
  out.push(`zebra:   ${r.zebra ? `${r.zebra.protocol} (protocol ${r.zebra.protocolId}), ${r.zebra.type}${r.zebra.nhg ? `, nexthop group ${r.zebra.nhg}` : ''}` : r.skipped ? `${r.skipped.protocol}, ${r.skipped.type}, at ${r.skipped.at}` : 'nothing (never sent, or deleted)'}`);
  if (r.skipped) {
    const nh = r.skipped.nexthops.map((n) => `${n.gateway ?? '-'}${n.ifindex !== null ? ` ifindex ${n.ifindex}` : ''}${n.weight !== 1 ? ` weight ${n.weight}` : ''}`).join(', ');
    out.push(`         next hops: ${nh || 'none'}`);
  }
  out.push(`fibmgr:  wants ${r.wants ?? 'nothing'}; believes VPP holds ${r.installed ?? 'nothing'}`);
  const vpp = typeof r.vpp === 'string' ? r.vpp : r.vpp === null ? 'no entry' : `${r.vpp.paths} (FIB source ${r.vpp.source}${r.vpp.ours ? ', fibmgr\'s' : ', not fibmgr\'s'})`;
  out.push(`vpp:     ${vpp}`);
  let state = STATES[r.state] ?? r.state;
  if (r.state === 'retrying') state += ` (attempt ${r.attempts}): ${r.lastError}`;
  if (r.state === 'not-installed' && r.skipped) {
    const why = explainReason(r.skipped.reason);
    state += `: ${r.skipped.reason}${r.skipped.detail ? `: ${r.skipped.detail}` : ''}${why ? ` (${why})` : ''}`;
  }
  out.push(`state:   ${state}${r.notifyPending ? '; zebra not told yet' : ''}`);
  return out.join('\n') + '\n';
}

export async function runShowRoute(addr: string, prefix: string, table: number, opts: { json?: boolean } = {}): Promise<number> {
  let r: Shown;
  try {
    const { status, body } = await opsRequest(addr, 'GET', `/route?prefix=${encodeURIComponent(prefix)}&table=${table}`);
    if (status === 400) {
      process.stderr.write(`fibmgr show route: ${body.trim()}\n`);
      return 2;
    }
    if (status !== 200) throw new Error(`answered ${status}: ${body.trim()}`);
    r = JSON.parse(body) as Shown;
  } catch (e) {
    return cannotAsk('show route', addr, e);
  }
  process.stdout.write(opts.json ? JSON.stringify(r, null, 2) + '\n' : formatShownRoute(r));
  return r.state === 'unknown' ? 3 : 0;
}
