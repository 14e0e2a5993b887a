// LSPs (zebra's MPLS routes) → VPP's MPLS table 0. Small beside the IP routes' machinery: LSPs are
// few (a label per FEC and neighbour), so each is its own entry with its own write. Per label,
// what zebra wants (translated paths) and what VPP holds; VPP forwards a label at the bottom of
// the stack (EOS) and above it (non-EOS) by two entries, written alike: zebra's LSPs match the
// label wherever it is in the stack. The VPP session's phases come from vpp-session.ts (ready:
// adopt VPP's entries, then diff); zebra's session from the reconciler (a new session marks every
// LSP stale; the resync's end removes what its replay did not confirm).
import { isTimeout } from 'vpp-binapi-ts';
import type { Logger } from '../../log.js';
import type { ErrorEvent, LspEvent, Nexthop } from '../../route/types.js';
import { wallText, type Clock, type Timer } from '../clock.js';
import { translatePaths } from '../state/translate.js';
import { pathsKey } from '../vpp/vpp-fields.js';
import type { MplsPort, VppPath, VppPort } from '../vpp/vpp-port.js';
import type { LspAudit } from '../reconciler-types.js';
import { lspWaitUntil } from '../zebra/stale-rule.js';

export interface LspEntry {
  label: number;
  /** zebra's next hops (kept: a new interface map translates them again), null once zebra deleted it. */
  hops: readonly Nexthop[] | null;
  protocol: string;
  /** The paths VPP should hold (both EOS entries), or null: none. */
  want: VppPath[] | null;
  /** What VPP holds, as adopted or written (pathsKey of both entries; they differ: 'eos|neos'). */
  haveKey: string | null;
  have: VppPath[] | null;
  /** Why zebra's LSP is not installed (unmappable next hops, an unusable message), or null. */
  skip: string | null;
  /** zebra's session generation that last spoke of it (0: adopted from VPP, never confirmed). */
  gen: number;
  writing: boolean;
  tries: number;
  error: string | null;
  retry: Timer | null;
}

/** A protocol's LSPs zebra's replay has not confirmed, kept in VPP until zebra re-sends them or the deadline. */
export interface LspWait {
  protocol: string;
  lsps: number;
  /** The deadline, wall-clock time. */
  until: string;
}

/**
 * VPP's MPLS table 0 as fibmgr sees it: `ready` (created, adopted; LSPs are written), `waiting`
 * (no VPP session ready: LSPs wait for the adoption), `unsupported` (this VPP lacks the messages).
 */
export type MplsTableState = 'ready' | 'waiting' | 'unsupported';

/** The LSPs at a glance, for /state and `fibmgr status`. */
export interface LspState extends LspCounts {
  /** LSPs whose VPP state differs from what zebra wants (being written, or failing). */
  pending: number;
  /** LSPs VPP refused: retried with backoff (their last error in `fibmgr show label`). */
  failed: number;
  /** LSPs zebra sent that are not installed now (no usable next hop, too deep a stack, an unusable message). */
  notInstallable: number;
  /** Per protocol, LSPs zebra has not re-sent since its last session, kept until then or the deadline. */
  held: LspWait[];
  table: MplsTableState;
  unsupported: string | null;
}

/** What the resync knows of zebra when it is over (resync.ts). */
export interface LspSweepContext {
  /** The session is the same zebra process as the last one (seen, not relearning a restart). */
  sameZebra: boolean;
  /** A zebra restart's relearn runs until then (null: none within the stale time). */
  relearnUntil: number | null;
  staleTimeMs: number;
}

export interface LspCounts {
  /** LSPs zebra wants installed. */
  desired: number;
  /** LSPs VPP holds from fibmgr. */
  installed: number;
  /** mpls_route_add_del requests answered with an error (each retried with backoff). */
  errors: number;
  /** LSPs zebra sent that cannot be installed (no usable next hop, an unusable message). */
  skipped: number;
  /** Adopted LSPs the resync removed because zebra's replay did not confirm them. */
  swept: number;
}

const keyOf = (paths: readonly VppPath[] | null): string | null => (paths === null ? null : pathsKey(paths));

export class LspSync {
  private readonly lsps = new Map<number, LspEntry>();
  private gen = 0;
  /** When zebra's session began, and the protocols its LSP adds came under. */
  private sessionAt = 0;
  private mentioned = new Set<string>();
  /** Protocols whose unconfirmed LSPs are held for zebra: protocol → deadline (stale-rule.ts, lspWaitUntil). */
  private readonly waits = new Map<string, number>();
  private mpls: MplsPort | null = null;
  private ready = false;
  /** Interfaces MPLS input is enabled on (or being enabled: concurrent writes share the one request) in this VPP session. */
  private enabled = new Map<number, Promise<void>>();
  private stopped = false;
  private readonly log: Logger;
  readonly counts = { errors: 0, skipped: 0, swept: 0 };
  /** Why this VPP cannot hold LSPs (it lacks the MPLS messages), once seen. */
  unsupported: string | null = null;

  constructor(
    private readonly port: VppPort, logger: Logger, private readonly clock: Clock,
    /** Called after every write's completion (the reconciler's idle waiters). */
    private readonly settled: () => void,
    private readonly retryMinMs = 200, private readonly retryMaxMs = 30_000,
    /** How long a delete waits for the add that may follow it (a change as delete + add: no gap). */
    private readonly deleteHoldMs = 50,
    /** VPP did not answer in time: the session is reset, and its adoption reads what VPP holds. */
    private readonly timedOut: (what: string) => void = () => {},
  ) {
    this.log = logger.child({ component: 'lsp' });
    port.onDisconnect(() => {
      this.ready = false;
    });
  }

  // --- zebra ------------------------------------------------------------------------------------

  sessionStart(gen: number): void {
    this.gen = gen;
    this.sessionAt = this.clock.now();
    this.mentioned = new Set();
  }

  event(ev: LspEvent): void {
    const e = this.entry(ev.label);
    e.gen = this.gen;
    if (ev.op === 'del') {
      e.hops = null;
      e.skip = null;
      this.want(e, null);
      return;
    }
    e.hops = ev.nexthops;
    e.protocol = ev.protocol;
    this.mentioned.add(ev.protocol);
    this.translate(e);
  }

  /** An LSP message fibmgr could not use: the LSP cannot be installed as zebra sent it. */
  unusable(ev: ErrorEvent): void {
    const e = this.entry(ev.lsp!);
    e.gen = this.gen;
    e.hops = null;
    // an add that cannot be used is remembered (show label says why); a delete's label is forgotten
    e.skip = ev.lspOp === 'add' ? `unusable-message: ${ev.what}: ${ev.reason}` : null;
    if (ev.lspOp === 'add') this.counts.skipped++;
    this.want(e, null);
  }

  /**
   * The resync is over (or a wait's deadline came): per protocol, what zebra's replay did not
   * confirm goes now or is held until its deadline (lspWaitUntil). Returns the earliest deadline
   * still ahead, or null.
   */
  sweepStale(ctx: LspSweepContext): number | null {
    const now = this.clock.now();
    const unconfirmed = new Map<string, LspEntry[]>();
    for (const e of this.lsps.values()) {
      if (e.gen >= this.gen) continue;
      // one left out that zebra's replay no longer mentions is forgotten (bounded by zebra's table)
      if (e.want === null && e.skip !== null) {
        e.skip = null;
        e.hops = null;
        this.schedule(e);
      }
      if (e.want === null) continue;
      const list = unconfirmed.get(e.protocol);
      if (list) list.push(e);
      else unconfirmed.set(e.protocol, [e]);
    }
    // a group whose LSPs all came back (or went) waits no more
    for (const p of [...this.waits.keys()]) if (!unconfirmed.has(p)) this.waits.delete(p);
    let n = 0;
    let next: number | null = null;
    for (const [protocol, list] of unconfirmed) {
      const until = lspWaitUntil({ protocol, mentioned: this.mentioned.has(protocol), sameZebra: ctx.sameZebra, relearnUntil: ctx.relearnUntil, waiting: this.waits.get(protocol) ?? null, sessionAt: this.sessionAt, staleTimeMs: ctx.staleTimeMs });
      if (until > now) {
        if (!this.waits.has(protocol)) this.log.info({ protocol: protocol || 'adopted', lsps: list.length, untilMs: until - now }, 'LSPs zebra has not re-sent are kept while it may relearn them');
        this.waits.set(protocol, until);
        next = next === null ? until : Math.min(next, until);
        continue;
      }
      this.waits.delete(protocol);
      for (const e of list) {
        e.hops = null;
        this.want(e, null);
      }
      n += list.length;
    }
    this.counts.swept += n;
    if (n > 0) this.log.info({ swept: n }, 'LSPs zebra did not replay removed');
    return next;
  }

  /** `fibmgr sweep`: every LSP held for zebra goes now. Returns how many. */
  sweepHeld(): number {
    let n = 0;
    for (const e of this.lsps.values()) {
      if (e.gen >= this.gen || e.want === null || !this.waits.has(e.protocol)) continue;
      e.hops = null;
      this.want(e, null);
      n++;
    }
    this.waits.clear();
    this.counts.swept += n;
    if (n > 0) this.log.info({ swept: n }, 'LSPs held for zebra removed by the operator');
    return n;
  }

  /** The LSP groups held for zebra now (protocol '' : adopted from VPP). */
  held(): LspWait[] {
    const count = new Map<string, number>();
    for (const e of this.lsps.values()) if (e.gen < this.gen && e.want !== null && this.waits.has(e.protocol)) count.set(e.protocol, (count.get(e.protocol) ?? 0) + 1);
    return [...this.waits].filter(([p]) => count.has(p)).map(([protocol, until]) => ({ protocol, lsps: count.get(protocol)!, until: wallText(this.clock, until) }));
  }

  private entry(label: number): LspEntry {
    let e = this.lsps.get(label);
    if (!e) {
      e = { label, hops: null, protocol: '', want: null, haveKey: null, have: null, skip: null, gen: 0, writing: false, tries: 0, error: null, retry: null };
      this.lsps.set(label, e);
    }
    return e;
  }

  /**
   * zebra's next hops → the paths VPP should hold. `sent`: zebra sent the LSP now (counted when
   * left out); otherwise the interface map changed: an LSP is counted once per message, not per
   * translation, and one whose paths stay the same is left alone (its retry keeps its backoff).
   */
  private translate(e: LspEntry, sent = true): void {
    const t = translatePaths(4, 'unicast', e.hops!, { interfaceFor: (i) => this.port.interfaceFor(i) });
    if (!t.ok) {
      const skip = `${t.reason}${t.detail ? `: ${t.detail}` : ''}`;
      if (!sent && skip === e.skip) return;
      e.skip = skip;
      if (sent) this.counts.skipped++;
      this.log.warn({ label: e.label, reason: e.skip, nexthops: e.hops }, 'LSP not installed');
      this.want(e, null);
      return;
    }
    if (!sent && e.skip === null && keyOf(t.paths) === keyOf(e.want)) return;
    e.skip = null;
    this.want(e, t.paths);
  }

  private want(e: LspEntry, paths: VppPath[] | null): void {
    e.want = paths;
    e.tries = 0;
    e.retry?.cancel();
    e.retry = null;
    if (paths === null && e.have !== null && this.deleteHoldMs > 0) {
      // FRR without route replace sends a change as a delete and an add: the add, if it comes,
      // replaces what VPP holds and cancels this
      e.retry = this.clock.after(this.deleteHoldMs, () => {
        e.retry = null;
        this.schedule(e);
      });
      return;
    }
    this.schedule(e);
  }

  /** The interface map changed: every LSP is translated again (they are few). */
  interfacesChanged(): void {
    for (const e of this.lsps.values()) if (e.hops !== null) this.translate(e, false);
    // a newly mapped interface takes labelled packets as the others do
    if (this.ready && this.mpls && this.installed > 0) this.enableMapped(this.mpls);
  }

  // --- VPP --------------------------------------------------------------------------------------

  /**
   * A VPP session is being adopted (first start or a reconnect): its MPLS table is read (a failure
   * fails the adoption, which is retried), then the diff is written.
   */
  async adopt(initial: boolean): Promise<void> {
    const mpls = this.port.mpls;
    if (!mpls) {
      this.unsupported = 'VPP lacks the MPLS messages (mpls_table_add_del, mpls_route_add_del, mpls_route_dump, sw_interface_set_mpls_enable)';
      if (this.lsps.size > 0) this.log.warn({}, `LSPs not installed: ${this.unsupported}`);
      return;
    }
    this.unsupported = null;
    this.mpls = mpls;
    this.enabled = new Map();
    const specs = await mpls.prepare();
    const byLabel = entriesByLabel(specs);
    for (const e of this.lsps.values()) {
      e.have = null;
      e.haveKey = null;
    }
    for (const [label, b] of byLabel) {
      const e = this.entry(label);
      const ke = keyOf(b.eos), kn = keyOf(b.neos);
      e.have = b.eos ?? b.neos;
      e.haveKey = ke === kn ? ke : `${ke}|${kn}`;
      // at start zebra's LSPs are not known yet: VPP's stay until zebra's replay confirms them
      if (initial && e.gen === 0 && e.want === null && e.hops === null) e.want = e.have;
    }
    this.ready = true;
    this.log.info({ installed: byLabel.size, desired: this.desired }, 'VPP\'s MPLS table adopted');
    for (const e of this.lsps.values()) this.schedule(e);
    this.settled();
  }

  private schedule(e: LspEntry): void {
    if (!this.ready || this.stopped || e.writing || e.retry) return;
    if (keyOf(e.want) === e.haveKey) {
      if (e.want === null && e.hops === null && e.skip === null) this.lsps.delete(e.label);
      return;
    }
    void this.write(e);
  }

  private async write(e: LspEntry): Promise<void> {
    const mpls = this.mpls!;
    const paths = e.want;
    const key = keyOf(paths);
    e.writing = true;
    try {
      if (paths) {
        this.enableMapped(mpls);
        for (const p of paths) if (p.swIfIndex !== 0xffffffff) await this.enable(mpls, p.swIfIndex);
      }
      await mpls.write(e.label, false, paths);
      await mpls.write(e.label, true, paths);
      e.have = paths;
      e.haveKey = key;
      e.tries = 0;
      e.error = null;
    } catch (err) {
      e.error = (err as Error).message;
      if (isTimeout(err)) {
        // not a refusal: what VPP holds for the label is unknown until the reset's adoption reads it
        e.haveKey = 'unknown';
        this.ready = false;
        this.timedOut(`an LSP write (label ${e.label})`);
        return;
      }
      if (!this.ready || !this.port.connected) return; // lost with the session: the next adoption diffs it
      this.counts.errors++;
      const delay = Math.min(this.retryMaxMs, this.retryMinMs * 2 ** Math.min(e.tries++, 10));
      this.log.warn({ label: e.label, err: e.error, retryInMs: delay }, paths ? 'LSP not installed: retrying' : 'LSP not removed: retrying');
      if (this.ready) e.retry = this.clock.after(delay, () => {
        e.retry = null;
        this.schedule(e);
      });
    } finally {
      e.writing = false;
    }
    this.schedule(e);
    this.settled();
  }

  /**
   * MPLS input on every mapped interface: labelled packets arrive where the upstream router sends
   * them, not where the LSPs leave (VPP drops them on an interface without it: "MPLS not
   * enabled"). An interface that refuses is logged and asked again at the next write; the LSPs
   * themselves wait only for the interfaces they use.
   */
  private enableMapped(mpls: MplsPort): void {
    for (const swIfIndex of new Set(this.port.interfaces.values())) {
      if (this.enabled.has(swIfIndex)) continue;
      this.enable(mpls, swIfIndex).catch((err: Error) => this.log.warn({ swIfIndex, err: err.message }, 'MPLS input not enabled on a mapped interface: asked again at the next LSP write'));
    }
  }

  private enable(mpls: MplsPort, swIfIndex: number): Promise<void> {
    let done = this.enabled.get(swIfIndex);
    if (!done) {
      const enabled = this.enabled;
      done = mpls.enable(swIfIndex);
      enabled.set(swIfIndex, done);
      done.catch(() => enabled.delete(swIfIndex)); // the next write asks again
    }
    return done;
  }

  // --- what operators see -----------------------------------------------------------------------

  get desired(): number {
    let n = 0;
    for (const e of this.lsps.values()) if (e.want !== null) n++;
    return n;
  }

  get installed(): number {
    let n = 0;
    for (const e of this.lsps.values()) if (e.have !== null) n++;
    return n;
  }

  /** LSPs whose VPP state differs from what zebra wants (being written, or failing). */
  get pending(): number {
    let n = 0;
    for (const e of this.lsps.values()) if (keyOf(e.want) !== e.haveKey) n++;
    return n;
  }

  state(): LspState {
    let failed = 0, notInstallable = 0;
    for (const e of this.lsps.values()) {
      if (e.error !== null && e.retry !== null) failed++;
      if (e.skip !== null) notInstallable++;
    }
    const table: MplsTableState = this.unsupported !== null ? 'unsupported' : this.ready ? 'ready' : 'waiting';
    return { desired: this.desired, installed: this.installed, pending: this.pending, failed, notInstallable, held: this.held(), table, unsupported: this.unsupported, ...this.counts };
  }

  /** One label: zebra's next hops, the paths wanted and installed, why not, the last error. */
  explain(label: number): { label: number; known: boolean; protocol?: string; nexthops?: readonly Nexthop[] | null; want?: string | null; have?: string | null; skip?: string | null; error?: string | null; tries?: number } {
    const e = this.lsps.get(label);
    if (!e) return { label, known: false };
    return { label, known: true, protocol: e.protocol, nexthops: e.hops, want: keyOf(e.want), have: e.haveKey, skip: e.skip, error: e.error, tries: e.tries };
  }

  /** What VPP holds for `label` now (its EOS and non-EOS entries), or why it cannot be told. */
  async vppOf(label: number): Promise<{ eos: string | null; neos: string | null } | string> {
    const mpls = this.port.mpls;
    if (!mpls) return this.unsupported ?? 'this VPP port has no MPLS table (dry run, or VPP lacks the MPLS messages)';
    if (!this.port.connected) return 'VPP is not connected';
    try {
      const specs = (await mpls.read()).filter((s) => s.label === label);
      return { eos: keyOf(specs.find((s) => s.eos)?.paths ?? null), neos: keyOf(specs.find((s) => !s.eos)?.paths ?? null) };
    } catch (err) {
      return `reading VPP's MPLS table failed: ${(err as Error).message}`;
    }
  }

  /**
   * VPP's MPLS table against what fibmgr believes it installed (both entries of each label).
   * `repair`: VPP's view becomes the installed state, and the diff writes what zebra wants.
   * Undefined when it cannot be told (no MPLS in this VPP port, VPP not ready).
   */
  async audit(repair: boolean, maxDrift: number): Promise<LspAudit | undefined> {
    const mpls = this.port.mpls;
    if (!mpls || !this.ready) return undefined;
    const specs = await mpls.read();
    const vpp = entriesByLabel(specs);
    const r: LspAudit = { checked: vpp.size, unjudged: 0, missing: 0, extra: 0, different: 0, repaired: 0, drift: [] };
    const labels = new Set([...vpp.keys(), ...[...this.lsps.values()].filter((e) => e.have !== null).map((e) => e.label)]);
    for (const label of [...labels].sort((a, b) => a - b)) {
      const e = this.lsps.get(label);
      if (e && (e.writing || e.retry)) {
        r.unjudged++;
        continue;
      }
      const b = vpp.get(label);
      const ke = keyOf(b?.eos ?? null), kn = keyOf(b?.neos ?? null);
      const vppKey = b ? (ke === kn ? ke : `${ke}|${kn}`) : null;
      const ours = e?.haveKey ?? null;
      if (vppKey === ours) continue;
      const kind = ours === null ? 'extra' : vppKey === null ? 'missing' : 'different';
      r[kind]++;
      if (r.drift.length < maxDrift) r.drift.push({ label, kind, vpp: vppKey, fibmgr: ours });
      if (repair) {
        const x = e ?? this.entry(label);
        x.have = b ? (b.eos ?? b.neos) : null;
        x.haveKey = vppKey;
        r.repaired++;
        this.schedule(x);
      }
    }
    return r;
  }

  /** Every label fibmgr knows, sorted (tests and `show route`). */
  labels(): number[] {
    return [...this.lsps.keys()].sort((a, b) => a - b);
  }

  get idle(): boolean {
    if (!this.ready) return this.mpls === null || this.lsps.size === 0;
    for (const e of this.lsps.values()) if (e.writing || keyOf(e.want) !== e.haveKey) return false;
    return true;
  }

  stop(): void {
    this.stopped = true;
    for (const e of this.lsps.values()) {
      e.retry?.cancel();
      e.retry = null;
    }
  }
}

/** VPP's MPLS entries paired per label: a label has an EOS and a non-EOS entry. */
function entriesByLabel(specs: readonly { label: number; eos: boolean; paths: VppPath[] | null }[]): Map<number, { eos: VppPath[] | null; neos: VppPath[] | null }> {
  const byLabel = new Map<number, { eos: VppPath[] | null; neos: VppPath[] | null }>();
  for (const s of specs) {
    const b = byLabel.get(s.label) ?? { eos: null, neos: null };
    if (s.eos) b.eos = s.paths;
    else b.neos = s.paths;
    byLabel.set(s.label, b);
  }
  return byLabel;
}
