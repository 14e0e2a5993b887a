// Counts what zebra sends, by kind, on its way to the reconciler: a RouteSink that forwards
// everything untouched. Plain numbers: the metrics endpoint reads them when scraped.
import type { RouteSink } from '../route/sink.js';
import type { RouteEvent } from '../route/types.js';

export interface EventCounts {
  routeAdd: number;
  routeDel: number;
  nexthopGroupAdd: number;
  nexthopGroupDel: number;
  errors: number;
  /** By message kind, e.g. "RTM_NEWNEIGH". */
  skipped: Map<string, number>;
}

export function newEventCounts(): EventCounts {
  return { routeAdd: 0, routeDel: 0, nexthopGroupAdd: 0, nexthopGroupDel: 0, errors: 0, skipped: new Map() };
}

export function countEvents(c: EventCounts, events: readonly RouteEvent[]): void {
  for (const ev of events) {
    switch (ev.kind) {
      case 'route':
        if (ev.op === 'add') c.routeAdd++;
        else c.routeDel++;
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
        break;
    }
  }
}

/** `inner` with every batch counted into `counts` first. */
export function countingSink(inner: RouteSink, counts: EventCounts): RouteSink {
  return {
    sessionStart: (id) => inner.sessionStart(id),
    sessionEnd: (id, reason) => inner.sessionEnd(id, reason),
    apply(id, events) {
      countEvents(counts, events);
      inner.apply(id, events);
    },
    get congested() {
      return inner.congested;
    },
    onDrain: (cb) => inner.onDrain(cb),
  };
}
