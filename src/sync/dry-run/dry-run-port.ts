// --dry-run: a VPP port with no VPP. Every route write is encoded by the encoder production uses
// (route-request.ts, the same bytes VppAdapter sends), read back by the generated decoder and
// logged as that message's fields, one line each; it succeeds, so the whole pipeline — decoding,
// translation, coalescing, resync, the write protocol — runs exactly as it would against VPP.
import type { Logger } from '../../log.js';
import type { Family, Prefix } from '../../route/types.js';
import type { MessageDef } from 'vpp-binapi-ts';
import type { InterfaceMapEntry } from '../vpp/vpp-port.js';
import { RouteWrites } from '../write/route-writes.js';
import { prefixText } from '../../route/prefix.js';
import type { Ownership, VppPath, VppPort, AdoptSink, Written } from '../vpp/vpp-port.js';
import { DryRunMpls } from './dry-run-mpls.js';


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

  private readonly writes: RouteWrites;
  /** LSPs, logged the same way (absent when the MPLS messages are not given). */
  readonly mpls?: DryRunMpls;
  private written: Written = () => {};
  private done: number[] = [];

  /**
   * `routeMessage`: the generated ip_route_add_del_v2, whose bytes production sends. Mapped
   * interfaces get stand-in sw_if_index values 1, 2, … (there is no VPP to ask).
   */
  constructor(logger: Logger, routeMessage: MessageDef, interfaceMap: InterfaceMapEntry[] = [], linuxIfindex?: (name: string) => number | undefined, messages?: Record<string, MessageDef>) {
    this.log = logger.child({ component: 'dry-run' });
    this.writes = new RouteWrites(routeMessage);
    if (messages) this.mpls = new DryRunMpls(this.log, (n) => messages[n]!, (sw) => String(this.vppNames.get(sw) ?? `sw_if_index ${sw}`));
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

  readonly room = Infinity;

  onWritten(cb: Written): void {
    this.written = cb;
  }

  flush(): void {}

  write(token: number, table: number, prefix: Prefix, paths: readonly VppPath[] | null): void {
    let wire: Buffer;
    try {
      wire = this.writes.def.encode(0, this.writes.request(table, prefix, paths, 0));
    } catch (err) {
      // what VppAdapter would answer: the write fails, the reconciler logs it and retries
      queueMicrotask(() => this.written(token, err as Error));
      return;
    }
    const { route, is_add, is_multipath } = this.writes.def.decode(wire, 0, wire.length) as { route: Record<string, unknown>; is_add: boolean; is_multipath: boolean };
    const text = prefixText(prefix);
    const fields = { request: 'ip_route_add_del_v2', bytes: wire.length, table, prefix: text, fields: { is_add, is_multipath, route } };
    if (paths) {
      this.counts.replace++;
      const via = paths.map((p) => `${p.kind === 'normal' ? p.gateway ?? 'dev' : p.kind}${p.swIfIndex !== 0xffffffff ? ` ${this.vppNames.get(p.swIfIndex) ?? `sw_if_index ${p.swIfIndex}`}` : ''}`).join(', ');
      this.log.info(fields, `would add ${table} ${text} via ${via}`);
    } else {
      this.counts.remove++;
      this.log.info({ ...fields, family: prefix.family }, `would delete ${table} ${text}`);
    }
    // acknowledged as VPP would, after the event loop's turn
    if (this.done.push(token) === 1) {
      queueMicrotask(() => {
        const tokens = this.done;
        this.done = [];
        for (const t of tokens) this.written(t, null);
      });
    }
  }

  interfaceFor(linuxIfindex: number): number | undefined {
    return this.ifmap.get(linuxIfindex);
  }
  get interfaces(): ReadonlyMap<number, number> {
    return this.ifmap;
  }


  onReconnect(): void {}
  /** Nothing is sent, so nothing times out. */
  resetSession(): void {}
  onDisconnect(): void {}
}
