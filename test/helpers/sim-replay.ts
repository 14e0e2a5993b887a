// A live zebra's script on the simulator: what fibmgr took in (its --record-fpm files, one a
// session) fed, session after session and in order, into fibmgr's reconciler on the simulator
// (simStack), so a live test can check the simulator ends where the real VPP did.
import { existsSync, readFileSync } from 'node:fs';
import { FpmSessionDecoder } from '../../src/fpm/session-decoder.js';
import type { SimStack } from './sim-stack.js';
import { until } from './wait.js';

/** A session as the daemon logged it ('fpm session up'): its id and the zebra process behind it. */
export interface RecordedSession {
  id: number;
  zebraProcess: string | null;
}

/** The sessions a fibmgr child's log names, in order. */
export function recordedSessions(lines: readonly Record<string, unknown>[]): RecordedSession[] {
  return lines.filter((l) => l.msg === 'fpm session up').map((l) => ({ id: l.session as number, zebraProcess: (l.zebraProcess as string | undefined) ?? null }));
}

export class SimReplay {
  private readonly read = new Map<number, { decoder: FpmSessionDecoder; bytes: number }>();
  private current: number | null = null;

  /**
   * `path`: the daemon's --record-fpm; `settleMs`: how far the simulator's clock moves after each
   * catch-up, past the quiet period and the stale time the daemon ran with (a live test compares
   * at points where the daemon's resync is over).
   */
  constructor(readonly stack: SimStack, private readonly path: string, private readonly settleMs: number) {}

  /** Feeds what each session's file gained since the last call (a new session ends the one before), then lets the simulator settle. */
  async catchUp(sessions: readonly RecordedSession[]): Promise<void> {
    const { r, clock } = this.stack;
    for (const s of sessions) {
      let seen = this.read.get(s.id);
      if (!seen) {
        if (this.current !== null) r.sessionEnd(this.current, 'the next session came');
        seen = { decoder: new FpmSessionDecoder(), bytes: 0 };
        this.read.set(s.id, seen);
        this.current = s.id;
        r.sessionStart(s.id, s.zebraProcess);
      }
      const file = `${this.path}.${s.id}`;
      if (!existsSync(file)) throw new Error(`session ${s.id} was not recorded (${file})`);
      const all = readFileSync(file);
      const events = seen.decoder.push(all.subarray(seen.bytes));
      seen.bytes = all.length;
      if (events.length) r.apply(s.id, events);
    }
    // in steps, each one's writes answered before time moves on, as they would be in real time
    // (r.idle() would wait for the resync, which only the clock ends; so would a held delete: the
    // stack is to hold none, deleteHoldMs 0)
    const answered = (): boolean => {
      const st = r.state();
      return st.backlog === 0 && st.inflight === 0 && st.lsps.pending === 0;
    };
    for (let t = 0; t < this.settleMs; t += 100) {
      clock.advance(100);
      if (!(await until(answered, 20_000))) throw new Error(`the simulator did not answer fibmgr's writes: ${JSON.stringify(r.state())}`);
    }
  }
}
