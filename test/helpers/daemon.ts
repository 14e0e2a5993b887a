// The real daemon as a child process on this host (no namespace): for tests that need its HTTP
// server, signals or systemd notify rather than zebra.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { REPO } from './fibmgr-child.js';

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

let opsSockets = 0;

/** A fresh operator socket path for one test daemon (its directory made private by the daemon). */
export function testOpsSocket(): string {
  return join(tmpdir(), `fibmgr-ops-${process.pid}-${++opsSockets}`, 'ops.sock');
}

export interface Daemon {
  proc: ChildProcess;
  /** Its operator socket (--ops-socket): fibmgr sweep, fibmgr audit --repair. */
  opsSocket: string;
  lines: Record<string, unknown>[];
  raw: string[];
  exited: Promise<number | null>;
  waitLog(msg: string, ms?: number): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `stderr`: a file descriptor to give the daemon as its stderr instead of the pipe its log is read from (lines stay empty). */
export function startDaemon(args: string[], env: NodeJS.ProcessEnv = {}, stderr: 'pipe' | number = 'pipe'): Daemon {
  const given = args.indexOf('--ops-socket');
  const opsSocket = given >= 0 ? args[given + 1]! : testOpsSocket();
  const proc = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'src', 'cli.ts'), '--log-level', 'debug', ...(given >= 0 ? [] : ['--ops-socket', opsSocket]), ...args], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', stderr],
  });
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  let code: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (c) => {
    code = c;
    if (given < 0) rmSync(dirname(opsSocket), { recursive: true, force: true });
    resolve(c);
  }));
  if (proc.stderr) createInterface({ input: proc.stderr }).on('line', (l) => {
    raw.push(l);
    try { lines.push(JSON.parse(l) as Record<string, unknown>); } catch { /* not JSON */ }
  });
  return {
    proc, opsSocket, lines, raw, exited,
    async waitLog(msg, ms = 20_000) {
      const end = Date.now() + ms;
      for (;;) {
        const hit = lines.find((l) => l.msg === msg);
        if (hit) return hit;
        if (code !== undefined) throw new Error(`fibmgr exited (${code}) before "${msg}":\n${raw.slice(-20).join('\n')}`);
        if (Date.now() > end) throw new Error(`no "${msg}" within ${ms} ms:\n${raw.slice(-20).join('\n')}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async stop(signal = 'SIGTERM') {
      if (code !== undefined) return code;
      proc.kill(signal);
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      const c = await exited;
      clearTimeout(t);
      return c;
    },
  };
}

/** Sends a recorded FPM byte stream to fibmgr as zebra would; resolves once written (socket kept open). */
export async function sendFpm(port: number, file: string): Promise<import('node:net').Socket> {
  const bytes = readFileSync(file);
  const sock = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => { sock.once('connect', () => resolve()); sock.once('error', reject); });
  await new Promise<void>((resolve) => sock.write(bytes, () => resolve()));
  return sock;
}

export async function get(port: number, path: string): Promise<{ status: number; body: string; type: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') ?? '' };
}

/** Polls until cond() resolves true. */
export async function until(what: string, cond: () => Promise<boolean> | boolean, ms = 20_000, detail: () => unknown = () => ''): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} ${JSON.stringify(await detail())}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Parses Prometheus text: "name{labels}" → value. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/**
 * The simulator (in this process) and the daemon (a child) programming it: FPM and the ops HTTP
 * server on free loopback ports. `extra` flags follow the wiring ones.
 */
export async function startSimDaemon(name: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}, prepare?: (sim: import('vpp-binapi-ts/sim').VppSim) => void): Promise<{ sim: import('vpp-binapi-ts/sim').VppSim; d: Daemon; fpmPort: number; httpPort: number; socketPath: string }> {
  const { VppSim } = await import('vpp-binapi-ts/sim');
  const { tmpdir } = await import('node:os');
  const socketPath = join(tmpdir(), `fibmgr-${name}-${process.pid}.sock`);
  const sim = await new VppSim({ socketPath }).start();
  prepare?.(sim);
  const fpmPort = await freePort();
  const httpPort = await freePort();
  const d = startDaemon(['--vpp-sock', socketPath, '--fpm-port', String(fpmPort), '--metrics-addr', `127.0.0.1:${httpPort}`, ...extra], env);
  return { sim, d, fpmPort, httpPort, socketPath };
}

/** A fibmgr subcommand, run without blocking this process (a simulator living here must answer meanwhile). */
export function runCli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', join(REPO, 'src', 'cli.ts'), ...args], { cwd: REPO, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}
