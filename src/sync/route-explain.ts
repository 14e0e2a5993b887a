// One route for the operator (`fibmgr show route`): what fibmgr knows of it, read off its entry,
// and the bounded record of routes zebra sent that fibmgr left out, with why.
import type { Family, RouteEventRoute } from '../route/types.js';
import { formatPrefix, parsePrefix } from '../route/prefix.js';
import type { RouteExplain, SkipRecord } from './reconciler-types.js';
import { N_PENDING, TYPES } from './route-notes.js';
import { Q_ADD, Q_DEL, Q_RETRY, Q_SENDING, type Entry } from './route-table.js';

/** How many left-out routes are remembered (the oldest goes first). */
const SKIPS_KEPT = 4096;

export class SkipLog {
  /** By VPP table and family (table × 8 + family), then prefix: no key string made per route. */
  private readonly byTable = new Map<number, Map<string, SkipRecord>>();
  private size = 0;

  note(ev: RouteEventRoute, table: number, reason: string): void {
    const key = table * 8 + ev.family;
    let m = this.byTable.get(key);
    if (!m) this.byTable.set(key, (m = new Map()));
    if (m.delete(ev.prefix)) this.size--;
    if (this.size >= SKIPS_KEPT) this.evictOne();
    m.set(ev.prefix, { reason, at: new Date().toISOString(), protocol: ev.protocol, type: ev.type, zebraTable: ev.table, nexthops: ev.nexthops.map((n) => ({ ...n })) });
    this.size++;
  }

  /** The route is installable again. */
  forget(family: Family, table: number, prefix: string): void {
    if (this.size > 0 && this.byTable.get(table * 8 + family)?.delete(prefix)) this.size--;
  }

  get(family: Family, table: number, prefix: string): SkipRecord | null {
    return this.byTable.get(table * 8 + family)?.get(prefix) ?? null;
  }

  /** The oldest record of the largest table goes (the bound is on the whole log). */
  private evictOne(): void {
    let big: Map<string, SkipRecord> | undefined;
    for (const m of this.byTable.values()) if (!big || m.size > big.size) big = m;
    const first = big?.keys().next();
    if (big && first && !first.done) {
      big.delete(first.value);
      this.size--;
    }
  }
}

/** A prefix as an operator writes it (any spelling; an address alone is a host route), in the decoder's text. */
export function routeOf(text: string): { family: Family; prefix: string } {
  const p = parsePrefix(text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`, true);
  return { family: p.family, prefix: formatPrefix(p.family, p.bytes, p.len) };
}

export function explainRoute(
  family: Family, table: number, prefix: string, e: Entry | undefined, skipped: SkipRecord | null, attempts: number, lastError: string | null,
): RouteExplain {
  const n = e?.n ?? 0;
  const zebra = e && e.zt >= 0 && (e.want !== null || skipped === null)
    ? { protocol: e.proto, protocolId: n & 0xff, table: e.zt, type: TYPES[(n >> 8) & 0xff]!, nhg: e.nhg || null }
    : null;
  let state = 'unknown';
  if (e) {
    if (e.q & Q_RETRY) state = 'retrying';
    else if (e.q & Q_SENDING) state = 'in-flight';
    else if (e.q & (Q_ADD | Q_DEL)) state = 'queued';
    else if (e.want !== e.have) state = 'waiting-for-table';
    else if (e.want !== null) state = 'in-sync';
  }
  if (state === 'unknown' && skipped) state = 'not-installed';
  return {
    family, table, prefix, zebra,
    wants: e?.want?.key ?? null,
    installed: e?.have?.key ?? null,
    state, attempts, lastError,
    skipped: e?.want ? null : skipped,
    notifyPending: (n & N_PENDING) !== 0,
  };
}
