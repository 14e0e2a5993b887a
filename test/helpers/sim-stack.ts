// The sync layer over the real VPP client and adapter, against the simulator, on one fake clock:
// the reconciler's timers and the client's request timeouts both read it. The client's timeout
// sweep runs on an interval: tests that need it mock setInterval (t.mock.timers) before setup.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Reconciler, type ReconcilerOptions } from '../../src/sync/reconciler.js';
import { OPTIONAL, REQUIRED, VppAdapter } from '../../src/sync/vpp/vpp-adapter.js';
import { VppClient, type MessageDef } from 'vpp-binapi-ts';
import { messages } from 'vpp-binapi-ts/gen';
import { VppSim, type SimInterface } from 'vpp-binapi-ts/sim';
import type { InterfaceMapEntry } from '../../src/sync/vpp/vpp-port.js';
import { FakeClock } from './fake-clock.js';
import { reconcilerOptions } from './builders.js';
import { simRoutes, simSource } from './sim-fib.js';

let n = 0;

export interface SimStack {
  sim: VppSim;
  client: VppClient;
  clock: FakeClock;
  r: Reconciler;
  /** Routes of fibmgr's source in the simulator, "table|prefix" → paths text. */
  fib(): Map<string, string[]>;
  /** `keepSim`: the simulator goes on (a fibmgr restart against the same VPP). */
  close(keepSim?: boolean): Promise<void>;
}

export async function simStack(o: Partial<ReconcilerOptions> & { timeoutMs?: number; sim?: VppSim; simPath?: string; interfaces?: SimInterface[]; interfaceMap?: InterfaceMapEntry[] } = {}): Promise<SimStack> {
  const path = o.simPath ?? join(tmpdir(), `fibmgr-simstack-${process.pid}-${n++}.sock`);
  const sim = o.sim ?? await new VppSim({ socketPath: path, interfaces: o.interfaces }).start();
  const clock = new FakeClock();
  const defs = messages as unknown as Record<string, MessageDef>;
  const client = new VppClient({
    socketPath: path, messages: defs,
    required: REQUIRED.map((m) => defs[m]!), optional: OPTIONAL.map((m) => defs[m]).filter((d): d is MessageDef => !!d),
    // requests time out on the fake clock; the handshake, on a real timer, gets long enough that a
    // loaded machine cannot time it out
    timeoutMs: o.timeoutMs ?? 1000, handshakeTimeoutMs: 60_000, reconnect: { minMs: 5, maxMs: 20 }, now: () => clock.now(),
  });
  const logger = pino({ level: 'silent' });
  const port = new VppAdapter({ client, messages: defs, logger, interfaceMap: o.interfaceMap });
  const r = new Reconciler(port, reconcilerOptions({ resyncGraceMs: 3000, logger, deleteHoldMs: 0, clock, ...o }));
  await client.connect();
  await r.start();
  return {
    sim, client, clock, r,
    fib: () => simRoutes(sim, simSource(sim, 'fibmgr') ?? -1),
    async close(keepSim = false) {
      await r.stop({ timeoutMs: 0 });
      await client.close();
      if (!keepSim) await sim.stop();
    },
  };
}

export { until } from './wait.js';
