// A real VPP for a test file: found (or built, once per machine) by scripts/ensure-vpp.sh, started
// with its own runtime dir, API socket, CLI socket, stats socket and API segment prefix (so several
// run side by side), stopped when the test ends — pass or fail — and SIGKILLed when the process
// exits any other way (and by the kernel if this process dies: PR_SET_PDEATHSIG through setpriv).
// Without a VPP the test is skipped loudly (FIBMGR_LIVE_SKIPS; FIBMGR_REQUIRE_LIVE=1 fails the run),
// and every test that ran against one is counted for the runner's summary (FIBMGR_REAL_VPP_LOG).
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './fibmgr-child.js';
import { skipLive } from './zebra-lab.js';
import { alive, cleanUpAtExit, pollUntil } from './external-process.js';
import { statField } from '../../src/fpm/socket-owner.js';

export interface RealVppOptions {
  /** VPP's main heap (`memory { main-heap-size }`): 1G is plenty for thousands of routes; 1M routes want 6G. */
  mainHeap?: string;
  /** The stats segment (`statseg { size }`): ~128 MB per million routes. */
  statsegSize?: string;
  /** Extra startup.conf text, appended as is. */
  extraConf?: string;
  /** How long start-up may take before it counts as failed. */
  startMs?: number;
}

export interface RealVpp {
  readonly prefix: string;
  /** What `show version` calls it, e.g. "26.10-rc0~374-gb575ec2c5". */
  readonly version: string;
  readonly apiSock: string;
  readonly cliSock: string;
  readonly runtimeDir: string;
  /** The running VPP's pid (a new one after restart()). */
  readonly pid: number;
  /** One vppctl command's output; throws when vppctl fails. */
  cli(cmd: string): Promise<string>;
  /** SIGTERM, then SIGKILL after a grace; resolves once it is gone. Idempotent. */
  stop(): Promise<void>;
  /** Sends a signal (SIGSTOP, SIGCONT, SIGKILL…); a killed VPP is brought back with restart(). */
  kill(signal: NodeJS.Signals): void;
  /** Stops it if it runs, then starts it again, empty, on the same sockets; resolves once it answers. */
  restart(): Promise<void>;
  /** The main thread's ("vpp_main") CPU use over the next `windowMs`, in percent of one core. */
  mainThreadCpuPercent(windowMs: number): Promise<number>;
  /** t.test(name, fn), counted as a test that ran on the real VPP. */
  test(t: TestContext, name: string, fn: (st: TestContext) => Promise<void>, opts?: { timeout?: number }): Promise<void>;
  /** The tail of VPP's own log, for failure messages. */
  logTail(lines?: number): string;
}

/** The part of node:test's TestContext this helper uses. */
export interface TestContext {
  readonly name: string;
  readonly fullName: string;
  skip(msg?: string): void;
  after(fn: () => unknown): void;
  test(name: string, opts: { timeout?: number }, fn: (t: TestContext) => Promise<void>): Promise<void>;
}

let found: Promise<{ prefix: string } | { why: string }> | undefined;

/** Where a VPP can be had (cached for the process): its prefix, or why there is none. */
export function findVpp(): Promise<{ prefix: string } | { why: string }> {
  found ??= new Promise((resolve) => {
    if (typeof process.getuid === 'function' && process.getuid() !== 0) { resolve({ why: 'a real VPP needs root' }); return; }
    // ensure-vpp.sh returns at once when the VPP is there; otherwise it may build (or wait for a build)
    execFile('bash', [join(REPO, 'scripts', 'ensure-vpp.sh')], { encoding: 'utf8', maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const prefix = stdout.trim().split('\n').at(-1) ?? '';
      if (!err && prefix) resolve({ prefix });
      else resolve({ why: stderr.trim().split('\n').filter((l) => l.startsWith('ensure-vpp:')).at(-1)?.replace(/^ensure-vpp: /, '') ?? `ensure-vpp.sh failed: ${stderr.trim().slice(-300)}` });
    });
  });
  return found;
}

function pluginsOf(prefix: string): string {
  for (const d of ['lib/x86_64-linux-gnu/vpp_plugins', 'lib/aarch64-linux-gnu/vpp_plugins', 'lib/vpp_plugins', 'lib64/vpp_plugins']) {
    if (existsSync(join(prefix, d))) return join(prefix, d);
  }
  throw new Error(`no plugins folder under ${prefix}/lib`);
}

/** What test processes killed outright (SIGKILL: no exit hook ran) left: their runtime dirs and API segments. */
function sweepOrphans(): void {
  const dead = (pid: string): boolean => pid !== String(process.pid) && !alive(Number(pid));
  try {
    for (const f of readdirSync(tmpdir())) {
      const m = /^fibmgr-vpp-(\d+)-/.exec(f);
      if (m && dead(m[1]!)) rmSync(join(tmpdir(), f), { recursive: true, force: true });
    }
    for (const f of readdirSync('/dev/shm')) {
      const m = /^fibmgr(\d+)v\d+-/.exec(f);
      if (m && dead(m[1]!)) rmSync(join('/dev/shm', f), { force: true });
    }
  } catch { /* nothing to sweep */ }
}

function record(line: string): void {
  const file = process.env.FIBMGR_REAL_VPP_LOG;
  if (file) appendFileSync(file, line + '\n');
}

const running = new Set<RealVppImpl>();
const killAll = (): void => { for (const v of running) v.killSync(); };

let counter = 0;

class RealVppImpl implements RealVpp {
  readonly prefix: string;
  version = '';
  readonly runtimeDir: string;
  readonly apiSock: string;
  readonly cliSock: string;
  private readonly segment: string;
  private readonly vppctl: string;
  private readonly opts: RealVppOptions;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private running = false;

  constructor(prefix: string, opts: RealVppOptions) {
    this.prefix = prefix;
    this.opts = opts;
    this.vppctl = join(prefix, 'bin', 'vppctl');
    this.runtimeDir = mkdtempSync(join(tmpdir(), `fibmgr-vpp-${process.pid}-`));
    this.apiSock = join(this.runtimeDir, 'api.sock');
    this.cliSock = join(this.runtimeDir, 'cli.sock');
    this.segment = `fibmgr${process.pid}v${++counter}`;
  }

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  private conf(): string {
    const d = this.runtimeDir;
    return [
      `unix { nodaemon runtime-dir ${d} cli-listen ${this.cliSock} pidfile ${d}/vpp.pid log ${d}/vpp.log }`,
      `socksvr { socket-name ${this.apiSock} }`,
      `api-segment { prefix ${this.segment} }`,
      `plugins { path ${pluginsOf(this.prefix)}`,
      '  plugin default { disable }',
      '  plugin linux_cp_plugin.so { enable } plugin af_packet_plugin.so { enable } plugin ping_plugin.so { enable } }',
      `memory { main-heap-size ${this.opts.mainHeap ?? '1G'} main-heap-page-size 4K }`,
      `statseg { socket-name ${d}/stats.sock size ${this.opts.statsegSize ?? '128M'} page-size 4K }`,
      'buffers { buffers-per-numa 16384 page-size 4K }',
      this.opts.extraConf ?? '',
    ].join('\n') + '\n';
  }

  /** What a previous run left: sockets, pidfile, the API segment's shared memory. */
  private clearLeftovers(): void {
    for (const f of ['api.sock', 'cli.sock', 'stats.sock', 'vpp.pid']) rmSync(join(this.runtimeDir, f), { force: true });
    try {
      for (const f of readdirSync('/dev/shm')) if (f.startsWith(`${this.segment}-`)) rmSync(join('/dev/shm', f), { force: true });
    } catch { /* no /dev/shm */ }
  }

  async start(): Promise<void> {
    this.clearLeftovers();
    const confFile = join(this.runtimeDir, 'startup.conf');
    writeFileSync(confFile, this.conf());
    const out = openSync(join(this.runtimeDir, 'vpp.out'), 'a');
    // setpriv: the kernel SIGKILLs VPP should this process die without running its exit hooks
    const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', join(this.prefix, 'bin', 'vpp'), '-c', confFile], { stdio: ['ignore', out, out] });
    closeSync(out);
    this.child = child;
    this.running = true;
    running.add(this);
    this.exited = new Promise((resolve) => child.once('exit', () => { this.running = false; resolve(); }));
    const ms = this.opts.startMs ?? 60_000;
    const ready = await pollUntil(async () => {
      if (!this.running) return true;
      if (!existsSync(this.apiSock) || !existsSync(this.cliSock)) return false;
      const r = await this.tryCli('show version');
      const m = r && /^vpp v(\S+)/m.exec(r);
      if (m) this.version = m[1]!;
      return Boolean(m);
    }, ms);
    if (!this.running) throw new Error(`VPP exited while starting:\n${this.logTail()}`);
    if (!ready) {
      await this.stop();
      throw new Error(`VPP did not answer within ${ms} ms:\n${this.logTail()}`);
    }
  }

  private tryCli(cmd: string): Promise<string | null> {
    return new Promise((resolve) => {
      execFile(this.vppctl, ['-s', this.cliSock, cmd], { encoding: 'utf8', timeout: 5_000, maxBuffer: 256 << 20 }, (err, stdout) => resolve(err ? null : stdout));
    });
  }

  cli(cmd: string): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(this.vppctl, ['-s', this.cliSock, cmd], { encoding: 'utf8', timeout: 60_000, maxBuffer: 256 << 20 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`vppctl ${cmd}: ${err.message} ${stderr}`));
        else resolve(stdout);
      });
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && this.running) {
      // a frozen VPP ignores SIGTERM until thawed
      try { child.kill('SIGCONT'); child.kill('SIGTERM'); } catch { /* gone */ }
      // its exit is the event; SIGKILL if it does not come within 10 s
      let grace: NodeJS.Timeout | undefined;
      const exitedInTime = await Promise.race([this.exited.then(() => true), new Promise<boolean>((r) => { grace = setTimeout(() => r(false), 10_000); })]);
      clearTimeout(grace);
      if (!exitedInTime) { try { child.kill('SIGKILL'); } catch { /* gone */ } }
      await this.exited;
    }
    running.delete(this);
    this.clearLeftovers();
  }

  kill(signal: NodeJS.Signals): void {
    if (!this.child || !this.running) throw new Error('VPP is not running');
    this.child.kill(signal);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async mainThreadCpuPercent(windowMs: number): Promise<number> {
    const pid = this.pid;
    const tid = readdirSync(`/proc/${pid}/task`).find((t) => {
      try { return readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim() === 'vpp_main'; } catch { return false; }
    });
    if (!tid) throw new Error(`no vpp_main thread in /proc/${pid}/task`);
    const ticks = (): number => {
      const s = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      return Number(statField(s, 14)) + Number(statField(s, 15)); // utime + stime
    };
    const hz = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
    const t0 = ticks();
    const start = process.hrtime.bigint();
    await new Promise((r) => setTimeout(r, windowMs));
    const t1 = ticks();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return ((t1 - t0) / hz / seconds) * 100;
  }

  async test(t: TestContext, name: string, fn: (st: TestContext) => Promise<void>, opts: { timeout?: number } = {}): Promise<void> {
    await t.test(name, opts, async (st) => {
      let skipped = false;
      const skip = st.skip.bind(st);
      st.skip = (msg?: string) => { skipped = true; skip(msg); };
      try {
        await fn(st);
      } finally {
        if (!skipped) record(`ran\t${this.version}\t${st.fullName}`);
      }
    });
  }

  logTail(lines = 30): string {
    const read = (f: string): string => { try { return readFileSync(join(this.runtimeDir, f), 'utf8'); } catch { return ''; } };
    return (read('vpp.out') + read('vpp.log')).split('\n').slice(-lines).join('\n');
  }

  /** The synchronous last resort (process exit). */
  killSync(): void {
    if (this.child && this.running) { try { this.child.kill('SIGKILL'); } catch { /* gone */ } }
    running.delete(this);
    this.clearLeftovers();
    rmSync(this.runtimeDir, { recursive: true, force: true });
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.runtimeDir, { recursive: true, force: true });
  }
}

/**
 * A real VPP for test `t` (stopped when `t` ends), or null when none can be had: then `t` is
 * skipped with the reason, recorded as a live test that did not run.
 */
export async function startRealVpp(t: TestContext, opts: RealVppOptions = {}): Promise<RealVpp | null> {
  const prefix = await realVppPrefix(t);
  if (prefix === null) return null;
  cleanUpAtExit(killAll);
  sweepOrphans();
  const vpp = new RealVppImpl(prefix, opts);
  t.after(() => vpp.destroy());
  try {
    await vpp.start();
  } catch (e) {
    await vpp.destroy();
    throw e;
  }
  countRealVppTest(t, vpp.version);
  return vpp;
}

/**
 * For a test that runs its VPP some other way (examples/bgp-in-vpp starts one with its own
 * scripts): the VPP's install prefix, or null when none can be had — then `t` is skipped loudly,
 * as with startRealVpp. `countRealVppTest` counts it in the tier's summary once it ran.
 */
export async function realVppPrefix(t: TestContext): Promise<string | null> {
  const where = await findVpp();
  if ('why' in where) {
    record(`skip\t${where.why}`);
    skipLive(t, `real VPP: ${where.why}`);
    return null;
  }
  return where.prefix;
}

export function countRealVppTest(t: TestContext, version: string): void {
  record(`ran\t${version}\t${t.fullName}`);
}
