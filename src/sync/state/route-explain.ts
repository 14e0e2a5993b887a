// One route for the operator (`fibmgr show route`): what fibmgr knows of it, read off its entry,
// and the bounded record of routes zebra sent that fibmgr left out, with why.
import type { Nexthop, Prefix, Route } from '../../route/types.js';
import { parsePrefix, prefixText } from '../../route/prefix.js';
import type { NotInstalledRecord, RouteExplain } from '../reconciler-types.js';
import type { NotInstalledReason } from './not-installed.js';
import type { Clock } from '../clock.js';
import { wireProtocol, wireType, type Entry } from './route-entry.js';
import { owesAnswer } from '../zebra/route-notes.js';
import { writeStage } from '../write/write-flags.js';
import { UNKNOWN_PATHS } from './path-sets.js';

/** How many left-out routes are remembered (the oldest goes first). */
const RECORDS_KEPT = 4096;

/** What is recorded of a route zebra sent (a message not usable has no next hops). */
export type RecordedRoute = Pick<Route, 'prefix' | 'table' | 'type' | 'protocol'> & { nexthops?: readonly Nexthop[] };

export class NotInstalledRecords {
  /** When a route was left out is shown on the injected clock's wall time. */
  constructor(private readonly clock: Pick<Clock, 'wall'>) {}

  /** By VPP table and family (table × 8 + family), then prefix (recordKey). */
  private readonly byTable = new Map<number, Map<number | string, NotInstalledRecord>>();
  private size = 0;

  /** `r` (zebra's table in r.table) is not installed in VPP table `table`, for `reason` (`detail`: what exactly). */
  note(r: RecordedRoute, table: number, reason: NotInstalledReason, detail: string | null = null): void {
    const key = table * 8 + r.prefix.family;
    let m = this.byTable.get(key);
    if (!m) this.byTable.set(key, (m = new Map()));
    const k = recordKey(r.prefix);
    if (m.delete(k)) this.size--;
    if (this.size >= RECORDS_KEPT) this.evictOne();
    m.set(k, { reason, detail, at: new Date(this.clock.wall()).toISOString(), protocol: r.protocol, type: r.type, zebraTable: r.table, nexthops: (r.nexthops ?? []).map((n) => ({ ...n })) });
    this.size++;
  }

  /** The route is installable again. */
  forget(table: number, prefix: Prefix): void {
    if (this.size > 0 && this.byTable.get(table * 8 + prefix.family)?.delete(recordKey(prefix))) this.size--;
  }

  get(table: number, prefix: Prefix): NotInstalledRecord | null {
    return this.byTable.get(table * 8 + prefix.family)?.get(recordKey(prefix)) ?? null;
  }

  /** The oldest record of the largest table goes (the bound is on the whole log). */
  private evictOne(): void {
    let big: Map<number | string, NotInstalledRecord> | undefined;
    for (const m of this.byTable.values()) if (!big || m.size > big.size) big = m;
    const first = big?.keys().next();
    if (big && first && !first.done) {
      big.delete(first.value);
      this.size--;
    }
  }
}

/** A number for an IPv4 network (its length is below 64), text for an IPv6 one: a map key made only for routes the log may hold. */
function recordKey(p: Prefix): number | string {
  return p.family === 4 ? p.w0 * 64 + p.len : `${p.w0},${p.w1},${p.w2},${p.w3}/${p.len}`;
}

/** A prefix as an operator writes it (any spelling; an address alone is a host route). */
export function routeOf(text: string): Prefix {
  return parsePrefix(text, { host: true });
}

export function explainRoute(
  table: number, prefix: Prefix, e: Entry | undefined, skipped: NotInstalledRecord | null, attempts: number, lastError: string | null,
): RouteExplain {
  const zebra = e && e.zebraTable >= 0 && (e.want !== null || skipped === null)
    ? { protocol: e.proto, protocolId: wireProtocol(e), table: e.zebraTable, type: wireType(e), nhg: e.nhg || null }
    : null;
  let state = 'unknown';
  if (e) {
    const stage = writeStage(e);
    if (stage !== null) state = stage;
    else if (e.have === UNKNOWN_PATHS) state = 'unknown-in-vpp';
    else if (e.want !== e.have) state = 'waiting-for-table';
    else if (e.want !== null) state = 'in-sync';
  }
  if (state === 'unknown' && skipped) state = 'not-installed';
  return {
    family: prefix.family, table, prefix: prefixText(prefix), zebra,
    wants: e?.want?.key ?? null,
    installed: e?.have?.key ?? null,
    state, attempts, lastError,
    skipped: e?.want ? null : skipped,
    notifyPending: e !== undefined && owesAnswer(e),
  };
}
