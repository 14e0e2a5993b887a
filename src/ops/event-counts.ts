// Counts what zebra sends, by kind, on its way to the reconciler: a RouteSink that forwards
// everything untouched. Plain numbers: the metrics endpoint reads them when scraped.
import type { RouteSink } from '../route/sink.js';
import type { RouteEvent } from '../route/types.js';

export interface EventCounts {
  routeAdd: number;
  routeDel: number;
  lspAdd: number;
  lspDel: number;
  nexthopGroupAdd: number;
  nexthopGroupDel: number;
  errors: number;
  /** By message kind, e.g. "RTM_NEWNEIGH". */
  skipped: Map<string, number>;
  /** Messages that could not be used, by why (UnusableKind: "unsupported-encap", "malformed", …). */
  unusable: Map<string, number>;
  /** The latest of them (at most LAST_UNUSABLE), for /state. */
  lastUnusable: { what: string; reason: string; route: string | null; at: string }[];
}

const LAST_UNUSABLE = 20;

export function newEventCounts(): EventCounts {
  return { routeAdd: 0, routeDel: 0, lspAdd: 0, lspDel: 0, nexthopGroupAdd: 0, nexthopGroupDel: 0, errors: 0, skipped: new Map(), unusable: new Map(), lastUnusable: [] };
}

export function countEvents(c: EventCounts, events: readonly RouteEvent[]): void {
  for (const ev of events) {
    switch (ev.kind) {
      case 'route':
        if (ev.op === 'add') c.routeAdd++;
        else c.routeDel++;
        break;
      case 'lsp':
        if (ev.op === 'add') c.lspAdd++;
        else c.lspDel++;
        break;
      case 'nexthop-group':
        if (ev.op === 'add') c.nexthopGroupAdd++;
        else c.nexthopGroupDel++;
        break;
      case 'skipped':
        c.skipped.set(ev.what, (c.skipped.get(ev.what) ?? 0) + 1);
        break;
      case 'error':
        c.errors++;
        c.unusable.set(ev.what, (c.unusable.get(ev.what) ?? 0) + 1);
        c.lastUnusable.push({ what: ev.what, reason: ev.reason, route: ev.route ? `${ev.route.table} ${ev.route.prefix}${ev.route.src ? ` from ${ev.route.src}` : ''}` : ev.lsp !== undefined ? `label ${ev.lsp}` : null, at: new Date().toISOString() });
        if (c.lastUnusable.length > LAST_UNUSABLE) c.lastUnusable.shift();
        break;
    }
  }
}

/** `inner` with every batch counted into `counts` first. */
export function countingSink(inner: RouteSink, counts: EventCounts): RouteSink {
  return {
    sessionStart: (id, zebraProcess) => inner.sessionStart(id, zebraProcess),
    sessionEnd: (id, reason) => inner.sessionEnd(id, reason),
    apply(id, events) {
      countEvents(counts, events);
      inner.apply(id, events);
    },
    get congested() {
      return inner.congested;
    },
    onDrain: (cb) => inner.onDrain(cb),
    attachReporter: inner.attachReporter && ((id, reporter) => inner.attachReporter!(id, reporter)),
  };
}
