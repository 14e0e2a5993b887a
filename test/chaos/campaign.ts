// One seed of the fault campaign: the simulator as VPP, fibmgr's reconciler, writer, VPP client
// and adapter in this process on virtual time, zebra modelled (zebra-model.ts), and a generator
// that interleaves their lives from the seed. The oracle (oracle.ts) looks after every instant
// and after every quiet period. A failure comes back with the timeline that led to it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Prng } from './prng.js';
import { VirtualTime } from './virtual-time.js';
import { VppWorld } from './vpp-world.js';
import { FibmgrNode, type FibmgrSettings } from './fibmgr-node.js';
import { ZebraModel, type FpmModule, type Proto } from './zebra-model.js';
import { Oracle, fmt, type Violation } from './oracle.js';
import { parsePrefix } from '../../src/route/prefix.js';

/** Faults the generator may use. Each is on unless switched off (a fault whose fix has not landed yet). */
export interface Faults {
  /** zebra's replay may stall longer than the resync grace between two tables. */
  replayGaps: boolean;
  /** ... or anywhere in its walk, inside a table too. */
  replayStalls: boolean;
  /** The legacy zebra_fpm module (rtm_protocol 11 for every daemon). */
  legacyModule: boolean;
  /** Nexthop groups change under their routes; a restarted zebra reuses ids. */
  groupChanges: boolean;
  /** VPP refuses to create a table (for a while, or for good). */
  tableRefusal: boolean;
  /** The wall clock steps. */
  clockSteps: boolean;
  /** Requests VPP answers after the client gave up (freezes and delays past the VPP timeout), or never. */
  vppTimeouts: boolean;
  /** VPP crashes and restarts empty. */
  vppRestarts: boolean;
  /** fibmgr restarts (graceful) and crashes. */
  fibmgrRestarts: boolean;
  /** Route writes refused. */
  refusals: boolean;
  /** zebra killed and restarted (graceful-restart relearn). */
  zebraRestarts: boolean;
  /** After a zebra restart, the daemons' first routes may come within the resync grace of zebra's own. */
  earlyRelearn: boolean;
  /** FPM connection cuts and flaps. */
  fpmCuts: boolean;
  /** zebra's replay may arrive while fibmgr still reads VPP's routes and interfaces (as the daemon lets it). */
  earlyReplay: boolean;
  /** A VRF loses all its routes while zebra's FPM connection is down (its replay no longer mentions the table). */
  vrfGone: boolean;
}

export const ALL_FAULTS: Faults = {
  replayGaps: true, replayStalls: true, legacyModule: true, groupChanges: true, tableRefusal: true, clockSteps: true,
  vppTimeouts: true, vppRestarts: true, fibmgrRestarts: true, refusals: true, zebraRestarts: true, earlyRelearn: true, fpmCuts: true, earlyReplay: true, vrfGone: true,
};

export interface CampaignOptions {
  /** Steps per seed (quiet periods not counted). */
  steps: number;
  /** A quiet period after every this many steps (and one at the end). */
  quietEvery: number;
  /** Routes per daemon pool, roughly. */
  scale: number;
  faults: Faults;
  resyncGraceMs: number;
  staleTimeMs: number;
  /** A deliberately broken fibmgr for the oracle's own test: no stale wait at all (fibmgr sweeps at the end of every replay). */
  brokenStaleWait?: boolean;
}

/**
 * Faults that find defects whose fixes have not landed yet: off in the suite's short run (see
 * chaos.test.ts), on in `npm run chaos`. Each names what it finds; it leaves this list when the fix lands.
 */
export const PENDING: Partial<Record<keyof Faults, string>> = {
  zebraRestarts: 'issue 26 items 2, 3, 4, 7 (the stale rule: a verdict per protocol, adopted routes, later sessions)',
  replayGaps: 'issue 26 item 9 (a replay gap longer than the resync grace, between two tables)',
  replayStalls: 'a replay stalled longer than the grace inside a table: the protocols it mentioned are judged complete (near issue 26 item 9)',
  earlyRelearn: 'the stale verdict after a zebra restart: a daemon whose first routes come within the grace is judged complete',
  vrfGone: 'routes of a table zebra\'s replay does not mention are kept for good (a VRF deleted while FPM was down); near issue 26 item 9',
  earlyReplay: 'issue 26 item 7 (routes adopted after the resync ended stay for good; item 8, the interface map, is fixed)',
};

export const DEFAULTS: CampaignOptions = {
  steps: 40, quietEvery: 12, scale: 80, faults: ALL_FAULTS, resyncGraceMs: 3000, staleTimeMs: 120_000,
};

export interface SeedResult {
  seed: number;
  ok: boolean;
  /** Steps run (up to the failure). */
  steps: number;
  quietPeriods: number;
  /** Checks the oracle made. */
  checks: number;
  /** Virtual time the run covered. */
  virtualMs: number;
  /** Real time it took. */
  realMs: number;
  violations: Violation[];
  /** What happened, one line each: the steps and zebra's, VPP's and fibmgr's notable events. */
  timeline: string[];
  /** fibmgr's last log lines before the end (the failure). */
  log: string[];
  /** The seed's own settings (module, tables...). */
  setting: string;
}

/** A short signature of a failure (kind and route of the first violation): how seeds are grouped. */
export function signature(r: SeedResult): string {
  const v = r.violations[0];
  return v ? `${v.kind}: ${v.detail}` : 'ok';
}

let runs = 0;

export async function runSeed(seed: number, options: Partial<CampaignOptions> = {}): Promise<SeedResult> {
  const o: CampaignOptions = { ...DEFAULTS, ...options, faults: { ...DEFAULTS.faults, ...options.faults } };
  const f = o.faults;
  const prng = new Prng(seed);
  const vt = new VirtualTime(seed);
  const dir = mkdtempSync(join(tmpdir(), `fibmgr-chaos-${process.pid}-${runs++}-`));
  const timeline: string[] = [];
  const log: string[] = [];
  const note = (text: string) => timeline.push(`${fmt(vt.mono).padStart(10)}  ${text}`);
  const realStart = performance.now();
  vt.install();
  const logger = pino({ level: 'info', base: null, timestamp: false }, {
    write(s: string) {
      log.push(`${fmt(vt.mono).padStart(10)} ${s.trim()}`);
      if (log.length > 300) log.shift();
    },
  });

  // the seed's world
  const module: FpmModule = prng.weighted({ 'nl-groups': 5, 'nl-inline': 2, legacy: f.legacyModule ? 2 : 0 });
  const table200 = f.tableRefusal && prng.chance(0.5);
  const tableRefusedForGood = table200 && prng.chance(0.4);
  const maxBacklog = prng.pick([8, 64, 100_000, 100_000]);
  const settings: FibmgrSettings = {
    resyncGraceMs: o.resyncGraceMs,
    staleTimeMs: o.brokenStaleWait ? 1 : o.staleTimeMs,
    maxBacklog,
    vppTimeoutMs: 10_000,
    // a stream of its own: a setting added later leaves the seeds' other draws as they were
    auditIntervalMs: new Prng(seed ^ 0xa0d17).pick([600_000, 60_000, 15_000]),
  };
  const setting = `module ${module}, maxBacklog ${maxBacklog}, audits every ${settings.auditIntervalMs / 1000} s${table200 ? `, table 200${tableRefusedForGood ? ' (VPP refuses to create it for good)' : ''}` : ''}`;
  const vpp = new VppWorld(join(dir, 'vpp.sock'), seed);
  vt.progress = () => vpp.traffic;
  let fib: FibmgrNode | null = null;
  /** When a fibmgr last sent VPP a delete, by "table|prefix". */
  const deletes = new Map<string, number>();
  const oracle = new Oracle(o.staleTimeMs, () => vt.mono, vpp, {
    // while VPP's session is down, what fibmgr believes installed awaits the reconnect's dump
    ready: () => fib !== null && fib.sync.state().vppReady,
    state(key) {
      const bar = key.indexOf('|');
      return fib!.sync.explain(Number(key.slice(0, bar)), parsePrefix(key.slice(bar + 1))).state;
    },
    deleteSent: (key) => deletes.get(key) ?? -Infinity,
  });
  const zebra = new ZebraModel(prng.fork(), {
    module, resetWhenBlocked: prng.chance(0.5), replayGaps: f.replayGaps, replayStalls: f.replayStalls, resyncGraceMs: o.resyncGraceMs, scale: o.scale, table200, earlyRelearn: f.earlyRelearn,
  }, (ms, fn) => vt.after(ms, fn), () => vt.mono, {
    delivered: (k, t, held) => oracle.delivered(k, t, held),
    allowed: (k, t) => oracle.allowed(k, t),
    dropped: (k) => oracle.dropped(k),
    sessionEnded: () => oracle.sessionEnded(),
    note,
  });
  if (tableRefusedForGood) vpp.tablesRefused.add(200);

  let sessions = 0;
  /** fibmgr lives to come: a restart waits for the old one to be gone. */
  const startFib = () => {
    if (fib) return;
    fib = new FibmgrNode(vpp.socketPath, settings, logger, {
      listenBeforeAdoption: f.earlyReplay,
      sessionId: () => ++sessions,
      sent: (key, del) => {
        if (del) deletes.set(key, vt.mono);
      },
    });
    zebra.fib = fib;
    const me = fib;
    me.start().catch((err) => vt.errors.push(`fibmgr start failed: ${(err as Error).stack}`));
    note('fibmgr: started (adopts what VPP holds)');
  };
  const startVpp = () => {
    if (vpp.up) return;
    vpp.start().then(() => note('vpp: up (empty FIB)'), (err) => vt.errors.push(`vpp start failed: ${(err as Error).message}`));
  };
  const startZebra = (relearn: boolean) => {
    if (zebra.alive) return;
    zebra.start({ relearn });
    note(`zebra: started (generation ${zebra.generation})${relearn ? ': kernel routes at once, statics soon, bgp/ospf relearn in parts' : ''}`);
  };

  let violations: Violation[] = [];
  /** The oracle's look after each instant: true (stop) on a violation. */
  const look = (): boolean => {
    if (violations.length) return true;
    const v = oracle.check();
    if (vt.errors.length) v.push(...vt.errors.splice(0).map((e) => ({ kind: 'error' as const, detail: e })));
    if (v.length) {
      violations = v;
      note(`oracle: ${v.length} violation(s)`);
    }
    return v.length > 0;
  };

  let steps = 0;
  let quietPeriods = 0;
  const quiet = async () => {
    quietPeriods++;
    note(`— quiet period ${quietPeriods}: faults lifted, zebra relearns everything; ${fmt(o.staleTimeMs + 60_000)} pass`);
    vpp.heal(tableRefusedForGood);
    startVpp();
    startFib();
    startZebra(false);
    zebra.settle();
    await vt.advance(o.staleTimeMs + 60_000, look);
    if (violations.length) return;
    const s = fib!.sync.state();
    const v = oracle.quietCheck(zebra.expected(), vpp.tablesRefused, { resyncing: s.resyncing, backlog: s.backlog, vppReady: s.vppReady, retrying: s.retrying });
    if (v.length) violations = v;
    else note(`— quiet period ${quietPeriods}: VPP holds zebra's ${zebra.rib.size} routes`);
  };

  note(`seed ${seed}: ${setting}`);
  try {
    await vpp.start();
    startZebra(false);
    startFib();
    await quiet();
    while (steps < o.steps && violations.length === 0) {
      steps++;
      step(steps);
      const dt = prng.weighted({ short: 4, medium: 4, long: 2 });
      await vt.advance(dt === 'short' ? prng.between(20, 500) : dt === 'medium' ? prng.between(500, 5000) : prng.between(5000, 30_000), look);
      if (violations.length === 0 && (steps % o.quietEvery === 0 || steps === o.steps)) await quiet();
    }
  } catch (err) {
    violations.push({ kind: 'error', detail: `harness: ${(err as Error).stack}` });
  } finally {
    // teardown on virtual time: the client's goodbye waits on timers
    const f2 = fib as FibmgrNode | null;
    zebra.kill();
    const closing = Promise.all([f2?.stop().catch(() => undefined), vpp.sim.stop()]);
    let done = false;
    void closing.then(() => (done = true));
    for (let i = 0; i < 100 && !done; i++) await vt.advance(1000);
    vt.uninstall();
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    seed, ok: violations.length === 0, steps, quietPeriods, checks: oracle.checks, virtualMs: vt.mono,
    realMs: performance.now() - realStart, violations, timeline, log, setting,
  };

  // --- the generator -------------------------------------------------------------------------------

  function step(i: number): void {
    const w: Record<string, number> = {
      change: 6,
      cut: f.fpmCuts && zebra.connected ? 2 : 0,
      flap: f.fpmCuts && zebra.connected ? 1 : 0,
      zebraRestart: f.zebraRestarts && zebra.alive ? 2 : 0,
      group: f.groupChanges && zebra.alive ? 2 : 0,
      freeze: vpp.up && !vpp.frozen ? 1 : 0,
      vppRestart: f.vppRestarts && vpp.up ? 1 : 0,
      slow: vpp.up ? 1 : 0,
      refuse: f.refusals ? 1 : 0,
      vanish: f.vppTimeouts ? 1 : 0,
      stalledBounce: f.vppTimeouts && vpp.up && !vpp.frozen ? 1 : 0,
      table: table200 && !tableRefusedForGood ? 0.5 : 0,
      vrfGone: f.vrfGone && zebra.connected ? 0.5 : 0,
      fibRestart: f.fibmgrRestarts && fib ? 1 : 0,
      fibCrash: f.fibmgrRestarts && fib ? 1 : 0,
      clock: f.clockSteps ? 1 : 0,
      wait: 2,
    };
    const kind = prng.weighted(w);
    const say = (text: string) => note(`#${i} ${text}`);
    switch (kind) {
      case 'change': {
        const n = prng.between(1, 6);
        const done: string[] = [];
        for (let k = 0; k < n; k++) done.push(daemonChange());
        say(`routes change: ${done.join('; ')}`);
        break;
      }
      case 'cut': {
        const ms = prng.between(200, 5000);
        zebra.cutFpm(ms);
        say(`FPM connection cut; zebra reconnects in ${ms} ms`);
        break;
      }
      case 'flap': {
        const ms = prng.between(10, 300);
        zebra.cutFpm(ms);
        say(`FPM flap; zebra reconnects in ${ms} ms`);
        break;
      }
      case 'vrfGone': {
        // the VRF is deleted while FPM is down: zebra drops its routes, its next replay has none of them
        const ms = prng.between(200, 5000);
        zebra.cutFpm(ms);
        let n = 0;
        for (const p of ['bgp', 'static'] as Proto[]) {
          for (const key of [...zebra.intent[p].keys()]) {
            if (!key.startsWith('100|')) continue;
            zebra.daemonChange(p, key, null);
            n++;
          }
        }
        say(`FPM connection cut; VRF table 100 deleted meanwhile (${n} routes); zebra reconnects in ${ms} ms`);
        break;
      }
      case 'zebraRestart': {
        const down = prng.between(300, 15_000);
        const gone: string[] = [];
        if (prng.chance(0.6)) {
          // the peers withdraw some routes while zebra is away: they will never be relearned
          for (let k = prng.between(1, 5); k > 0; k--) {
            const p = prng.pick(['bgp', 'bgp', 'ospf', 'static'] as Proto[]);
            const keys = [...zebra.intent[p].keys()];
            if (keys.length === 0) continue;
            const key = prng.pick(keys);
            const at = prng.between(0, down);
            if (lastOfItsTable(key)) continue;
            gone.push(`${p} ${key}`);
            vt.after(at, () => {
              if (!lastOfItsTable(key)) zebra.daemonChange(p, key, null);
            });
          }
        }
        zebra.kill();
        vt.after(down, () => startZebra(true));
        say(`zebra killed (-9); back in ${down} ms${gone.length ? `; withdrawn while away: ${gone.join(', ')}` : ''}`);
        break;
      }
      case 'group': {
        const what = zebra.groupChange();
        say(what ? `nexthops change: ${what}` : 'nexthops change: no multipath route to change');
        break;
      }
      case 'freeze': {
        // the client times a request out after 10 s: a longer freeze answers requests it gave up on
        const ms = f.vppTimeouts && prng.chance(0.5) ? prng.between(10_500, 40_000) : prng.between(500, 8000);
        vpp.freeze();
        vt.after(ms, () => {
          if (vpp.frozen) {
            vpp.thaw();
            note('vpp: thawed (what waited is answered, late)');
          }
        });
        say(`VPP freezes for ${ms} ms (answers nothing, then everything late)`);
        break;
      }
      case 'vppRestart': {
        const down = prng.between(0, 10_000);
        void vpp.kill();
        vt.after(down, startVpp);
        say(`VPP crashes (FIB lost); restarts in ${down} ms`);
        break;
      }
      case 'slow': {
        const ms = f.vppTimeouts && prng.chance(0.4) ? prng.between(10_500, 25_000) : prng.between(50, 6000);
        const dur = prng.between(5000, 60_000);
        vpp.delayMs = ms;
        vt.after(dur, () => {
          if (vpp.delayMs === ms) vpp.delayMs = 0;
        });
        say(`VPP answers ${ms} ms late for ${dur} ms`);
        break;
      }
      case 'refuse': {
        const rate = prng.pick([0.1, 0.3, 0.7, 1]);
        const dur = prng.between(1000, 30_000);
        vpp.refuseRate = rate;
        vt.after(dur, () => {
          if (vpp.refuseRate === rate) vpp.refuseRate = 0;
        });
        say(`VPP refuses ${rate * 100}% of route writes for ${dur} ms`);
        break;
      }
      case 'stalledBounce': {
        // one route bounces while VPP is stalled past the client's timeout: its delete is answered late
        const ms = prng.between(10_500, 30_000);
        vpp.freeze();
        vt.after(ms, () => {
          if (vpp.frozen) {
            vpp.thaw();
            note('vpp: thawed (what waited is answered, late)');
          }
        });
        const have = [...zebra.intent.bgp.keys()];
        const key = have.length ? prng.pick(have) : null;
        const back = prng.between(50, 3000);
        if (key) {
          const c = zebra.intent.bgp.get(key)!;
          zebra.daemonChange('bgp', key, null);
          vt.after(back, () => {
            if (!zebra.intent.bgp.has(key)) zebra.daemonChange('bgp', key, c);
          });
        }
        say(`VPP freezes for ${ms} ms; meanwhile bgp withdraws ${key ?? '(nothing)'} and announces it again ${back} ms later`);
        break;
      }
      case 'vanish': {
        const dur = prng.between(2000, 40_000);
        vpp.setWritesVanish(true);
        vt.after(dur, () => vpp.setWritesVanish(false));
        say(`VPP never answers route writes (nor applies them) for ${dur} ms`);
        break;
      }
      case 'table': {
        const dur = prng.between(2000, 60_000);
        vpp.tablesRefused.add(200);
        vt.after(dur, () => vpp.tablesRefused.delete(200));
        say(`VPP refuses to create table 200 for ${dur} ms`);
        break;
      }
      case 'fibRestart': {
        const old = fib!;
        fib = null;
        zebra.fib = null;
        const down = prng.between(100, 5000);
        old.stop().then(() => vt.after(down, startFib), (err) => vt.errors.push(`fibmgr stop failed: ${(err as Error).stack}`));
        say(`fibmgr restarts (SIGTERM, back ${down} ms after it stopped)`);
        break;
      }
      case 'fibCrash': {
        const old = fib!;
        fib = null;
        zebra.fib = null;
        const down = prng.between(100, 5000);
        void old.crash();
        vt.after(down, startFib);
        say(`fibmgr killed (-9); back in ${down} ms`);
        break;
      }
      case 'clock': {
        // while routes change (deletes held a moment, writes in flight): what a step can hurt
        const ms = prng.pick([-1, 1]) * prng.pick([30_000, 600_000, 3_600_000, 7_200_000]);
        const churn: string[] = [];
        for (let k = prng.between(1, 4); k > 0; k--) churn.push(daemonChange());
        const at = prng.between(1, 80);
        vt.after(at, () => {
          vt.wallOffset += ms;
          note(`the wall clock steps ${ms > 0 ? '+' : ''}${ms / 1000} s`);
        });
        say(`routes change (${churn.join('; ')}); the wall clock will step ${ms > 0 ? '+' : ''}${ms / 1000} s in ${at} ms`);
        break;
      }
      default:
        say('nothing happens');
    }
  }

  /** One daemon's route change: an announcement, a change of paths, a withdrawal, or a withdrawal taken back. */
  function daemonChange(): string {
    const p = prng.weighted<Proto>({ bgp: 6, ospf: 2, static: 2, kernel: 0 });
    const have = [...zebra.intent[p].keys()];
    const absent = zebra.pool[p].filter((k) => !zebra.intent[p].has(k));
    const op = prng.weighted({ add: absent.length ? 3 : 0, change: have.length ? 3 : 0, del: have.length ? 3 : 0, bounce: have.length ? 2 : 0 });
    const key = op === 'add' ? prng.pick(absent) : prng.pick(have);
    const r = zebra.routes.get(key)!;
    if (op === 'bounce') {
      // a BGP route withdrawn and announced again as it was (the same paths)
      const c = zebra.intent[p].get(key)!;
      const ms = prng.between(10, 3000);
      zebra.daemonChange(p, key, null);
      vt.after(ms, () => {
        if (!zebra.intent[p].has(key)) zebra.daemonChange(p, key, c);
      });
      return `${p} withdraws ${key} and announces it again ${ms} ms later`;
    }
    if (op === 'del' && lastOfItsTable(key)) return `${p} keeps ${key} (the last route of its table)`;
    zebra.daemonChange(p, key, op === 'del' ? null : zebra.content(p, r.family));
    return `${p} ${op} ${key}`;
  }

  /**
   * The last route of its table and family in zebra: a table left empty is the vrfGone fault's
   * (fibmgr keeps the tables a replay does not mention), so without it none is emptied.
   */
  function lastOfItsTable(key: string): boolean {
    if (f.vrfGone) return false;
    const r = zebra.routes.get(key)!;
    let n = 0;
    for (const p of ['kernel', 'static', 'bgp', 'ospf'] as Proto[]) {
      for (const k of zebra.intent[p].keys()) {
        const o = zebra.routes.get(k)!;
        if (o.table === r.table && o.family === r.family) n++;
      }
    }
    return n <= 1;
  }
}
