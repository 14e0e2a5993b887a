// Runs the real daemon (`fibmgr --dry-run --log-level debug`) as a child process inside a lab's
// namespace and reads back what it received from its JSON log lines on stderr. Live tests use
// this to see zebra's stream through fibmgr's own server and decoders.
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { basename, dirname, join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Lab } from './zebra-lab.js';

const above = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The repository, also when this runs compiled (dist/test/helpers, as the benches do). */
export const REPO = basename(above) === 'dist' ? dirname(above) : above;

export interface LoggedRoute {
  session: number;
  op: 'add' | 'del';
  family: 4 | 6;
  table: number;
  prefix: string;
  type: string;
  protocol: string;
  nhg: number | null;
  nexthops: { gateway: string | null; ifindex: number | null; weight: number; labels: number[] }[];
}

export interface FibmgrChild {
  readonly proc: ChildProcess;
  /** Its operator socket (--ops-socket): fibmgr sweep, fibmgr audit --repair. */
  readonly opsSocket: string;
  /** Every JSON log line, in order. */
  readonly lines: Record<string, unknown>[];
  readonly routes: LoggedRoute[];
  /** Route table as the events so far leave it (key "table|prefix"), applying each add as a replace. */
  table(session?: number): Map<string, LoggedRoute>;
  sessions(): number[];
  /** Polls until cond() holds; throws with the log tail after `ms`. */
  waitFor(what: string, cond: () => boolean, ms?: number): Promise<void>;
  stop(): Promise<number | null>;
}

let children = 0;

/** `opts.dryRun` false: programs VPP (pass `--vpp-sock`); the log then has no route event lines. */
export async function startFibmgr(lab: Lab, extraArgs: string[] = [], opts: { dryRun?: boolean } = {}): Promise<FibmgrChild> {
  const opsSocket = join(lab.dir, `ops-${++children}`, 'ops.sock');
  const proc = lab.spawn(
    [process.execPath, '--import', 'tsx', join(REPO, 'src', 'cli.ts'), ...(opts.dryRun === false ? [] : ['--dry-run']), '--log-level', 'debug',
      '--fpm-host', '127.0.0.1', '--fpm-port', String(lab.fpmPort), '--metrics-addr', 'off', '--ops-socket', opsSocket, ...extraArgs],
    { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const lines: Record<string, unknown>[] = [];
  const routes: LoggedRoute[] = [];
  const raw: string[] = [];
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => { exitCode = code; resolve(code); }));
  createInterface({ input: proc.stderr! }).on('line', (line) => {
    raw.push(line);
    let o: Record<string, unknown>;
    try { o = JSON.parse(line) as Record<string, unknown>; } catch { return; }
    lines.push(o);
    if (o.event === 'route') routes.push(o as unknown as LoggedRoute);
  });

  const child: FibmgrChild = {
    proc, opsSocket, lines, routes,
    table(session?: number) {
      const t = new Map<string, LoggedRoute>();
      for (const r of routes) {
        if (session !== undefined && r.session !== session) continue;
        const k = `${r.table}|${r.prefix}`;
        if (r.op === 'add') t.set(k, r); else t.delete(k);
      }
      return t;
    },
    sessions() {
      return lines.filter((l) => l.msg === 'fpm session up').map((l) => l.session as number);
    },
    async waitFor(what, cond, ms = 20_000) {
      const end = Date.now() + ms;
      while (!cond()) {
        if (exitCode !== undefined) throw new Error(`fibmgr exited (${exitCode}) while waiting for ${what}:\n${raw.slice(-30).join('\n')}`);
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}:\n${raw.slice(-30).join('\n')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      if (exitCode !== undefined) return exitCode;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
  await child.waitFor('the listener', () => lines.some((l) => l.msg === 'listening for zebra FPM'), 15_000);
  return child;
}
