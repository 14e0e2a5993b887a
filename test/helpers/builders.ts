// The objects tests hand to the sync layer, built in one place: a field renamed or added in the
// route model (a next hop's family, say) changes here, not in every test file. Defaults are what
// most tests mean (table main, protocol static, a gateway on ifindex 3); a test names only what
// its case is about.
import { test } from 'node:test';
import { pino, type Logger } from 'pino';
import { parseAddress, parsePrefix, prefixText } from '../../src/route/prefix.js';
import type { RouteReporter } from '../../src/route/sink.js';
import type { LspEvent, Nexthop, Prefix, NexthopGroupEvent, RouteEventRoute, RouteType, UnusableKind } from '../../src/route/types.js';
import { Reconciler, type ReconcilerOptions } from '../../src/sync/reconciler.js';
import { pathsKey } from '../../src/sync/vpp/vpp-fields.js';
import { SW_IF_INDEX_NONE, type VppPath } from '../../src/sync/vpp/vpp-port.js';
import { BulkFakePort, FakePort } from './fake-port.js';
import type { FakeClock } from './fake-clock.js';

/** A logger that writes nothing. */
export const quiet: Logger = pino({ level: 'silent' });

/** A next hop: a gateway (null: interface-only; its family as a decoder gives it) out of `ifindex` (null: zebra gave none). */
export function nexthop(gateway: string | null, ifindex: number | null = 3, weight = 1, labels: number[] = []): Nexthop {
  return { gateway, family: gateway === null ? null : parseAddress(gateway).family, ifindex, weight, labels };
}

/** What a route goes via: a gateway's text, several gateways, or next hops as they are. */
export type Via = string | readonly (string | Nexthop)[];

function hops(via: Via | undefined): Nexthop[] {
  if (via === undefined) return [];
  if (typeof via === 'string') return [nexthop(via)];
  // next hops as they are: the same array, as zebra's group gives every route using it
  if (via.every((h) => typeof h !== 'string')) return via as Nexthop[];
  return via.map((h) => (typeof h === 'string' ? nexthop(h) : h));
}

export interface RouteSpec {
  prefix: string;
  op?: 'add' | 'del';
  /** Ignored for a delete (zebra's deletes carry no next hops). */
  via?: Via;
  table?: number;
  /** Default: unicast for an add, unspec for a delete. */
  type?: RouteType;
  protocol?: string;
  /** rtm_protocol: left out unless given (as protobuf sends none), which notifications echo as 0. */
  protocolId?: number;
  metric?: number;
  nhg?: number | null;
}

/** A route event as a decoder gives it: `route({ prefix: '10.0.0.0/24', via: '10.0.2.2' })`. */
export function route(s: RouteSpec): RouteEventRoute {
  const op = s.op ?? 'add';
  const prefix = parsePrefix(s.prefix);
  const ev = {
    kind: 'route', op, family: prefix.family, table: s.table ?? 254, prefix, type: s.type ?? (op === 'del' ? 'unspec' : 'unicast'),
    protocol: s.protocol ?? 'static', metric: s.metric ?? 0, nhg: s.nhg ?? null, nexthops: op === 'del' ? [] : hops(s.via),
  } as RouteEventRoute;
  if (s.protocolId !== undefined) ev.protocolId = s.protocolId;
  return ev;
}

/** A route's fields past its prefix, next hops and op. */
export type RouteOpts = Omit<RouteSpec, 'prefix' | 'via' | 'op'>;

/** An add of `prefix` via `via`; `o` for the rest. */
export function add(prefix: string, via?: Via, o: RouteOpts = {}): RouteEventRoute {
  return route({ ...o, prefix, via, op: 'add' });
}

/** A delete of `prefix`. */
export function del(prefix: string, o: RouteOpts = {}): RouteEventRoute {
  return route({ ...o, prefix, op: 'del' });
}

/** `add` and `del` with a file's own defaults (zebra's protocol id for static routes, say). */
export function routesWith(defaults: RouteOpts): { add: typeof add; del: typeof del } {
  return {
    add: (prefix, via, o = {}) => add(prefix, via, { ...defaults, ...o }),
    del: (prefix, o = {}) => del(prefix, { ...defaults, ...o }),
  };
}

/** A group whose members changed (zebra re-sends no route using it): its routes now go via `via`. */
export function groupChange(id: number, via: Via): NexthopGroupEvent {
  return { kind: 'nexthop-group', op: 'add', id, replaced: true, resolved: hops(via) };
}

/** A group redefined as one fibmgr cannot use (a group of groups, by default): its routes go. */
export function groupUnusable(id: number, what: UnusableKind = 'nested-group', reason = 'test'): NexthopGroupEvent {
  return { kind: 'nexthop-group', op: 'add', id, replaced: true, unusable: { what, reason } };
}

/** An LSP: packets arriving with `label` go via `via` (each next hop's labels the stack replacing it). */
export function lsp(label: number, via: Via = [], o: Partial<Omit<LspEvent, 'kind' | 'label' | 'nexthops'>> = {}): LspEvent {
  return { kind: 'lsp', op: 'add', label, eos: true, protocol: 'static', protocolId: 196, ...o, nexthops: o.op === 'del' ? [] : hops(via) };
}

/** A VPP path: normal, IPv4, recursive (no interface), weight 1, unless said. */
export function path(p: Partial<VppPath> = {}): VppPath {
  return { kind: 'normal', proto: 4, gateway: null, swIfIndex: SW_IF_INDEX_NONE, weight: 1, labels: [], ...p };
}

/** The paths key (what the fake port holds per route) of these paths; a string is a recursive gateway. */
export function pathsOf(...paths: (string | Partial<VppPath>)[]): string {
  return pathsKey(paths.map((p) => path(typeof p === 'string' ? { gateway: p } : p)));
}

/** The options every reconciler test starts from: no table map, connected routes skipped, no log. */
export function reconcilerOptions(o: Partial<ReconcilerOptions> & Pick<ReconcilerOptions, 'resyncGraceMs'>): ReconcilerOptions {
  return { tableMap: new Map(), installConnected: false, maxBacklog: 10_000, logger: quiet, ...o };
}

/** A reconciler over `port` (not started); options past `reconcilerOptions`' as given. */
export function reconciler(port: ConstructorParameters<typeof Reconciler>[0], o: Partial<ReconcilerOptions> & Pick<ReconcilerOptions, 'resyncGraceMs'>): Reconciler {
  return new Reconciler(port, reconcilerOptions(o));
}

/** Every scenario twice: a port taking any number of writes at once, and one taking 1,000 (`bulk`). */
export function bothPorts(name: string, fn: (port: FakePort) => Promise<void>): void {
  test(name, () => fn(new FakePort()));
  test(`${name} (bulk writes)`, () => fn(new BulkFakePort()));
}

/** One notification to zebra, as the reporter was called. */
export interface Report {
  family: 4 | 6;
  /** The route's text, "10.1.0.0/16". */
  prefix: string;
  table: number;
  protocol: number;
  type: RouteType;
  installed: boolean;
  /** A source-specific route's source prefix text. */
  from?: string;
}

/** "offload 254 10.1.0.0/16 p196 unicast", the way most tests read the reports. */
export const reportLine = (n: Report): string => `${n.installed ? 'offload' : 'failed'} ${n.table} ${n.prefix}${n.from ? ` from ${n.from}` : ''} p${n.protocol} ${n.type}`;

/**
 * The way back to zebra, recording: each report as `format` writes it (in `got`); `full` refuses
 * reports until `open()`; `until(n)` resolves once `n` have been reported.
 */
export class RecordingReporter implements RouteReporter {
  readonly got: string[] = [];
  full = false;
  private room: (() => void)[] = [];
  private waiters: { n: number; resolve: () => void }[] = [];
  constructor(private readonly format: (n: Report) => string = reportLine) {}
  report(dst: Prefix, table: number, protocol: number, type: RouteType, installed: boolean, src: Prefix | null = null): boolean {
    if (this.full) return false;
    const prefix = prefixText(dst);
    const from = src !== null && src.len > 0 ? prefixText(src) : undefined;
    this.got.push(this.format({ family: dst.family, prefix, table, protocol, type, installed, ...(from ? { from } : {}) }));
    for (const w of this.waiters.filter((x) => this.got.length >= x.n)) w.resolve();
    return true;
  }
  onRoom(cb: () => void): void {
    this.room.push(cb);
  }
  open(): void {
    this.full = false;
    for (const cb of this.room) cb();
  }
  /** Resolves once `n` notifications in all have been reported. */
  until(n: number): Promise<void> {
    if (this.got.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
}

/** Waits (for the event, not a time) until every write has been acknowledged. */
export async function written(r: Reconciler, port: FakePort): Promise<void> {
  while (r.state().backlog > 0 || port.inflight > 0) await new Promise((res) => setImmediate(res));
}

/**
 * Runs the fake clock on, `stepMs` at a time with the event loop turning between steps (writes
 * complete on setImmediate), until the reconciler is idle; throws past `maxMs` of fake time. For
 * waits the daemon measures in minutes (the stale time), which real time must not pay for.
 */
export async function idleOn(r: Reconciler, clock: FakeClock, maxMs = 600_000, stepMs = 10): Promise<void> {
  let idle = false;
  void r.idle().then(() => { idle = true; });
  for (let t = 0; ; t += stepMs) {
    await new Promise((res) => setImmediate(res));
    if (idle) return;
    if (t >= maxMs) throw new Error(`not idle after ${maxMs} ms of fake time: ${JSON.stringify(r.state().stale)}`);
    clock.advance(stepMs);
  }
}
