// `fibmgr status`: GET /state from a running fibmgr and print it for a human; the daemon's status
// line for systemd is rendered here too, from the same document (src/ops/state.ts builds it).
import { cannotAsk, opsRequest } from './ops-client.js';
import type { StateDoc } from '../ops/state.js';

export async function fetchState(addr: string, timeoutMs = 5000): Promise<StateDoc> {
  const { status, body } = await opsRequest(addr, 'GET', '/state', timeoutMs);
  if (status !== 200) throw new Error(`http://${addr}/state answered ${status}`);
  try {
    return JSON.parse(body) as StateDoc;
  } catch (e) {
    throw new Error(`http://${addr}/state did not answer JSON: ${(e as Error).message}`);
  }
}

const n = (x: number) => x.toLocaleString('en-US');

function duration(s: number): string {
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return d ? `${d}d${h}h` : h ? `${h}h${m}m` : m ? `${m}m${s % 60}s` : `${s}s`;
}

/** The human form: a few labelled lines, then the per-table counts and the last errors. */
export function formatState(st: StateDoc): string {
  const out: string[] = [];
  out.push(`fibmgr pid ${st.pid}, up ${duration(st.uptimeSeconds)}: ${st.readiness.ready ? 'ready' : `NOT READY (${st.readiness.reason})`}`);
  const f = st.fpm;
  const sess = f.session
    ? `session ${f.session.id} from ${f.session.peer} ${f.state === 'paused' ? 'up (reading paused: backlog full)' : 'up'} since ${f.session.since}, ${n(f.session.routes)} routes received`
    : 'no session (waiting for zebra to connect)';
  out.push(`zebra:   ${sess}; ${n(f.sessionsAccepted)} sessions accepted, ${n(f.sessionsFailed)} closed for bad input, ${n(f.events.errors)} decode errors`);
  const v = st.vpp;
  const vpp = v.mode === 'dry-run'
    ? 'dry run (no VPP)'
    : `${v.connected ? 'connected' : 'NOT CONNECTED'} at ${v.socket}; ${v.ownership ?? 'ownership not known yet'}; ${n(v.reconnects)} reconnects` +
      (v.lastDisconnect ? `; last lost ${v.lastDisconnect.at}: ${v.lastDisconnect.reason}` : '');
  out.push(`vpp:     ${vpp}`);
  const s = st.sync;
  out.push(`routes:  ${n(s.desired)} desired, ${n(s.installed)} installed; backlog ${n(s.backlog)} (${n(s.inflight)} in flight), ${n(s.retrying)} retrying${s.resyncing ? '; resync in progress' : ''}`);
  // older daemons' /state has no failingTables
  for (const t of s.failingTables ?? []) out.push(`table:   VPP would not create table ${t.table} (IPv${t.family}): ${t.error}; ${n(t.routes)} routes wait (zebra told they failed), ${n(t.tries)} attempts since ${t.since}, retried`);
  const lr = s.lastResync;
  const sw = s.stale;
  if (sw?.phase === 'stale-wait') out.push(`stale:   ${n(sw.held)} routes held (forwarding) since ${sw.since}, until ${sw.until} at the latest; waiting: ${sw.missing.join(', ')} (\`fibmgr sweep\` removes them now)`);
  if (f.refused && Object.keys(f.refused).length) out.push(`refused: ${Object.entries(f.refused).map(([k, v]) => `${n(v)} ${k}`).join(', ')} (connections not zebra's)`);
  const nt = s.counters.notified;
  if (nt && nt.offload + nt.failed > 0) out.push(`zebra told: ${n(nt.offload)} routes offloaded, ${n(nt.failed)} offload failed (route notifications)`);
  const l = s.lsps;
  // older daemons' /state has no table
  if (l && l.table && (l.desired + l.installed + l.notInstallable + l.held.length > 0 || l.table === 'unsupported')) {
    const held = l.held.map((w) => `${n(w.lsps)} ${w.protocol || 'adopted'} until ${w.until}`).join(', ');
    out.push(`lsps:    ${n(l.desired)} desired, ${n(l.installed)} installed; ${n(l.pending)} pending, ${n(l.failed)} refused by VPP (retrying), ${n(l.notInstallable)} not installable` +
      `${held ? `; held for zebra: ${held}` : ''}; MPLS table 0 ${l.table === 'unsupported' ? `unusable: ${l.unsupported}` : l.table === 'ready' ? 'ready' : 'waiting for VPP'}`);
  }
  const la = s.lastAudit;
  if (la) out.push(la.ok
    ? `audit:   last at ${la.at}: ${n(la.checked)} routes checked in ${(la.durationMs / 1000).toFixed(1)} s; ${n(la.missing)} missing, ${n(la.extra)} extra, ${n(la.different)} different${la.repaired ? `, ${n(la.repaired)} repaired` : ''}`
    : `audit:   last at ${la.at} could not read VPP: ${la.error}`);
  if (lr) out.push(`resync:  last with session ${lr.session}: ${n(lr.refreshed)} refreshed, ${n(lr.swept)} swept, ${n(lr.kept)} kept, ${n(lr.writes)} writes, ${(lr.durationMs / 1000).toFixed(1)} s`);
  if (st.tables.length) {
    out.push('tables:');
    out.push(`  ${'family'.padEnd(7)}${'table'.padStart(10)}${'desired'.padStart(12)}${'installed'.padStart(12)}`);
    for (const t of st.tables) out.push(`  ${`ipv${t.family}`.padEnd(7)}${String(t.table).padStart(10)}${n(t.desired).padStart(12)}${n(t.installed).padStart(12)}`);
  }
  if (st.lastErrors.length) {
    out.push('last errors:');
    for (const e of st.lastErrors.slice(-10)) out.push(`  ${e.at}  ${e.route}: ${e.error}`);
  }
  return out.join('\n') + '\n';
}

/** One line for `systemctl status` (systemd's STATUS=), from the same document. */
export function statusLine(st: StateDoc): string {
  const zebra = st.fpm.session ? `zebra session ${st.fpm.session.id} up` : 'waiting for zebra';
  const vpp = st.vpp.mode === 'dry-run' ? 'dry run' : st.vpp.connected ? 'VPP connected' : 'VPP lost';
  const s = st.sync;
  const work = s.resyncing ? 'resyncing' : s.backlog > 0 ? `${s.backlog} pending` : 'in sync';
  return `${zebra}; ${vpp}; ${s.desired} routes, ${s.installed} installed; ${work}`;
}

export async function runStatus(addr: string, opts: { json?: boolean } = {}): Promise<number> {
  let st: StateDoc;
  try {
    st = await fetchState(addr);
  } catch (e) {
    return cannotAsk('status', addr, e);
  }
  process.stdout.write(opts.json ? JSON.stringify(st, null, 2) + '\n' : formatState(st));
  return st.readiness.ready ? 0 : 3;
}
