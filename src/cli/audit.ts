// `fibmgr audit`: POST /audit to a running fibmgr — it dumps VPP's routes of its own FIB source
// (streamed) and compares them with what it believes it installed. Read-only unless --repair (the
// periodic audit, --audit-interval, repairs). Exit 0 when equal, 1 when not, 3 when it could not
// tell (VPP not ready, a dry run, the API source), 1 as well when nothing answers. The read-only
// audit asks the ops port (--metrics-addr); --repair changes VPP, so it goes through the
// operator socket (--ops-socket), which only root and fibmgr's user may open (exit 4 when refused).
import type { AuditResult } from '../sync/reconciler.js';
import { cannotAsk, operatorRequest, opsRequest } from './ops-client.js';

const n = (x: number) => x.toLocaleString('en-US');

export function formatAudit(r: AuditResult): string {
  if (!r.ok) return `audit: could not tell: ${r.error}\n`;
  const drift = r.missing + r.extra + r.different;
  const out = [`audit: ${n(r.checked)} routes of fibmgr's source in VPP checked in ${(r.durationMs / 1000).toFixed(1)} s: ` +
    (drift === 0 ? 'VPP holds exactly what fibmgr installed' : `${n(r.missing)} missing in VPP, ${n(r.extra)} extra in VPP, ${n(r.different)} with different paths`) +
    (r.unjudged ? ` (${n(r.unjudged)} being written, not judged)` : '') + (r.repaired ? `; ${n(r.repaired)} repaired` : '')];
  for (const d of r.drift) {
    out.push(`  ${d.kind.padEnd(9)} ipv${d.family} table ${d.table} ${d.prefix}: VPP ${d.vpp ?? 'none'}; fibmgr ${d.fibmgr ?? 'none'}`);
  }
  if (r.drift.length < drift) out.push(`  … ${n(drift - r.drift.length)} more (--json lists all)`);
  const l = r.lsps;
  if (l) {
    const ldrift = l.missing + l.extra + l.different;
    out.push(`audit: ${n(l.checked)} labels of VPP's MPLS table checked: ` +
      (ldrift === 0 ? 'VPP holds exactly the LSPs fibmgr installed' : `${n(l.missing)} missing in VPP, ${n(l.extra)} extra in VPP, ${n(l.different)} with different paths`) +
      (l.unjudged ? ` (${n(l.unjudged)} being written, not judged)` : '') + (l.repaired ? `; ${n(l.repaired)} repaired` : ''));
    for (const d of l.drift) out.push(`  ${d.kind.padEnd(9)} label ${d.label}: VPP ${d.vpp ?? 'none'}; fibmgr ${d.fibmgr ?? 'none'}`);
  }
  return out.join('\n') + '\n';
}

export async function runAudit(at: { metricsAddr: string; opsSocket: string }, opts: { json?: boolean; repair?: boolean } = {}): Promise<number> {
  let r: AuditResult;
  const query = [opts.json ? 'all=1' : '', opts.repair ? 'repair=1' : ''].filter(Boolean).join('&');
  const path = `/audit${query ? `?${query}` : ''}`;
  try {
    const { status, body } = opts.repair ? await operatorRequest(at.opsSocket, 'POST', path, 600_000) : await opsRequest(at.metricsAddr, 'POST', path, 600_000);
    if (status !== 200) throw new Error(`answered ${status}: ${body.trim()}`);
    r = JSON.parse(body) as AuditResult;
  } catch (e) {
    return opts.repair ? cannotAsk('audit --repair', at.opsSocket, e) : cannotAsk('audit', at.metricsAddr, e);
  }
  process.stdout.write(opts.json ? JSON.stringify(r, null, 2) + '\n' : formatAudit(r));
  if (!r.ok) return 3;
  const l = r.lsps;
  return r.missing + r.extra + r.different + (l ? l.missing + l.extra + l.different : 0) === 0 ? 0 : 1;
}
