// `fibmgr show label N`: one LSP — what zebra last sent for the incoming label, what fibmgr wants
// in VPP's MPLS table and believes installed, what VPP holds there (its EOS and non-EOS entries).
import { cannotAsk, opsRequest } from './ops-client.js';

export interface ShownLabel {
  label: number;
  known: boolean;
  protocol?: string;
  nexthops?: { gateway: string | null; ifindex: number | null; weight: number; labels: number[] }[] | null;
  want?: string | null;
  have?: string | null;
  skip?: string | null;
  error?: string | null;
  tries?: number;
  vpp: { eos: string | null; neos: string | null } | string;
}

export function formatShownLabel(r: ShownLabel): string {
  const out = [`label ${r.label}`];
  const nh = (r.nexthops ?? []).map((n) => `${n.gateway ?? '-'}${n.ifindex !== null ? ` ifindex ${n.ifindex}` : ''} ${n.labels.length ? `out ${n.labels.join('/')}` : 'pop'}`).join(', ');
  out.push(`zebra:   ${r.known && r.nexthops ? `${r.protocol}: ${nh}` : 'nothing (never sent, or deleted)'}`);
  out.push(`fibmgr:  wants ${r.want ?? 'nothing'}; believes VPP holds ${r.have ?? 'nothing'}`);
  out.push(`vpp:     ${typeof r.vpp === 'string' ? r.vpp : `eos ${r.vpp.eos ?? 'no entry'}; non-eos ${r.vpp.neos ?? 'no entry'}`}`);
  const state = !r.known ? 'fibmgr has no such LSP' : r.skip ? `not installed: ${r.skip}` : r.error ? `VPP refused it: retrying (attempt ${r.tries}): ${r.error}` : r.want === r.have ? 'in sync: VPP holds what zebra wants' : 'a write is under way';
  out.push(`state:   ${state}`);
  return out.join('\n') + '\n';
}

export async function runShowLabel(addr: string, label: number, opts: { json?: boolean } = {}): Promise<number> {
  let r: ShownLabel;
  try {
    const { status, body } = await opsRequest(addr, 'GET', `/label?label=${label}`);
    if (status !== 200) throw new Error(`answered ${status}: ${body.trim()}`);
    r = JSON.parse(body) as ShownLabel;
  } catch (e) {
    return cannotAsk('show label', addr, e);
  }
  process.stdout.write(opts.json ? JSON.stringify(r, null, 2) + '\n' : formatShownLabel(r));
  return r.known ? 0 : 3;
}
