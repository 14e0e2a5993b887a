// The example examples/bgp-in-vpp, brought up and down by its own scripts, on the real VPP: BGP
// through VPP's punt, the peer's prefixes in VPP's FIB through fibmgr, the client's traffic
// forwarded by VPP; a withdrawal stops it; kill -9 zebra and a fibmgr restart lose no ping; a
// VPP restart brings the routes back. Prints the time from an announcement to forwarding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO } from '../helpers/fibmgr-child.js';
import { labUnavailable, skipLive } from '../helpers/zebra-lab.js';
import { until } from '../helpers/daemon.js';
import { countRealVppTest, realVppPrefix } from '../helpers/real-vpp.js';

const EXAMPLE = join(REPO, 'examples', 'bgp-in-vpp');
const PREFIX = `b${process.pid}-`;
const stateOf = (pid: number | string): string => join(tmpdir(), `bgp-in-vpp-${pid}`);
const STATE = stateOf(process.pid);
const COUNT = 3000;
/** What the peer announces (up.sh's loopback addresses), as VPP prints prefixes. */
const ANNOUNCED = ['8.8.8.8/32', ...Array.from({ length: COUNT }, (_, i) => `100.${64 + (i >> 8)}.${i & 255}.0/24`)];
const SAMPLE = ['100.64.0.1', '100.66.7.1', '100.70.200.1', `100.${64 + ((COUNT - 1) >> 8)}.${(COUNT - 1) & 255}.1`];

interface Out { stdout: string; stderr: string }

function run(file: string, args: string[], env: NodeJS.ProcessEnv, timeout = 60_000): Promise<Out> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, encoding: 'utf8', timeout, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`.slice(-4000)));
      else resolve({ stdout, stderr });
    });
  });
}

/** True when the command exits 0 (a ping answered), false otherwise. */
function succeeds(file: string, args: string[]): Promise<boolean> {
  return new Promise((resolve) => execFile(file, args, (err) => resolve(!err)));
}


/** A ping running in `client` (10 a second), to tell afterwards which requests went unanswered. */
class PingWatch {
  private readonly proc: ChildProcess;
  private readonly answered = new Set<number>();
  private sent = 0;
  private readonly exited: Promise<void>;

  constructor(addr: string) {
    this.proc = spawn('ip', ['netns', 'exec', `${PREFIX}client`, 'ping', '-n', '-O', '-i', '0.1', addr], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.exited = new Promise((r) => this.proc.once('exit', () => r()));
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      const m = /icmp_seq=(\d+)/.exec(line);
      if (!m) return;
      const seq = Number(m[1]);
      this.sent = Math.max(this.sent, seq);
      if (/bytes from/.test(line)) this.answered.add(seq);
    });
  }

  get replies(): number { return this.answered.size; }

  /** Stops it; the requests that got no answer, but for the last second's (still in flight). */
  async stop(): Promise<{ sent: number; answered: number; lost: number[] }> {
    this.proc.kill('SIGINT');
    await this.exited;
    const lastAnswered = Math.max(0, ...this.answered);
    const lost: number[] = [];
    for (let s = 1; s <= Math.max(lastAnswered, this.sent - 10); s++) if (!this.answered.has(s)) lost.push(s);
    return { sent: this.sent, answered: this.answered.size, lost };
  }
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/** down.sh for a topology of this test, synchronously (process exit, a dead run's leftovers). */
function downSync(pid: number | string, env: NodeJS.ProcessEnv): void {
  spawnSync('bash', [join(EXAMPLE, 'down.sh')], { env: { ...env, BGPVPP_PREFIX: `b${pid}-`, BGPVPP_STATE: stateOf(pid) }, stdio: 'ignore' });
}

/** What runs of this test killed outright (no exit hook ran) left: their namespaces, daemons, VPP. */
function sweepDeadRuns(env: NodeJS.ProcessEnv): void {
  let names: string[] = [];
  try { names = readdirSync('/run/netns'); } catch { return; }
  const pids = new Set(names.map((n) => /^b(\d+)-vpp$/.exec(n)?.[1]).filter((p): p is string => p !== undefined));
  for (const pid of pids) if (!alive(Number(pid))) downSync(pid, env);
}

test('examples/bgp-in-vpp: BGP through VPP, forwarded by what fibmgr installs', { timeout: 240_000 }, async (t) => {
  const noLab = labUnavailable() ?? (existsSync('/usr/lib/frr/bgpd') ? null : 'FRR bgpd not installed (apt-get install -y frr)');
  if (noLab) { skipLive(t, noLab); return; }
  const vppPrefix = await realVppPrefix(t);
  if (!vppPrefix) return;
  const env: NodeJS.ProcessEnv = {
    ...process.env, BGPVPP_PREFIX: PREFIX, BGPVPP_STATE: STATE, BGPVPP_PREFIXES: String(COUNT),
    FIBMGR_VPP_PREFIX: vppPrefix, NODE: process.execPath,
    // the sources as they are (no build to wait for), as the other live tests run fibmgr
    BGPVPP_FIBMGR: `${process.execPath} --import tsx ${join(REPO, 'src', 'cli.ts')}`,
  };
  const script = (name: string, ...args: string[]): Promise<Out> => run('bash', [join(EXAMPLE, name), ...args], env, 180_000);
  const inNs = (ns: string, ...argv: string[]): Promise<Out> => run('ip', ['netns', 'exec', PREFIX + ns, ...argv], env);
  const vppctl = async (cmd: string): Promise<string> => (await run(join(vppPrefix, 'bin', 'vppctl'), ['-s', join(STATE, 'vpp', 'cli.sock'), cmd], env)).stdout;
  const vtysh = async (ns: string, ...cmds: string[]): Promise<string> => (await run('vtysh', ['-N', PREFIX + ns, ...cmds.flatMap((c) => ['-c', c])], env)).stdout;
  const ping = (addr: string): Promise<boolean> => succeeds('ip', ['netns', 'exec', `${PREFIX}client`, 'ping', '-n', '-c', '1', '-W', '1', addr]);
  const established = async (): Promise<boolean> => {
    try { return /"bgpState":"Established"/.test(await vtysh('cp', 'show bgp neighbors 10.0.1.0 json')); } catch { return false; }
  };
  /** VPP's table 0 as prefix → its entry's text. */
  const fib = async (): Promise<Map<string, string>> => {
    const m = new Map<string, string>();
    for (const entry of (await vppctl('show ip fib table 0')).split(/\n(?=\d)/)) {
      const p = /^(\d+\.\d+\.\d+\.\d+\/\d+)/.exec(entry);
      if (p) m.set(p[1]!, entry);
    }
    return m;
  };
  /** The announced prefixes VPP does not forward to the peer. */
  const notForwarded = async (): Promise<string[]> => {
    const f = await fib();
    return ANNOUNCED.filter((p) => !/via 10\.0\.1\.0 host-vpp-peer/.test(f.get(p) ?? ''));
  };
  /** /24s in VPP's table 0, from its summary (cheap to poll). */
  const slash24s = async (): Promise<number> => {
    const m = /^\s*24\s+(\d+)\s*$/m.exec(await vppctl('show ip fib summary'));
    return m ? Number(m[1]) : 0;
  };
  const fibmgrLog = (): Record<string, unknown>[] => {
    const out: Record<string, unknown>[] = [];
    for (const line of readFileSync(join(STATE, 'cp', 'fibmgr.log'), 'utf8').split('\n')) {
      try { out.push(JSON.parse(line) as Record<string, unknown>); } catch { /* not a log line */ }
    }
    return out;
  };
  const resyncsDone = (): number => fibmgrLog().filter((l) => /resync done$/.test(String(l.msg))).length;

  sweepDeadRuns(env);
  const onExit = (): void => downSync(process.pid, env);
  process.once('exit', onExit);
  t.after(async () => {
    await script('down.sh').catch((e: Error) => console.error(e.message));
    process.off('exit', onExit);
  });

  // 1. one command; it returns once BGP is Established (the session runs through VPP's punt)
  const upStart = Date.now();
  await script('up.sh');
  console.log(`# up.sh: ${((Date.now() - upStart) / 1000).toFixed(1)} s to BGP Established (VPP ${vppPrefix})`);
  assert.ok(await established(), 'up.sh returned with the session Established');
  countRealVppTest(t, /^vpp v(\S+)/m.exec(await vppctl('show version'))?.[1] ?? '?');

  // 2. every announced prefix reaches VPP's FIB, through fibmgr, forwarded to the peer
  await until(`${COUNT} /24s in VPP`, async () => (await slash24s()) >= COUNT, 30_000, slash24s);
  await until('every announced prefix via 10.0.1.0 in VPP', async () => (await notForwarded()).length === 0, 10_000, async () => (await notForwarded()).slice(0, 5));
  assert.match(await vppctl('show ip fib 8.8.8.8/32'), /^\s+fibmgr refs:1 /m, 'installed under fibmgr\'s FIB source');

  // 3. the client's traffic goes through VPP to the peer and back
  for (const addr of ['8.8.8.8', ...SAMPLE]) assert.ok(await ping(addr), `client pings ${addr} through VPP`);

  // 4. a new prefix: time from the peer's announcement to the client's first answered ping
  assert.equal(await ping('100.127.255.1'), false, 'not forwarded before it is announced');
  const t0 = process.hrtime.bigint();
  await inNs('peer', 'ip', 'addr', 'add', '100.127.255.1/24', 'dev', 'lo');
  await inNs('client', 'ping', '-n', '-c', '1', '-i', '0.01', '-w', '20', '100.127.255.1');
  const announceMs = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(`# announcement to forwarding: ${announceMs.toFixed(0)} ms (peer's bgpd → cp's bgpd → zebra → FPM → fibmgr → VPP, a ping every 10 ms)`);

  // 5. the peer withdraws a prefix it still holds: it leaves VPP, and the client's pings to it stop
  await vtysh('peer', 'configure terminal', 'ip prefix-list ANNOUNCED seq 1 deny 100.64.5.0/24');
  await until('100.64.5.0/24 to leave VPP', async () => !(await fib()).has('100.64.5.0/24'), 20_000);
  assert.match((await inNs('peer', 'ip', 'addr', 'show', 'dev', 'lo')).stdout, /100\.64\.5\.1\/24/, 'the peer still answers for it');
  assert.equal(await ping('100.64.5.1'), false, 'withdrawn: VPP no longer forwards it');
  await vtysh('peer', 'configure terminal', 'no ip prefix-list ANNOUNCED seq 1 deny 100.64.5.0/24');
  await until('100.64.5.1 forwarded again', () => ping('100.64.5.1'), 20_000);

  // 6. kill -9 zebra and start it again: VPP forwards the whole time
  const restartWatched = async (what: string, action: () => Promise<unknown>, settled: () => Promise<boolean> | boolean): Promise<void> => {
    const watch = new PingWatch('8.8.8.8');
    await until('the first answers', () => watch.replies >= 3, 10_000);
    const started = Date.now();
    await action();
    await until(`fibmgr in sync again after ${what}`, settled, 60_000, () => JSON.stringify(fibmgrLog().slice(-3)));
    const settledMs = Date.now() - started;
    const before = watch.replies;
    await until('more answers', () => watch.replies >= before + 5, 10_000);
    const r = await watch.stop();
    const resync = fibmgrLog().filter((l) => /resync done$/.test(String(l.msg))).at(-1);
    console.log(`# ${what}: ${r.answered} of ${r.sent} pings answered; in sync again after ${(settledMs / 1000).toFixed(1)} s (${String(resync?.msg)}: ${String(resync?.why)}, ${String(resync?.swept)} swept, ${String(resync?.writes)} writes)`);
    assert.deepEqual(r.lost, [], `pings to 8.8.8.8 lost during ${what}`);
    assert.deepEqual(await notForwarded(), [], `every prefix still forwarded after ${what}`);
  };
  const sessionsUp = (): number => fibmgrLog().filter((l) => l.msg === 'fpm session up').length;
  const s0 = sessionsUp();
  const r0 = resyncsDone();
  await restartWatched('kill -9 zebra (restarted with bgpd, as watchfrr does)', () => script('restart.sh', 'zebra', '--kill'),
    async () => sessionsUp() > s0 && resyncsDone() > r0 && (await established()));

  // 7. restart fibmgr: it adopts VPP's routes and zebra's replay confirms them
  const lines = fibmgrLog().length;
  await restartWatched('a fibmgr restart', () => script('restart.sh', 'fibmgr'), () => fibmgrLog().slice(lines).some((l) => /resync done$/.test(String(l.msg))));

  // 8. restart VPP: it comes back empty; the session and the routes come back
  const vppStart = Date.now();
  await script('restart.sh', 'vpp');
  await until('BGP Established after the VPP restart', established, 60_000);
  await until(`${COUNT} /24s in VPP again`, async () => (await slash24s()) >= COUNT, 60_000, slash24s);
  await until('every announced prefix forwarded again', async () => (await notForwarded()).length === 0, 20_000, async () => (await notForwarded()).slice(0, 5));
  await until('8.8.8.8 answered again', () => ping('8.8.8.8'), 20_000);
  console.log(`# VPP restart: forwarding again after ${((Date.now() - vppStart) / 1000).toFixed(1)} s`);

  // 9. down.sh leaves nothing behind (so that up.sh works again)
  await script('down.sh');
  const { stdout: netns } = await run('ip', ['netns', 'list'], env);
  assert.doesNotMatch(netns, new RegExp(`^${PREFIX}`, 'm'), 'namespaces deleted');
  assert.equal(existsSync(STATE), false, 'state folder deleted');
  assert.equal(existsSync(`/var/run/frr/${PREFIX}cp`), false, 'FRR run-state deleted');
});
