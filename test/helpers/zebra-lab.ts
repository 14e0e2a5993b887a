// A throwaway FRR lab for live tests: zebra (+ staticd) in their own network namespace with two
// veth "wires", zebra's FPM client pointed at 127.0.0.1:PORT *inside* that namespace. Whatever
// listens for FPM must run in the namespace too (see `lab.spawn`). Needs root and Debian's frr.
import { spawn, spawnSync, execFileSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alive, cleanUpAtExit, pollUntil } from './external-process.js';

const FRR = '/usr/lib/frr';

/** Debian 13's FRR (10.3) lives in a root tree made by scripts/ensure-frr10-root.sh. */
export const FRR10_ROOT = process.env.FIBMGR_FRR10_ROOT ?? '/var/cache/fibmgr/frr10-root';

/** Debian testing's FRR (10.4 or later: the first that read route notifications back, see README). */
export const FRRNEW_ROOT = process.env.FIBMGR_FRRNEW_ROOT ?? '/var/cache/fibmgr/frr-testing-root';

/** The FRRs the live tests run against: Debian 12's own, Debian 13's and Debian testing's through chroot. */
export const FRRS = [
  { name: 'FRR 8.4 (Debian 12)', root: undefined },
  { name: 'FRR 10.3 (Debian 13)', root: FRR10_ROOT },
  { name: 'FRR 10.x (Debian testing)', root: FRRNEW_ROOT },
] as const;

export interface LabOptions {
  module: 'dplane_fpm_nl' | 'fpm';
  fpmPort: number;
  /** dplane_fpm_nl only: send next hops as nexthop groups (zebra's default) or inline. */
  useNhg?: boolean;
  name?: string;
  /** Run the FRR of this Debian root tree through chroot (FRR 10: mgmtd holds staticd's config). */
  root?: string;
  /** More zebra.conf lines, e.g. 'no fpm use-route-replace'. */
  conf?: string[];
  /** More zebra arguments, e.g. '--asic-offload=notify_on_offload'. */
  zebraArgs?: string[];
  /**
   * MPLS on this kernel without it (issue 24; test/fixtures/fpm/lab: mpls-env.sh gives zebra a
   * /proc/sys/net/mpls in its own mount namespace, eopnotsupp-ack.c reads the kernel's refusals of
   * MPLS routes as ACKs): `no zebra nexthop kernel enable`, and on FRR 8.4 no nexthop groups.
   */
  mpls?: boolean;
}

const LAB_DIR = fileURLToPath(new URL('../fixtures/fpm/lab/', import.meta.url));

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
export function labUnavailable(root?: string): string | null {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'live test needs root';
  if (root !== undefined) {
    if (!existsSync(`${root}${FRR}/zebra`) || !existsSync(`${root}${FRR}/staticd`) || !existsSync(`${root}${FRR}/mgmtd`)) return `no FRR 10 root tree at ${root} (bash scripts/ensure-frr10-root.sh)`;
  } else if (!existsSync(`${FRR}/zebra`) || !existsSync(`${FRR}/staticd`)) return 'FRR zebra/staticd not installed (apt-get install -y frr)';
  if (spawnSync('ip', ['netns', 'list']).status !== 0) return 'ip netns not usable';
  return null;
}

/**
 * A live test that cannot run says so: skipped with the reason, and the reason written where
 * scripts/run-tests.mjs collects them for its summary (and fails the run when live tests are required).
 */
export function skipLive(t: { skip(msg?: string): void; name: string }, why: string): void {
  const file = process.env.FIBMGR_LIVE_SKIPS;
  if (file) appendFileSync(file, `${t.name}: ${why}\n`);
  t.skip(`LIVE TEST NOT RUN: ${why}`);
}

let counter = 0;
const live = new Set<LabImpl>();
const stopAllSync = (): void => { for (const l of live) l.stopSync(); };

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Starts a daemon that forks itself away (-d): its stdio goes to `out`, never to a pipe the daemon would hold open (FRR 10's do). */
function daemonize(args: string[], out: string): void {
  const fd = openSync(out, 'a');
  try {
    const r = spawnSync('ip', args, { stdio: ['ignore', fd, fd] });
    if (r.status !== 0) throw new Error(`${args.slice(3, 6).join(' ')} failed (${r.status}): ${readFileSync(out, 'utf8').slice(-500)}`);
  } finally {
    closeSync(fd);
  }
}

function readPid(file: string): number | null {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch { return null; }
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
  /** chroot ROOT, for FRR of a root tree. */
  private readonly chroot: string[];
  private readonly root: string | undefined;
  private bound = false;

  constructor(opts: LabOptions) {
    this.ns = opts.name ?? `fibmgr-${process.pid}-${++counter}`;
    this.dir = mkdtempSync(join(tmpdir(), `${this.ns}-`));
    this.module = opts.module;
    this.fpmPort = opts.fpmPort;
    this.root = opts.root;
    this.chroot = opts.root ? ['chroot', opts.root] : [];
  }

  private get daemons(): string[] {
    return this.root ? ['staticd', 'mgmtd', 'zebra'] : ['staticd', 'zebra'];
  }

  async start(opts: LabOptions): Promise<void> {
    // FRR daemons refuse to start unless their user is in the vty group.
    const groups = sh('id', ['-nG', 'root']);
    if (!/\bfrrvty\b/.test(groups)) sh('usermod', ['-a', '-G', 'frrvty,frr', 'root']);
    if (this.root) {
      // the daemons in the tree see the lab folder at the same path; -N keeps their run-state apart
      if (!/\bfrrvty\b/.test(sh('chroot', [this.root, 'id', '-nG', 'root']))) sh('chroot', [this.root, 'usermod', '-a', '-G', 'frrvty,frr', 'root']);
      mkdirSync(this.root + this.dir, { recursive: true });
      sh('mount', ['--bind', this.dir, this.root + this.dir]);
      this.bound = true;
      mkdirSync(`${this.root}/run/frr/${this.ns}`, { recursive: true });
      mkdirSync(`${this.root}/etc/frr/${this.ns}`, { recursive: true });
      writeFileSync(`${this.root}/etc/frr/${this.ns}/vtysh.conf`, '');
    }
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
    let mplsEnv: string[] = [];
    if (opts.mpls) {
      conf.push('no zebra nexthop kernel enable');
      // FRR 8.4's FPM encoder refuses nexthop objects once kernel nexthops are off
      if (!this.root && opts.module === 'dplane_fpm_nl') conf.push('no fpm use-next-hop-groups');
      const shim = join(this.dir, 'eopnotsupp-ack.so');
      sh('gcc', ['-shared', '-fPIC', '-O2', '-o', shim, join(LAB_DIR, 'eopnotsupp-ack.c'), '-ldl']);
      mplsEnv = [join(LAB_DIR, 'mpls-env.sh'), this.root ?? '-', shim];
    }
    conf.push(...(opts.conf ?? []));
    writeFileSync(join(this.dir, 'zebra.conf'), conf.join('\n') + '\n');
    writeFileSync(join(this.dir, 'staticd.conf'), `hostname ${this.ns}-static\n`);
    const common = ['-u', 'root', '-g', 'root', '-P', '0', '--vty_socket', this.dir, '-z', join(this.dir, 'zserv.api'), ...(this.root ? ['-N', this.ns] : []), '-d'];
    const run = (d: string, ...args: string[]): string[] => ['netns', 'exec', this.ns, ...(d === 'zebra' ? mplsEnv : []), ...this.chroot, `${FRR}/${d}`, ...common, ...args,
      '-i', join(this.dir, `${d}.pid`), '--log', `file:${join(this.dir, `${d}.log`)}`];
    this.zebraArgv = run('zebra', '-M', mod, ...(opts.zebraArgs ?? []), '-f', join(this.dir, 'zebra.conf'));
    daemonize(this.zebraArgv, join(this.dir, 'daemons.out'));
    // staticd needs zebra's zserv socket to exist before it starts.
    if (!(await pollUntil(() => existsSync(join(this.dir, 'zserv.api')), 10_000))) throw new Error(`zebra did not come up: ${this.tail('zebra.log')}`);
    if (this.root) {
      // FRR 10 keeps staticd's configuration in mgmtd, which must run first; neither reads a file
      daemonize(run('mgmtd'), join(this.dir, 'daemons.out'));
      if (!(await pollUntil(() => existsSync(join(this.dir, 'mgmtd.vty')), 10_000))) throw new Error(`mgmtd did not come up: ${this.tail('mgmtd.log')}`);
      daemonize(run('staticd'), join(this.dir, 'daemons.out'));
    } else daemonize(run('staticd', '-f', join(this.dir, 'staticd.conf')), join(this.dir, 'daemons.out'));
    if (!(await pollUntil(() => existsSync(join(this.dir, 'staticd.vty')), 10_000))) throw new Error(`staticd did not come up: ${this.tail('staticd.log')}`);
  }

  async kill9(daemon: 'zebra' | 'staticd'): Promise<void> {
    const pid = readPid(join(this.dir, `${daemon}.pid`));
    if (pid === null || !alive(pid)) throw new Error(`${daemon} is not running`);
    process.kill(pid, 'SIGKILL');
    if (!(await pollUntil(() => !alive(pid), 10_000))) throw new Error(`${daemon} survived SIGKILL`);
  }

  async startZebra(): Promise<void> {
    const before = readPid(join(this.dir, 'zebra.pid'));
    daemonize(this.zebraArgv, join(this.dir, 'daemons.out'));
    const ok = await pollUntil(() => {
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
    const r = this.root ? spawnSync('chroot', [this.root, 'vtysh', ...args], { encoding: 'utf8' }) : spawnSync('vtysh', args, { encoding: 'utf8' });
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
    for (const d of this.daemons) {
      const pid = readPid(join(this.dir, `${d}.pid`));
      if (pid === null || !alive(pid)) continue;
      try { process.kill(pid, 'SIGTERM'); } catch { continue; }
      // zebra can hang on SIGTERM while its FPM peer goes away
      if (!(await pollUntil(() => !alive(pid), 5_000))) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
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
    for (const d of this.daemons) {
      const pid = readPid(join(this.dir, `${d}.pid`));
      if (pid !== null && alive(pid)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    }
    if (this.nsCreated) spawnSync('ip', ['netns', 'del', this.ns]);
    if (this.bound) {
      spawnSync('umount', ['-l', this.root + this.dir]);
      rmSync(this.root + this.dir, { recursive: true, force: true });
      rmSync(`${this.root}/run/frr/${this.ns}`, { recursive: true, force: true });
      rmSync(`${this.root}/etc/frr/${this.ns}`, { recursive: true, force: true });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function startLab(opts: LabOptions): Promise<Lab> {
  cleanUpAtExit(stopAllSync);
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
