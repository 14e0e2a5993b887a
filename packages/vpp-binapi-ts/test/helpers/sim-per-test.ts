// What the session-lifecycle suites share (goodbye, prepareSocket): a simulator of its own for
// each test on a fresh socket path, and clients of it whose warnings and info lines are kept.
import { afterEach, beforeEach } from 'node:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VppClient, type VppClientOptions } from '../../src/index.js';
import { VppSim } from '../../src/sim/index.js';
import * as d from '../client-defs.js';

let n = 0;

/** A fresh socket path for a test ("vbt-NAME-PID-N.sock"). */
export function sockPath(name: string): string {
  return join(tmpdir(), `vbt-${name}-${process.pid}-${n++}.sock`);
}

export interface SimPerTest {
  /** This test's simulator, and the path it listens on. */
  readonly sim: VppSim;
  readonly path: string;
  /** Warnings the clients logged in this test, as "message" strings. */
  readonly warned: string[];
  /** Their info lines, likewise. */
  readonly told: string[];
  /** A client of this test's simulator (reconnecting within 10–50 ms), `extra` options over those. */
  client(extra?: Partial<VppClientOptions>): VppClient;
}

/** Call inside describe(): before each test a simulator on a fresh path (warnings cleared), stopped after it. */
export function simPerTest(name: string): SimPerTest {
  const warned: string[] = [];
  const told: string[] = [];
  const logger = { debug() {}, info: (_o: unknown, m?: string) => told.push(m ?? ''), warn: (_o: unknown, m?: string) => warned.push(m ?? ''), error() {} };
  let sim: VppSim | null = null;
  let path = '';
  beforeEach(async () => {
    warned.length = 0;
    told.length = 0;
    path = sockPath(name);
    sim = await new VppSim({ socketPath: path }).start();
  });
  afterEach(() => sim!.stop());
  return {
    get sim() { return sim!; },
    get path() { return path; },
    warned,
    told,
    client: (extra = {}) => new VppClient({ logger, socketPath: path, messages: d.messages, required: [d.ip_route_add_del, d.ip_route_dump], reconnect: { minMs: 10, maxMs: 50 }, ...extra }),
  };
}
