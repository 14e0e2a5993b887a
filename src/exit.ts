// How fibmgr ends, whatever the reason — a signal, a fatal error, the last-resort guard: every
// VPP session it holds ends with sockclnt_delete first, then the log is flushed and the process
// exits. A VPP that only sees a session's socket drop can keep the registration and spin its main
// thread on it for good (issue 27; docs/upstream/vpp-socket-eof-spin.md). The goodbye has a
// deadline, so that a wedged VPP cannot hold the exit (systemd would SIGKILL us, which is the
// very thing to avoid).
import type { Logger } from './log.js';

/** A VPP API session (VppClient): close() says goodbye, bounded; `closed` once its owner closed it. */
export interface VppSession {
  close(): Promise<void>;
  readonly closed: boolean;
}

/**
 * The most the goodbyes may take together: VppClient.close() waits up to 1 s for VPP's answer
 * and 200 ms for the socket to close; the rest is margin. The service manager's stop timeout
 * (deploy/) leaves room for it after the stop's own work.
 */
export const GOODBYE_DEADLINE_MS = 1500;

/** After the goodbyes' deadline, how long the log flush may take before the process exits anyway. */
const FLUSH_GRACE_MS = 1000;

export class Exit {
  private readonly sessions = new Set<VppSession>();
  private exiting: Promise<never> | null = null;
  private code = 0;

  constructor(private readonly log: Logger, private readonly deadlineMs = GOODBYE_DEADLINE_MS) {}

  /** A VPP session to end at exit. Sessions their owner has closed are forgotten here. */
  track<S extends VppSession>(session: S): S {
    for (const s of this.sessions) if (s.closed) this.sessions.delete(s);
    this.sessions.add(session);
    return session;
  }

  /** Ends every VPP session still open, each with its goodbye, all within the deadline. */
  async endVppSessions(): Promise<void> {
    const open = [...this.sessions].filter((s) => !s.closed);
    this.sessions.clear();
    if (open.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((res) => {
      timer = setTimeout(() => res('late'), this.deadlineMs);
      timer.unref();
    });
    const done = Promise.allSettled(open.map((s) => s.close())).then(() => 'done' as const);
    const outcome = await Promise.race([done, late]);
    clearTimeout(timer);
    if (outcome === 'late') this.log.warn({ sessions: open.length, deadlineMs: this.deadlineMs }, 'VPP sessions did not close in time: exiting anyway');
    else this.log.info({ sessions: open.length }, 'VPP sessions ended (sockclnt_delete)');
  }

  /**
   * Ends the VPP sessions, flushes the log and exits with `code`. Once: a later call (a fatal
   * error during a stop) only raises the exit code and waits for the first. A timer ends the
   * process even if that path is what broke (a goodbye or a flush that never returns).
   */
  now(code: number): Promise<never> {
    this.code = Math.max(this.code, code);
    if (!this.exiting) {
      setTimeout(() => process.exit(this.code), this.deadlineMs + FLUSH_GRACE_MS).unref();
      this.exiting = this.run();
    }
    return this.exiting;
  }

  private async run(): Promise<never> {
    await this.endVppSessions();
    await new Promise<void>((resolve) => this.log.flush(() => resolve()));
    process.exit(this.code);
  }
}
