// One FPM session feeding several sinks: the first one decides backpressure, the others only
// watch (the dry-run event log beside the reconciler).
import type { RouteSink } from '../route/sink.js';
import type { RouteEvent } from '../route/types.js';

export function teeSink(primary: RouteSink, ...watchers: RouteSink[]): RouteSink {
  return {
    sessionStart(id: number, zebraProcess?: string | null) {
      for (const w of watchers) w.sessionStart(id, zebraProcess);
      primary.sessionStart(id, zebraProcess);
    },
    sessionEnd(id: number, reason: string) {
      for (const w of watchers) w.sessionEnd(id, reason);
      primary.sessionEnd(id, reason);
    },
    apply(id: number, events: RouteEvent[]) {
      for (const w of watchers) w.apply(id, events);
      primary.apply(id, events);
    },
    get congested() {
      return primary.congested;
    },
    onDrain(cb: () => void) {
      primary.onDrain(cb);
    },
    attachReporter: primary.attachReporter && ((id, reporter) => primary.attachReporter!(id, reporter)),
  };
}
