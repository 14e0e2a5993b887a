// --dry-run: a VPP port with no VPP. Every request that would be sent is one log line (message
// name and fields as they would be encoded) and succeeds, so the whole pipeline — decoding,
// translation, coalescing, resync — runs exactly as it would against VPP.
import type { Logger } from '../log.js';
import type { Family } from '../route/types.js';
import type { InterfaceMapEntry } from './vpp-adapter.js';
import { deleteFields, routeFields } from './vpp-fields.js';
import type { Done, Ownership, VppPort, VppRouteSpec, AdoptSink } from './vpp-port.js';

export interface DryRunCounts {
  replace: number;
  remove: number;
  tables: number;
}

export class DryRunPort implements VppPort {
  readonly connected = true;
  readonly inflight = 0;
  readonly counts: DryRunCounts = { replace: 0, remove: 0, tables: 0 };
  private readonly log: Logger;
  private readonly ifmap = new Map<number, number>();
  private readonly vppNames = new Map<number, string | number>();
  private readonly tables = new Set<string>();

  /** Mapped interfaces get stand-in sw_if_index values 1, 2, … (there is no VPP to ask). */
  constructor(logger: Logger, interfaceMap: InterfaceMapEntry[] = [], linuxIfindex?: (name: string) => number | undefined) {
    this.log = logger.child({ component: 'dry-run' });
    let next = 1;
    for (const e of interfaceMap) {
      const ifindex = typeof e.linux === 'number' ? e.linux : linuxIfindex?.(e.linux);
      if (ifindex === undefined) {
        this.log.warn({ linux: e.linux, vpp: e.vpp }, 'interface map: no such Linux interface');
        continue;
      }
      const sw = typeof e.vpp === 'number' ? e.vpp : next++;
      this.ifmap.set(ifindex, sw);
      this.vppNames.set(sw, e.vpp);
    }
  }

  async prepare(adopt: AdoptSink): Promise<{ ownership: Ownership; installed: number }> {
    this.log.info({ ownership: 'source' }, 'dry-run: would find or add FIB source fibmgr and dump its routes (none)');
    const ownership: Ownership = { mode: 'source', sourceId: 0 };
    adopt.begin(ownership);
    return { ownership, installed: 0 };
  }

  async ensureTable(family: Family, table: number): Promise<void> {
    const key = `${family}|${table}`;
    if (table === 0 || this.tables.has(key)) return;
    this.tables.add(key);
    this.counts.tables++;
    this.log.info({ request: 'ip_table_add_del', fields: { is_add: true, table: { table_id: table, is_ip6: family === 6 } } }, `would create VPP table ${table} (IPv${family})`);
  }

  replace(route: VppRouteSpec, done: Done): void {
    this.counts.replace++;
    const fields = { is_add: true, is_multipath: false, route: routeFields(route) };
    const via = route.paths.map((p) => `${p.kind === 'normal' ? p.gateway ?? 'dev' : p.kind}${p.swIfIndex !== 0xffffffff ? ` ${this.vppNames.get(p.swIfIndex) ?? `sw_if_index ${p.swIfIndex}`}` : ''}`).join(', ');
    this.log.info({ request: 'ip_route_add_del_v2', table: route.table, prefix: route.prefix, fields }, `would add ${route.table} ${route.prefix} via ${via}`);
    queueMicrotask(() => done(null));
  }

  remove(family: Family, table: number, prefix: string, done: Done): void {
    this.counts.remove++;
    this.log.info({ request: 'ip_route_add_del_v2', family, table, prefix, fields: { is_add: false, is_multipath: false, route: deleteFields(table, prefix) } }, `would delete ${table} ${prefix}`);
    queueMicrotask(() => done(null));
  }

  interfaceFor(linuxIfindex: number): number | undefined {
    return this.ifmap.get(linuxIfindex);
  }

  onReconnect(): void {}
  onDisconnect(): void {}
}
