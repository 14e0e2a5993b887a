// systemd's notify protocol (Type=notify): READY=1 once VPP's handshake is done, STATUS= lines
// for `systemctl status`, WATCHDOG=1 while the event loop is healthy, STOPPING=1 on shutdown.
// Node cannot send unix datagrams itself, so each message goes through systemd-notify(1), which
// every systemd host has; it reports our pid as the sender when run as root and waits until
// systemd has read the message (NotifyAccess=all in the unit covers the non-root case).
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Logger } from '../log.js';

/** Sends one notify message ("READY=1\nSTATUS=…"); resolves when it was handed over. */
export type NotifySend = (assignments: string[]) => Promise<void>;

export function systemdNotifySend(bin = 'systemd-notify'): NotifySend {
  return (assignments) =>
    new Promise((resolve, reject) => {
      const child = spawn(bin, assignments, { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${bin} exited ${code}: ${err.trim()}`))));
    });
}

export interface NotifierOptions {
  env?: NodeJS.ProcessEnv;
  send?: NotifySend;
  logger: Logger;
}

export class SystemdNotifier {
  private readonly send: NotifySend;
  private readonly log: Logger;
  private chain: Promise<void> = Promise.resolve();
  private failed = false;
  private watchdogTimer: NodeJS.Timeout | null = null;
  private lastStatus = '';
  /** Half of WATCHDOG_USEC, as systemd advises; null when the unit has no watchdog. */
  readonly watchdogIntervalMs: number | null;

  /** null when not started by systemd with Type=notify (no NOTIFY_SOCKET): nothing to do. */
  static fromEnv(opts: NotifierOptions): SystemdNotifier | null {
    const env = opts.env ?? process.env;
    if (!env.NOTIFY_SOCKET) return null;
    return new SystemdNotifier(opts);
  }

  private constructor(opts: NotifierOptions) {
    const env = opts.env ?? process.env;
    this.send = opts.send ?? systemdNotifySend();
    this.log = opts.logger.child({ component: 'systemd' });
    const usec = Number(env.WATCHDOG_USEC);
    // WATCHDOG_PID names the process the watchdog is meant for; another pid means it is not us.
    const forUs = !env.WATCHDOG_PID || Number(env.WATCHDOG_PID) === process.pid;
    this.watchdogIntervalMs = Number.isFinite(usec) && usec > 0 && forUs ? Math.max(100, Math.floor(usec / 2000)) : null;
  }

  ready(status: string): Promise<void> {
    this.lastStatus = status;
    return this.post(['READY=1', `STATUS=${status}`]);
  }

  status(status: string): Promise<void> {
    if (status === this.lastStatus) return this.chain;
    this.lastStatus = status;
    return this.post([`STATUS=${status}`]);
  }

  stopping(status = 'stopping'): Promise<void> {
    this.stopWatchdog();
    return this.post(['STOPPING=1', `STATUS=${status}`]);
  }

  /**
   * Pings every half watchdog period while the event loop keeps up: if a tick comes so late that
   * the loop was stuck for most of a period, the ping is withheld and systemd restarts us.
   */
  startWatchdog(healthy: () => boolean = () => true): void {
    const every = this.watchdogIntervalMs;
    if (every === null || this.watchdogTimer) return;
    const lag = monitorEventLoopDelay({ resolution: 20 });
    lag.enable();
    let last = performance.now();
    this.watchdogTimer = setInterval(() => {
      const now = performance.now();
      const late = now - last - every;
      last = now;
      const maxLagMs = lag.max / 1e6;
      lag.reset();
      if (late > every || maxLagMs > every) {
        this.log.warn({ lateMs: Math.round(late), maxLagMs: Math.round(maxLagMs), intervalMs: every }, 'event loop stalled: watchdog ping withheld');
        return;
      }
      if (!healthy()) return;
      void this.post(['WATCHDOG=1']);
    }, every);
    this.watchdogTimer.unref();
    void this.post(['WATCHDOG=1']);
  }

  stopWatchdog(): void {
    if (this.watchdogTimer) clearInterval(this.watchdogTimer);
    this.watchdogTimer = null;
  }

  /** In order, one at a time; a failure is logged once and never stops the daemon. */
  private post(assignments: string[]): Promise<void> {
    this.chain = this.chain.then(() =>
      this.send(assignments).catch((err: Error) => {
        if (!this.failed) this.log.warn({ err: err.message, message: assignments.join(' ') }, 'systemd notify failed');
        this.failed = true;
      }),
    );
    return this.chain;
  }
}
