// The VPP side's states, one at a time:
//
//   down ──start──▶ adopting ──dump complete──▶ ready ──socket lost──▶ lost ──reconnect──▶ adopting
//                     ▲ │ failed: retry with backoff       │                 ▲                │
//                     └─┘                                  └─a request timed─┘                ▼
//                                                            out: reset           (the same diff)
//
// adopting: the port finds our FIB source and interfaces and streams VPP's routes of our source
// into `have` (a fibmgr restart thus writes nothing VPP already holds); at the first adoption
// they are also kept as wanted until zebra's replay confirms or sweeps them. ready: the diff of
// want against have is queued and the writer runs. lost: writes wait; the reconnect adopts again.
// A request VPP does not answer in time leaves what VPP did unknown: the session is reset, and
// the reconnect's adoption reads what VPP holds.
import type { Logger } from '../../log.js';
import type { Clock } from '../clock.js';
import type { PathSet } from '../state/path-sets.js';
import type { Entry } from '../state/route-entry.js';
import type { RouteState } from '../state/route-state.js';
import type { RouteWriter } from '../write/route-writer.js';
import type { Ownership, VppPort, VppRouteSpec } from './vpp-port.js';
import { changedInterfaces } from '../state/translate.js';
import { isTimeout } from 'vpp-binapi-ts';

export type VppPhase = 'down' | 'adopting' | 'ready' | 'lost';

export interface VppSessionHost {
  /** Every route after a completed adoption (route notifications owed are noted there). */
  adopted(e: Entry): void;
  /** The interface map VPP's session loaded differs from the last one at these Linux ifindexes. */
  interfacesChanged(changed: ReadonlySet<number>): void;
  /** More of VPP to adopt in the same phase, after the routes (LSPs); `initial`: fibmgr's first session. */
  adoptMore?(initial: boolean): Promise<void>;
}

export class VppSession {
  phase: VppPhase = 'down';
  ownership: Ownership | null = null;
  /** Set while VPP's routes of our source stream in. */
  adopting: { initial: boolean; installed: number; adopted: number } | null = null;
  private preparing: Promise<void> | null = null;
  private prepareAgain = false;
  /** A reset is asked for (once for all the timeouts of one turn). */
  private resetting = false;
  /** Path sets of the adoption under way, by the array the port handed over. */
  private adoptSets = new WeakMap<readonly object[], PathSet>();
  /** The interface map routes were translated with (a copy: the port replaces its own). */
  private translatedWith: ReadonlyMap<number, number>;
  /** Resolves once the first VPP session has loaded its interface map. */
  readonly interfacesLoaded: Promise<void>;
  private loaded!: () => void;

  constructor(
    private readonly port: VppPort,
    private readonly state: RouteState,
    private readonly writer: RouteWriter,
    private readonly log: Logger,
    private readonly host: VppSessionHost,
    private readonly clock: Clock,
  ) {
    this.translatedWith = new Map(port.interfaces);
    this.interfacesLoaded = new Promise((resolve) => (this.loaded = resolve));
    port.onReconnect(() => void this.prepare(false));
    port.onDisconnect((reason) => {
      this.phase = 'lost';
      this.log.warn({ reason, backlog: this.writer.backlog }, 'VPP lost: writes wait for the reconnect, then everything is diffed against a dump of VPP');
    });
  }

  get ready(): boolean {
    return this.phase === 'ready';
  }

  /** Adopts what VPP holds from our source, retrying until it can (or the writer stops). */
  prepare(initial: boolean): Promise<void> {
    if (this.preparing) {
      this.prepareAgain = true;
      return this.preparing;
    }
    this.phase = 'adopting';
    this.preparing = (async () => {
      for (let attempt = 0; ; attempt++) {
        this.prepareAgain = false;
        try {
          const t0 = this.clock.now();
          this.adopting = { initial, installed: 0, adopted: 0 };
          const sink = { begin: (o: Ownership) => this.begin(o), route: (spec: VppRouteSpec) => this.adoptOne(spec) };
          const { ownership } = await this.port.prepare(sink);
          if (this.writer.stopping) return;
          if (!this.prepareAgain) await this.host.adoptMore?.(initial);
          if (this.writer.stopping) return;
          if (this.prepareAgain) continue;
          this.end(ownership, this.clock.now() - t0);
          return;
        } catch (err) {
          if (this.writer.stopping) return;
          if (isTimeout(err)) this.timedOut('reading VPP\'s state');
          const delay = Math.min(10_000, 200 * 2 ** Math.min(attempt, 6));
          this.log.warn({ err: (err as Error).message, retryInMs: delay }, 'could not read VPP state: retrying');
          await new Promise<void>((r) => this.writer.later(delay, r));
          if (this.writer.stopping) return;
        } finally {
          this.adopting = null;
        }
      }
    })().finally(() => {
      this.preparing = null;
    });
    return this.preparing;
  }

  /** VPP did not answer `what` in time: the session is reset (after this turn's other timeouts). */
  timedOut(what: string): void {
    if (this.resetting) return;
    this.resetting = true;
    queueMicrotask(() => {
      this.resetting = false;
      if (this.writer.stopping || !this.port.connected) return;
      this.log.warn({ what, phase: this.phase, backlog: this.writer.backlog }, 'VPP did not answer in time: resetting the session (what it did is unknown; its routes are read again after the reconnect)');
      this.port.resetSession(`no reply in time to ${what}`);
    });
  }

  /** The dump of VPP's routes of our source begins: what fibmgr believed installed is forgotten. */
  private begin(ownership: Ownership): void {
    this.ownership = ownership;
    this.adoptSets = new WeakMap();
    for (const info of this.state.routes.allTables()) info.ready = false;
    this.writer.resetSession();
    // With the API source nothing of ours can be dumped: a route zebra deleted meanwhile is still
    // deleted (VPP answers 0 if it is already gone); everything wanted is rewritten.
    this.state.forgetHaves((e) => ownership.mode === 'api' && e.want === null && e.have !== null);
    // the port loaded VPP's interface map before this: the routes it changes are translated again
    // (the diff at the end of the adoption writes them), those decoded before the first map included
    const changed = changedInterfaces(this.translatedWith, this.port.interfaces);
    this.translatedWith = new Map(this.port.interfaces);
    if (changed.size > 0) this.host.interfacesChanged(changed);
    this.loaded();
  }

  /** One route of our source, as the dump streams in: VPP's truth becomes the installed state. */
  private adoptOne(spec: VppRouteSpec): void {
    const a = this.adopting;
    if (!a) return;
    a.installed++;
    const e = this.state.routes.lookup(spec.table, spec.prefix, true);
    // the port hands equal path sets over as one array: intern (and key) each once
    const ps = this.state.sets.internOnce(spec.paths, this.adoptSets);
    this.state.have(e, ps);
    // At start fibmgr does not know zebra's table yet: keep VPP's routes until zebra's first
    // replay confirms or sweeps them (zebra's replay may already be streaming in: a route it
    // mentioned is its, not VPP's). After a VPP reconnect zebra's table is known.
    if (a.initial && e.want === null && e.gen === 0) {
      this.state.want(e, ps, 0);
      a.adopted++;
    }
    if (spec.table !== 0) e.slot.info.ready = true;
  }

  /** The dump is complete: diff zebra's table against VPP's and start writing. */
  private end(ownership: Ownership, ms: number): void {
    const a = this.adopting!;
    this.writer.clearQueues();
    let toWrite = 0;
    this.state.routes.forEach((e) => {
      if (e.want !== e.have) toWrite++;
      this.host.adopted(e);
      this.writer.schedule(e);
    });
    this.phase = 'ready';
    this.log.info({ ownership: ownership.mode, source: ownership.sourceId, installed: a.installed, adopted: a.adopted, desired: this.state.desired, toWrite, ms }, a.initial ? 'VPP ready: adopted our routes' : 'VPP back: diffing zebra\'s table against VPP\'s');
    this.writer.kick();
  }
}
