// Fake VPP ports for reconciler tests, on the one write protocol VppAdapter speaks (tokens, room,
// flush): FakePort takes any number of writes at once, BulkFakePort only `capacity` (the rest wait
// in the reconciler). Completions run on setImmediate, or when released.
import { pathsKey } from '../../src/sync/vpp/vpp-fields.js';
import type { AdoptSink, Ownership, VppPort, VppRouteSpec, VppPath, Written } from '../../src/sync/vpp/vpp-port.js';

type Done = (err: Error | null) => void;
import { prefixText, v4Prefix } from '../../src/route/prefix.js';
import type { Family, Prefix } from '../../src/route/types.js';

export interface Op { op: 'replace' | 'remove'; key: string; paths?: string }

export class FakePort implements VppPort {
  connected = true;
  inflight = 0;
  /** "table|prefix" → pathsKey */
  readonly fib = new Map<string, string>();
  /** "table|prefix" → the route as written (what readOurs() dumps); tests may edit it behind fibmgr's back. */
  readonly vpp = new Map<string, VppRouteSpec>();
  readonly ops: Op[] = [];
  readonly tables: string[] = [];
  /** ifindex → sw_if_index */
  readonly ifmap = new Map<number, number>([[2, 5]]);
  installed: VppRouteSpec[] = [];
  ownership: Ownership = { mode: 'source', sourceId: 23 };
  failWith: ((op: Op) => Error | null) | null = null;
  /** When set, completions wait until release() (backpressure tests). */
  hold = false;
  private held: (() => void)[] = [];
  private reconnectCbs: (() => void)[] = [];
  private disconnectCbs: ((r: string) => void)[] = [];

  async prepare(adopt: AdoptSink) {
    adopt.begin(this.ownership);
    for (const spec of this.installed) adopt.route(spec);
    return { ownership: this.ownership, installed: this.installed.length };
  }
  async ensureTable(family: Family, table: number) {
    this.tables.push(`${family}|${table}`);
  }
  /** Writes it takes at once (room); more wait in the reconciler. */
  capacity = Infinity;
  flushes = 0;
  /** Writes so far (ops.length) at each flush. */
  readonly flushedAt: number[] = [];
  maxInflight = 0;
  private writtenCb: Written = () => {};
  onWritten(cb: Written): void {
    this.writtenCb = cb;
  }
  get room(): number {
    return Math.max(0, this.capacity - this.inflight);
  }
  flush(): void {
    this.flushes++;
    this.flushedAt.push(this.ops.length);
  }
  write(token: number, table: number, prefix: Prefix, paths: readonly VppPath[] | null): void {
    // kept: a copy (the writer reuses its IPv4 prefix)
    const p = prefix.family === 4 ? v4Prefix(prefix.w0, prefix.len) : prefix;
    const text = prefixText(p);
    const done = (err: Error | null) => this.writtenCb(token, err);
    if (paths) this.finish({ op: 'replace', key: `${table}|${text}`, paths: pathsKey(paths) }, done, { family: p.family, table, prefix: p, paths: [...paths] });
    else this.finish({ op: 'remove', key: `${table}|${text}` }, done);
    this.maxInflight = Math.max(this.maxInflight, this.inflight);
  }
  protected finish(op: Op, done: Done, spec?: VppRouteSpec): void {
    this.ops.push(op);
    this.inflight++;
    const run = () => {
      this.inflight--;
      const err = this.failWith?.(op) ?? null;
      if (!err) {
        if (op.op === 'replace') {
          this.fib.set(op.key, op.paths!);
          this.vpp.set(op.key, spec!);
        } else {
          this.fib.delete(op.key);
          this.vpp.delete(op.key);
        }
      }
      done(err);
    };
    if (this.hold) this.held.push(run);
    else setImmediate(run);
  }
  release(n = Infinity): number {
    const batch = this.held.splice(0, n);
    for (const r of batch) r();
    return batch.length;
  }
  async readOurs(onRoute: (spec: VppRouteSpec) => void): Promise<number> {
    if (!this.connected) throw new Error('VPP is not connected');
    const all = [...this.vpp.values()];
    for (const spec of all) {
      onRoute(spec);
      await new Promise((r) => setImmediate(r)); // a dump streams: other work runs between details
    }
    return all.length;
  }
  interfaceFor(i: number) {
    return this.ifmap.get(i);
  }
  get interfaces(): ReadonlyMap<number, number> {
    return this.ifmap;
  }
  onReconnect(cb: () => void) {
    this.reconnectCbs.push(cb);
  }
  onDisconnect(cb: (r: string) => void) {
    this.disconnectCbs.push(cb);
  }
  reconnect() {
    for (const cb of this.reconnectCbs) cb();
  }
  disconnect() {
    this.connected = false;
    for (const cb of this.disconnectCbs) cb('test');
  }
  /** Session resets asked for (a write timed out). */
  readonly resets: string[] = [];
  resetSession(reason: string) {
    this.resets.push(reason);
  }
  count(op: Op['op']) {
    return this.ops.filter((o) => o.op === op).length;
  }
}

/** The same port with room for 1,000 writes at a time: the rest wait in the reconciler. */
export class BulkFakePort extends FakePort {
  override capacity = 1000;
}
