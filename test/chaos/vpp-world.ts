// VPP's life in a campaign: the simulator (vpp-binapi-ts/sim) on a unix socket, as fibmgr meets it in
// production, and the faults a real VPP shows — a stalled main thread (freeze), slow answers,
// route writes dropped unanswered (timeouts), refused route writes, a table it will not create,
// a crash and a restart with an empty FIB.
import { VppSim } from 'vpp-binapi-ts/sim';
import { simRoutes, simSource } from '../helpers/sim-fib.js';
import { Prng } from './prng.js';

/** fibmgr's interface map in the campaign: Linux ifindex → VPP sw_if_index. */
export const IFMAP: ReadonlyMap<number, number> = new Map([[2, 1], [3, 2]]);

export class VppWorld {
  readonly sim: VppSim;
  up = false;
  /** Bumped when VPP loses its FIB (a crash): what was present before is not owed to survive it. */
  lives = 0;
  /** Faults in force (each lifted by its own step or by a quiet period). */
  frozen = false;
  /** Share of route writes refused (0: none). */
  refuseRate = 0;
  /** Zebra tables (as VPP ids) that ip_table_add_del refuses. */
  readonly tablesRefused = new Set<number>();
  /** Route writes are never answered (timeouts; VPP does not apply them). */
  writesVanish = false;
  private readonly prng: Prng;

  constructor(readonly socketPath: string, seed: number) {
    this.prng = new Prng(seed ^ 0x0b0e);
    this.sim = new VppSim({
      socketPath,
      interfaces: [...IFMAP.values()].map((sw) => ({ swIfIndex: sw, name: `eth${sw}`, flags: 3 })),
    });
    this.sim.reject = (name, payload) => this.reject(name, payload);
  }

  async start(): Promise<void> {
    await this.sim.start();
    this.up = true;
  }

  /** VPP dies: its sockets close, its FIB is gone; it stays down until start(). */
  kill(): Promise<void> {
    this.up = false;
    this.lives++;
    this.frozen = false;
    this.sim.restartEmpty();
    return this.sim.stop();
  }

  freeze(): void {
    this.frozen = true;
    this.sim.freeze();
  }

  thaw(): void {
    this.frozen = false;
    this.sim.thaw();
  }

  set delayMs(ms: number) {
    this.sim.delayMs = ms;
  }

  get delayMs(): number {
    return this.sim.delayMs;
  }

  setWritesVanish(on: boolean): void {
    this.writesVanish = on;
    for (const n of ['ip_route_add_del_v2', 'ip_route_add_del']) {
      if (on) this.sim.silent.add(n);
      else this.sim.silent.delete(n);
    }
  }

  /** Every fault lifted but a refused table (that one may be the seed's for good). */
  heal(keepTables: boolean): void {
    if (this.frozen) this.thaw();
    this.delayMs = 0;
    this.refuseRate = 0;
    this.setWritesVanish(false);
    if (!keepTables) this.tablesRefused.clear();
  }

  /** What VPP holds from fibmgr's source: "table|prefix" → sorted path texts. */
  routes(): Map<string, string[]> {
    if (!this.up) return new Map();
    const src = simSource(this.sim, 'fibmgr');
    return src === undefined ? new Map() : simRoutes(this.sim, src);
  }

  /** Progress the harness watches to know the simulator is quiet. */
  get traffic(): number {
    return this.sim.bytesIn + this.sim.bytesOut;
  }

  private reject(name: string, payload: Buffer): number | undefined {
    if (name === 'ip_table_add_del' && payload[10] !== 0 && this.tablesRefused.has(payload.readUInt32BE(11))) return -1;
    if ((name === 'ip_route_add_del_v2' || name === 'ip_route_add_del') && this.refuseRate > 0 && this.prng.chance(this.refuseRate)) return -1;
    return undefined;
  }
}
