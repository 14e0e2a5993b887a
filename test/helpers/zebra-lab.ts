// A throwaway FRR lab for live tests: zebra (+ staticd) in their own network namespace with two
// veth "wires", zebra's FPM client pointed at 127.0.0.1:PORT *inside* that namespace. Whatever
// listens for FPM must run in the namespace too (see `lab.spawn`). Needs root and Debian's frr.
import { spawn, spawnSync, execFileSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FRR = '/usr/lib/frr';

export interface LabOptions {
  module: 'dplane_fpm_nl' | 'fpm';
  fpmPort: number;
  /** dplane_fpm_nl only: send next hops as nexthop groups (zebra's default) or inline. */
  useNhg?: boolean;
  name?: string;
}

export interface Lab {
  readonly ns: string;
  readonly dir: string;
  readonly module: LabOptions['module'];
  readonly fpmPort: number;
  /** Runs vtysh in the lab with one -c per command; returns its output, throws on failure. */
  vtysh(...commands: string[]): string;
  /** Runs a shell command inside the namespace; returns stdout, throws on failure. */
  exec(cmd: string): string;
  /** Starts a process inside the namespace (killed by stop()). */
  spawn(argv: string[], opts?: SpawnOptions): ChildProcess;
  /** kill -9 one of the lab's FRR daemons (as a crash would). */
  kill9(daemon: 'zebra' | 'staticd'): Promise<void>;
  /** Starts zebra again (after kill9), with its configuration; staticd reconnects by itself. */
  startZebra(): Promise<void>;
  /** Kills everything the lab started and deletes the namespace and temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** Why the lab cannot run here, or null when it can. */
export function labUnavailable(): string | null {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'live test needs root';
  if (!existsSync(`${FRR}/zebra`) || !existsSync(`${FRR}/staticd`)) return 'FRR zebra/staticd not installed (apt-get install -y frr)';
  if (spawnSync('ip', ['netns', 'list']).status !== 0) return 'ip netns not usable';
  return null;
}

let counter = 0;
const live = new Set<LabImpl>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  // A crashed or interrupted test must not leave namespaces and zebras behind.
  const cleanupSync = (): void => { for (const l of live) l.stopSync(); };
  process.on('exit', cleanupSync);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => { cleanupSync(); process.kill(process.pid, sig); });
  }
}

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

function readPid(file: string): number | null {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch { return null; }
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

class LabImpl implements Lab {
  readonly ns: string;
  readonly dir: string;
  readonly module: LabOptions['module'];
  readonly fpmPort: number;
  private readonly children = new Set<ChildProcess>();
  private stopped = false;
  private nsCreated = false;
  private zebraArgv: string[] = [];

  constructor(opts: LabOptions) {
    this.ns = opts.name ?? `fibmgr-${process.pid}-${++counter}`;
    this.dir = mkdtempSync(join(tmpdir(), `${this.ns}-`));
    this.module = opts.module;
    this.fpmPort = opts.fpmPort;
  }

  async start(opts: LabOptions): Promise<void> {
    // FRR daemons refuse to start unless their user is in the vty group.
    const groups = sh('id', ['-nG', 'root']);
    if (!/\bfrrvty\b/.test(groups)) sh('usermod', ['-a', '-G', 'frrvty,frr', 'root']);
    sh('ip', ['netns', 'add', this.ns]);
    this.nsCreated = true;
    const ipn = (...a: string[]): string => sh('ip', ['-n', this.ns, ...a]);
    ipn('link', 'set', 'lo', 'up');
    for (const i of [1, 2]) {
      ipn('link', 'add', `eth${i}`, 'type', 'veth', 'peer', 'name', `eth${i}p`);
      ipn('link', 'set', `eth${i}`, 'up');
      ipn('link', 'set', `eth${i}p`, 'up');
      ipn('addr', 'add', `10.0.${i + 1}.1/24`, 'dev', `eth${i}`);
      ipn('addr', 'add', `2001:db8:${i + 1}::1/64`, 'dev', `eth${i}`, 'nodad');
    }
    const conf = [`hostname ${this.ns}`];
    let mod: string;
    if (opts.module === 'fpm') {
      conf.push(`fpm connection ip 127.0.0.1 port ${opts.fpmPort}`);
      mod = 'fpm:netlink';
    } else {
      conf.push(`fpm address 127.0.0.1 port ${opts.fpmPort}`);
      if (opts.useNhg === false) conf.push('no fpm use-next-hop-groups');
      mod = 'dplane_fpm_nl';
    }
    writeFileSync(join(this.dir, 'zebra.conf'), conf.join('\n') + '\n');
    writeFileSync(join(this.dir, 'staticd.conf'), `hostname ${this.ns}-static\n`);
    const common = ['-u', 'root', '-g', 'root', '--vty_socket', this.dir, '-z', join(this.dir, 'zserv.api'), '-d'];
    this.zebraArgv = ['netns', 'exec', this.ns, `${FRR}/zebra`, ...common, '-M', mod, '-f', join(this.dir, 'zebra.conf'),
      '-i', join(this.dir, 'zebra.pid'), '--log', `file:${join(this.dir, 'zebra.log')}`];
    sh('ip', this.zebraArgv);
    // staticd needs zebra's zserv socket to exist before it starts.
    if (!(await waitFor(() => existsSync(join(this.dir, 'zserv.api')), 10_000))) throw new Error(`zebra did not come up: ${this.tail('zebra.log')}`);
    sh('ip', ['netns', 'exec', this.ns, `${FRR}/staticd`, ...common, '-f', join(this.dir, 'staticd.conf'),
      '-i', join(this.dir, 'staticd.pid'), '--log', `file:${join(this.dir, 'staticd.log')}`]);
    if (!(await waitFor(() => existsSync(join(this.dir, 'staticd.vty')), 10_000))) throw new Error(`staticd did not come up: ${this.tail('staticd.log')}`);
  }

  async kill9(daemon: 'zebra' | 'staticd'): Promise<void> {
    const pid = readPid(join(this.dir, `${daemon}.pid`));
    if (pid === null || !alive(pid)) throw new Error(`${daemon} is not running`);
    process.kill(pid, 'SIGKILL');
    if (!(await waitFor(() => !alive(pid), 10_000))) throw new Error(`${daemon} survived SIGKILL`);
  }

  async startZebra(): Promise<void> {
    const before = readPid(join(this.dir, 'zebra.pid'));
    sh('ip', this.zebraArgv);
    const ok = await waitFor(() => {
      const pid = readPid(join(this.dir, 'zebra.pid'));
      return pid !== null && pid !== before && alive(pid);
    }, 10_000);
    if (!ok) throw new Error(`zebra did not come back: ${this.tail('zebra.log')}`);
  }

  tail(file: string): string {
    try { return readFileSync(join(this.dir, file), 'utf8').split('\n').slice(-20).join('\n'); } catch { return `(no ${file})`; }
  }

  vtysh(...commands: string[]): string {
    const args = ['--vty_socket', this.dir];
    for (const c of commands) args.push('-c', c);
    const r = spawnSync('vtysh', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`vtysh ${commands.join(' / ')} failed (${r.status}): ${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  exec(cmd: string): string {
    return sh('ip', ['netns', 'exec', this.ns, 'sh', '-c', cmd]);
  }

  spawn(argv: string[], opts: SpawnOptions = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    for (const c of this.children) c.kill('SIGTERM');
    for (const d of ['staticd', 'zebra']) {
      const pid = readPid(join(this.dir, `${d}.pid`));
      if (pid === null || !alive(pid)) continue;
      try { process.kill(pid, 'SIGTERM'); } catch { continue; }
      // zebra can hang on SIGTERM while its FPM peer goes away
      if (!(await waitFor(() => !alive(pid), 5_000))) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    }
    for (const c of this.children) c.kill('SIGKILL');
    this.stopSync();
  }

  /** The synchronous last resort (process exit): SIGKILL what is left, delete ns and dir. */
  stopSync(): void {
    if (this.stopped) return;
    this.stopped = true;
    live.delete(this);
    for (const c of this.children) { try { c.kill('SIGKILL'); } catch { /* gone */ } }
    for (const d of ['staticd', 'zebra']) {
      const pid = readPid(join(this.dir, `${d}.pid`));
      if (pid !== null && alive(pid)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    }
    if (this.nsCreated) spawnSync('ip', ['netns', 'del', this.ns]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function startLab(opts: LabOptions): Promise<Lab> {
  hookExit();
  const lab = new LabImpl(opts);
  live.add(lab);
  try {
    await lab.start(opts);
  } catch (e) {
    await lab.stop();
    throw e;
  }
  return lab;
}
