// The campaign's generator: from the seed's draws, the next step of zebra's, VPP's or fibmgr's
// life (a fault that ends by itself is scheduled with it), said in the timeline. Its draws are
// part of what a seed means: a new kind of step changes the seeds that pick it (corpus.json's
// kept seeds say which faults they play, and what they must still see).
import type { ChaosWorld } from './world.js';
import type { Proto } from './zebra-model.js';

export function step(w: ChaosWorld, i: number): void {
  const weights: Record<string, number> = {
    change: 6,
    cut: w.faults.fpmCuts && w.zebra.connected ? 2 : 0,
    flap: w.faults.fpmCuts && w.zebra.connected ? 1 : 0,
    zebraRestart: w.faults.zebraRestarts && w.zebra.alive ? 2 : 0,
    group: w.faults.groupChanges && w.zebra.alive ? 2 : 0,
    freeze: w.vpp.up && !w.vpp.frozen ? 1 : 0,
    vppRestart: w.faults.vppRestarts && w.vpp.up ? 1 : 0,
    slow: w.vpp.up ? 1 : 0,
    refuse: w.faults.refusals ? 1 : 0,
    vanish: w.faults.vppTimeouts ? 1 : 0,
    stalledBounce: w.faults.vppTimeouts && w.vpp.up && !w.vpp.frozen ? 1 : 0,
    table: w.table200 && !w.tableRefusedForGood ? 0.5 : 0,
    vrfGone: w.faults.vrfGone && w.zebra.connected ? 0.5 : 0,
    fibRestart: w.faults.fibmgrRestarts && w.fib ? 1 : 0,
    fibCrash: w.faults.fibmgrRestarts && w.fib ? 1 : 0,
    clock: w.faults.clockSteps ? 1 : 0,
    wait: 2,
  };
  const kind = w.prng.weighted(weights);
  const say = (text: string) => w.note(`#${i} ${text}`);
  switch (kind) {
    case 'change': {
      const n = w.prng.between(1, 6);
      const done: string[] = [];
      for (let k = 0; k < n; k++) done.push(daemonChange(w));
      say(`routes change: ${done.join('; ')}`);
      break;
    }
    case 'cut': {
      const ms = w.prng.between(200, 5000);
      w.zebra.cutFpm(ms);
      say(`FPM connection cut; zebra reconnects in ${ms} ms`);
      break;
    }
    case 'flap': {
      const ms = w.prng.between(10, 300);
      w.zebra.cutFpm(ms);
      say(`FPM flap; zebra reconnects in ${ms} ms`);
      break;
    }
    case 'vrfGone': {
      // the VRF is deleted while FPM is down: zebra drops its routes, its next replay has none of them
      const ms = w.prng.between(200, 5000);
      w.zebra.cutFpm(ms);
      let n = 0;
      for (const p of ['bgp', 'static'] as Proto[]) {
        for (const key of [...w.zebra.intent[p].keys()]) {
          if (!key.startsWith('100|')) continue;
          w.zebra.daemonChange(p, key, null);
          n++;
        }
      }
      say(`FPM connection cut; VRF table 100 deleted meanwhile (${n} routes); zebra reconnects in ${ms} ms`);
      break;
    }
    case 'zebraRestart': {
      const down = w.prng.between(300, 15_000);
      const gone: string[] = [];
      if (w.prng.chance(0.6)) {
        // the peers withdraw some routes while zebra is away: they will never be relearned
        for (let k = w.prng.between(1, 5); k > 0; k--) {
          const p = w.prng.pick(['bgp', 'bgp', 'ospf', 'static'] as Proto[]);
          const keys = [...w.zebra.intent[p].keys()];
          if (keys.length === 0) continue;
          const key = w.prng.pick(keys);
          const at = w.prng.between(0, down);
          if (lastOfItsTable(w, key)) continue;
          gone.push(`${p} ${key}`);
          w.vt.after(at, () => {
            if (!lastOfItsTable(w, key)) w.zebra.daemonChange(p, key, null);
          });
        }
      }
      w.zebra.kill();
      w.vt.after(down, () => w.startZebra(true));
      say(`zebra killed (-9); back in ${down} ms${gone.length ? `; withdrawn while away: ${gone.join(', ')}` : ''}`);
      break;
    }
    case 'group': {
      const what = w.zebra.groupChange();
      say(what ? `nexthops change: ${what}` : 'nexthops change: no multipath route to change');
      break;
    }
    case 'freeze': {
      // the client times a request out after 10 s: a longer freeze answers requests it gave up on
      const ms = w.faults.vppTimeouts && w.prng.chance(0.5) ? w.prng.between(10_500, 40_000) : w.prng.between(500, 8000);
      freezeFor(w, ms);
      say(`VPP freezes for ${ms} ms (answers nothing, then everything late)`);
      break;
    }
    case 'vppRestart': {
      const down = w.prng.between(0, 10_000);
      void w.vpp.kill();
      w.vt.after(down, w.startVpp);
      say(`VPP crashes (FIB lost); restarts in ${down} ms`);
      break;
    }
    case 'slow': {
      const ms = w.faults.vppTimeouts && w.prng.chance(0.4) ? w.prng.between(10_500, 25_000) : w.prng.between(50, 6000);
      const dur = w.prng.between(5000, 60_000);
      w.vpp.delayMs = ms;
      w.vt.after(dur, () => {
        if (w.vpp.delayMs === ms) w.vpp.delayMs = 0;
      });
      say(`VPP answers ${ms} ms late for ${dur} ms`);
      break;
    }
    case 'refuse': {
      const rate = w.prng.pick([0.1, 0.3, 0.7, 1]);
      const dur = w.prng.between(1000, 30_000);
      w.vpp.refuseRate = rate;
      w.vt.after(dur, () => {
        if (w.vpp.refuseRate === rate) w.vpp.refuseRate = 0;
      });
      say(`VPP refuses ${rate * 100}% of route writes for ${dur} ms`);
      break;
    }
    case 'stalledBounce': {
      // one route bounces while VPP is stalled past the client's timeout: its delete is answered late
      const ms = w.prng.between(10_500, 30_000);
      freezeFor(w, ms);
      const have = [...w.zebra.intent.bgp.keys()];
      const key = have.length ? w.prng.pick(have) : null;
      const back = w.prng.between(50, 3000);
      if (key) bounce(w, 'bgp', key, back);
      say(`VPP freezes for ${ms} ms; meanwhile bgp withdraws ${key ?? '(nothing)'} and announces it again ${back} ms later`);
      break;
    }
    case 'vanish': {
      const dur = w.prng.between(2000, 40_000);
      w.vpp.setWritesVanish(true);
      w.vt.after(dur, () => w.vpp.setWritesVanish(false));
      say(`VPP never answers route writes (nor applies them) for ${dur} ms`);
      break;
    }
    case 'table': {
      const dur = w.prng.between(2000, 60_000);
      w.vpp.tablesRefused.add(200);
      w.vt.after(dur, () => w.vpp.tablesRefused.delete(200));
      say(`VPP refuses to create table 200 for ${dur} ms`);
      break;
    }
    case 'fibRestart': {
      const old = w.detachFib()!;
      const down = w.prng.between(100, 5000);
      old.stop().then(() => w.vt.after(down, w.startFib), (err) => w.vt.errors.push(`fibmgr stop failed: ${(err as Error).stack}`));
      say(`fibmgr restarts (SIGTERM, back ${down} ms after it stopped)`);
      break;
    }
    case 'fibCrash': {
      const old = w.detachFib()!;
      const down = w.prng.between(100, 5000);
      void old.crash();
      w.vt.after(down, w.startFib);
      say(`fibmgr killed (-9); back in ${down} ms`);
      break;
    }
    case 'clock': {
      // while routes change (deletes held a moment, writes in flight): what a step can hurt
      const ms = w.prng.pick([-1, 1]) * w.prng.pick([30_000, 600_000, 3_600_000, 7_200_000]);
      const churn: string[] = [];
      for (let k = w.prng.between(1, 4); k > 0; k--) churn.push(daemonChange(w));
      const at = w.prng.between(1, 80);
      w.vt.after(at, () => {
        w.vt.wallOffset += ms;
        w.note(`the wall clock steps ${ms > 0 ? '+' : ''}${ms / 1000} s`);
      });
      say(`routes change (${churn.join('; ')}); the wall clock will step ${ms > 0 ? '+' : ''}${ms / 1000} s in ${at} ms`);
      break;
    }
    default:
      say('nothing happens');
  }
}

/** VPP stalls for `ms`, then answers what waited (unless something else thawed it first). */
function freezeFor(w: ChaosWorld, ms: number): void {
  w.vpp.freeze();
  w.vt.after(ms, () => {
    if (w.vpp.frozen) {
      w.vpp.thaw();
      w.note('vpp: thawed (what waited is answered, late)');
    }
  });
}

/** Daemon `p` withdraws `key` and announces it again as it was `ms` later (unless it did meanwhile). */
function bounce(w: ChaosWorld, p: Proto, key: string, ms: number): void {
  const c = w.zebra.intent[p].get(key)!;
  w.zebra.daemonChange(p, key, null);
  w.vt.after(ms, () => {
    if (!w.zebra.intent[p].has(key)) w.zebra.daemonChange(p, key, c);
  });
}

/** One daemon's route change: an announcement, a change of paths, a withdrawal, or a withdrawal taken back. */
function daemonChange(w: ChaosWorld): string {
  const p = w.prng.weighted<Proto>({ bgp: 6, ospf: 2, static: 2, kernel: 0 });
  const have = [...w.zebra.intent[p].keys()];
  const absent = w.zebra.pool[p].filter((k) => !w.zebra.intent[p].has(k));
  const op = w.prng.weighted({ add: absent.length ? 3 : 0, change: have.length ? 3 : 0, del: have.length ? 3 : 0, bounce: have.length ? 2 : 0 });
  const key = op === 'add' ? w.prng.pick(absent) : w.prng.pick(have);
  const r = w.zebra.routes.get(key)!;
  if (op === 'bounce') {
    // a BGP route withdrawn and announced again as it was (the same paths)
    const ms = w.prng.between(10, 3000);
    bounce(w, p, key, ms);
    return `${p} withdraws ${key} and announces it again ${ms} ms later`;
  }
  if (op === 'del' && lastOfItsTable(w, key)) return `${p} keeps ${key} (the last route of its table)`;
  w.zebra.daemonChange(p, key, op === 'del' ? null : w.zebra.content(p, r.family));
  return `${p} ${op} ${key}`;
}

/**
 * The last route of its table and family in zebra: a table left empty is the vrfGone fault's
 * (fibmgr keeps the tables a replay does not mention), so without it none is emptied.
 */
function lastOfItsTable(w: ChaosWorld, key: string): boolean {
  if (w.faults.vrfGone) return false;
  const r = w.zebra.routes.get(key)!;
  let n = 0;
  for (const p of ['kernel', 'static', 'bgp', 'ospf'] as Proto[]) {
    for (const k of w.zebra.intent[p].keys()) {
      const o = w.zebra.routes.get(k)!;
      if (o.table === r.table && o.family === r.family) n++;
    }
  }
  return n <= 1;
}
