// The sink used when nothing is programmed: every route event becomes one log line, counted by
// kind. It never pushes back, so the FPM server reads at full speed.
import type { Logger } from '../../log.js';
import type { RouteSink } from '../../route/sink.js';
import type { Nexthop, RouteEvent } from '../../route/types.js';

export interface DryRunCounts {
  routeAdd: number;
  routeDel: number;
  nexthopGroupAdd: number;
  nexthopGroupDel: number;
  skipped: number;
  errors: number;
  sessions: number;
}

function nexthopText(n: Nexthop): string {
  const via = n.gateway ?? 'dev';
  const dev = n.ifindex === null ? '' : ` if${n.ifindex}`;
  const w = n.weight === 1 ? '' : ` weight ${n.weight}`;
  const l = n.labels.length ? ` labels ${n.labels.join('/')}` : '';
  return `${via}${dev}${w}${l}`;
}

export class DryRunSink implements RouteSink {
  readonly congested = false;
  readonly counts: DryRunCounts = { routeAdd: 0, routeDel: 0, nexthopGroupAdd: 0, nexthopGroupDel: 0, skipped: 0, errors: 0, sessions: 0 };
  private readonly log: Logger;

  constructor(logger: Logger) {
    this.log = logger.child({ component: 'dry-run' });
  }

  sessionStart(sessionId: number): void {
    this.counts.sessions++;
    this.log.info({ session: sessionId }, 'dry-run: session start (zebra replay follows)');
  }

  sessionEnd(sessionId: number, reason: string): void {
    this.log.info({ session: sessionId, reason, counts: { ...this.counts } }, 'dry-run: session end');
  }

  apply(sessionId: number, events: RouteEvent[]): void {
    for (const e of events) {
      switch (e.kind) {
        case 'route':
          if (e.op === 'add') this.counts.routeAdd++; else this.counts.routeDel++;
          this.log.info({
            session: sessionId, event: 'route', op: e.op, family: e.family, table: e.table, prefix: e.prefix,
            type: e.type, protocol: e.protocol, metric: e.metric, nhg: e.nhg, nexthops: e.nexthops,
            via: e.nexthops.map(nexthopText).join(', '),
          }, `route ${e.op} ${e.table} ${e.prefix}`);
          break;
        case 'lsp':
          this.log.info({
            session: sessionId, event: 'lsp', op: e.op, label: e.label, eos: e.eos, protocol: e.protocol, nexthops: e.nexthops,
            via: e.nexthops.map(nexthopText).join(', '),
          }, `lsp ${e.op} ${e.label}`);
          break;
        case 'nexthop-group':
          if (e.op === 'add') this.counts.nexthopGroupAdd++; else this.counts.nexthopGroupDel++;
          this.log.debug({ session: sessionId, event: 'nexthop-group', op: e.op, id: e.id, group: e.group, nexthop: e.nexthop, blackhole: e.blackhole }, `nexthop-group ${e.op} ${e.id}`);
          break;
        case 'skipped':
          this.counts.skipped++;
          this.log.debug({ session: sessionId, event: 'skipped', what: e.what }, 'skipped message');
          break;
        case 'error':
          this.counts.errors++;
          this.log.warn({ session: sessionId, event: 'error', offset: e.offset, reason: e.reason }, 'bad FPM input');
          break;
      }
    }
  }

  onDrain(_cb: () => void): void {
    // never congested: nothing to wait for
  }
}
