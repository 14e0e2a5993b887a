// One seed's world: virtual time, the simulator as VPP, zebra modelled, fibmgr's lives one after
// another, the oracle, and the timeline that tells it all. The generator (generator.ts) acts on
// it; campaign.ts runs it. The seed's own settings are drawn here, in a fixed order.
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { parsePrefix } from '../../src/route/prefix.js';
import { Prng } from './prng.js';
import { VirtualTime } from './virtual-time.js';
import { VppWorld } from './vpp-world.js';
import { FibmgrNode, type FibmgrSettings } from './fibmgr-node.js';
import { ZebraModel, type FpmModule } from './zebra-model.js';
import { Oracle, fmt, type Violation } from './oracle.js';
import type { CampaignOptions, Faults } from './campaign.js';

export class ChaosWorld {
  readonly prng: Prng;
  readonly vt: VirtualTime;
  readonly faults: Faults;
  readonly vpp: VppWorld;
  readonly zebra: ZebraModel;
  readonly oracle: Oracle;
  readonly settings: FibmgrSettings;
  /** The seed has table 200 (the one VPP may refuse to create), and VPP refuses it for good. */
  readonly table200: boolean;
  /** fibmgr sees zebra's process (a systemd service beside zebra), or not (a sidecar in another PID namespace). */
  readonly zebraVisible: boolean;
  readonly tableRefusedForGood: boolean;
  /** The seed's settings in one line (the timeline's first). */
  readonly setting: string;
  readonly timeline: string[] = [];
  /** fibmgr's log lines, the last 300. */
  readonly log: string[] = [];
  violations: Violation[] = [];
  quietPeriods = 0;
  private current: FibmgrNode | null = null;
  private sessions = 0;
  /** When a fibmgr last sent VPP a delete, by "table|prefix". */
  private readonly deletes = new Map<string, number>();
  private readonly logger: Logger;

  constructor(readonly seed: number, readonly o: CampaignOptions, dir: string) {
    this.prng = new Prng(seed);
    this.vt = new VirtualTime(seed);
    this.faults = o.faults;
    const f = o.faults;
    const prng = this.prng;
    this.logger = pino({ level: 'info', base: null, timestamp: false }, {
      write: (s: string) => {
        this.log.push(`${fmt(this.vt.mono).padStart(10)} ${s.trim()}`);
        if (this.log.length > 300) this.log.shift();
      },
    });
    const module: FpmModule = prng.weighted({ 'nl-groups': 5, 'nl-inline': 2, legacy: f.legacyModule ? 2 : 0 });
    this.table200 = f.tableRefusal && prng.chance(0.5);
    this.zebraVisible = new Prng(seed ^ 0x2eb7a).chance(0.75); // a stream of its own, as below
    this.tableRefusedForGood = this.table200 && prng.chance(0.4);
    const maxBacklog = prng.pick([8, 64, 100_000, 100_000]);
    this.settings = {
      resyncGraceMs: o.resyncGraceMs,
      staleTimeMs: o.brokenStaleWait ? 1 : o.staleTimeMs,
      maxBacklog,
      vppTimeoutMs: 10_000,
      // a stream of its own: a setting added later leaves the seeds' other draws as they were
      auditIntervalMs: new Prng(seed ^ 0xa0d17).pick([600_000, 60_000, 15_000]),
    };
    this.setting = `module ${module}, zebra ${this.zebraVisible ? 'seen' : 'out of sight'}, maxBacklog ${maxBacklog}, audits every ${this.settings.auditIntervalMs / 1000} s${this.table200 ? `, table 200${this.tableRefusedForGood ? ' (VPP refuses to create it for good)' : ''}` : ''}`;
    this.vpp = new VppWorld(join(dir, 'vpp.sock'), seed);
    this.vt.progress = () => this.vpp.traffic;
    this.oracle = new Oracle(o.staleTimeMs, () => this.vt.mono, this.vpp, {
      // while VPP's session is down, what fibmgr believes installed awaits the reconnect's dump
      ready: () => this.current !== null && this.current.sync.state().vppReady,
      state: (key) => {
        const bar = key.indexOf('|');
        return this.current!.sync.explain(Number(key.slice(0, bar)), parsePrefix(key.slice(bar + 1))).state;
      },
      deleteSent: (key) => this.deletes.get(key) ?? -Infinity,
    });
    const oracle = this.oracle;
    this.zebra = new ZebraModel(prng.fork(), {
      module, resetWhenBlocked: prng.chance(0.5), replayGaps: f.replayGaps, replayStalls: f.replayStalls,
      resyncGraceMs: o.resyncGraceMs, scale: o.scale, table200: this.table200,
      // a zebra out of sight (another PID namespace) leaves fibmgr the replay alone to tell a
      // restart by: its daemons must then wait for its first burst to go quiet (ARCHITECTURE.md)
      earlyRelearn: f.earlyRelearn && this.zebraVisible, visible: this.zebraVisible,
    }, (ms, fn) => this.vt.after(ms, fn), () => this.vt.mono, {
      delivered: (k, t, held) => oracle.delivered(k, t, held),
      allowed: (k, t) => oracle.allowed(k, t),
      dropped: (k) => oracle.dropped(k),
      sessionEnded: () => oracle.sessionEnded(),
      note: (text) => this.note(text),
    });
    if (this.tableRefusedForGood) this.vpp.tablesRefused.add(200);
  }

  note(text: string): void {
    this.timeline.push(`${fmt(this.vt.mono).padStart(10)}  ${text}`);
  }

  /** The fibmgr running now, if any. */
  get fib(): FibmgrNode | null {
    return this.current;
  }

  /** The running fibmgr is about to go (stop or crash): zebra no longer finds it. */
  detachFib(): FibmgrNode | null {
    const old = this.current;
    this.current = null;
    this.zebra.fib = null;
    return old;
  }

  /** A new fibmgr life, unless one runs: it adopts what VPP holds. */
  readonly startFib = (): void => {
    if (this.current) return;
    const node = new FibmgrNode(this.vpp.socketPath, this.settings, this.logger, {
      listenBeforeAdoption: this.faults.earlyReplay,
      sessionId: () => ++this.sessions,
      sent: (key, del) => {
        if (del) this.deletes.set(key, this.vt.mono);
      },
    });
    this.current = node;
    this.zebra.fib = node;
    node.start().catch((err) => this.vt.errors.push(`fibmgr start failed: ${(err as Error).stack}`));
    this.note('fibmgr: started (adopts what VPP holds)');
  };

  readonly startVpp = (): void => {
    if (this.vpp.up) return;
    this.vpp.start().then(() => this.note('vpp: up (empty FIB)'), (err) => this.vt.errors.push(`vpp start failed: ${(err as Error).message}`));
  };

  startZebra(relearn: boolean): void {
    if (this.zebra.alive) return;
    this.zebra.start({ relearn });
    this.note(`zebra: started (generation ${this.zebra.generation})${relearn ? ': kernel routes at once, statics soon, bgp/ospf relearn in parts' : ''}`);
  }

  /** The oracle's look after each instant: true (stop) on a violation. */
  readonly look = (): boolean => {
    if (this.violations.length) return true;
    const v = this.oracle.check();
    if (this.vt.errors.length) v.push(...this.vt.errors.splice(0).map((e) => ({ kind: 'error' as const, detail: e })));
    if (v.length) {
      this.violations = v;
      this.note(`oracle: ${v.length} violation(s)`);
    }
    return v.length > 0;
  };

  /** Faults lifted, everyone up, zebra relearns at once; the stale time passes; then VPP must be zebra's table. */
  async quiet(): Promise<void> {
    const o = this.o;
    this.quietPeriods++;
    this.note(`— quiet period ${this.quietPeriods}: faults lifted, zebra relearns everything; ${fmt(o.staleTimeMs + 60_000)} pass`);
    this.vpp.heal(this.tableRefusedForGood);
    this.startVpp();
    this.startFib();
    this.startZebra(false);
    this.zebra.settle();
    await this.vt.advance(o.staleTimeMs + 60_000, this.look);
    if (this.violations.length) return;
    const s = this.current!.sync.state();
    const v = this.oracle.quietCheck(this.zebra.expected(), this.vpp.tablesRefused, { resyncing: s.resyncing, backlog: s.backlog, vppReady: s.vppReady, retrying: s.retrying });
    if (v.length) this.violations = v;
    else this.note(`— quiet period ${this.quietPeriods}: VPP holds zebra's ${this.zebra.rib.size} routes`);
  }

  /** Everything stops, on virtual time (the client's goodbye waits on timers). */
  async teardown(): Promise<void> {
    const last = this.current;
    this.zebra.kill();
    let done = false;
    void Promise.all([last?.stop().catch(() => undefined), this.vpp.sim.stop()]).then(() => (done = true));
    for (let i = 0; i < 100 && !done; i++) await this.vt.advance(1000);
  }
}
