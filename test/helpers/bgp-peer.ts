// BGP for a zebra lab (zebra-lab.ts): a bgpd beside the lab's zebra (AS 65001, it installs what it
// learns into zebra) and a BGP peer in a namespace of its own (AS 65002, a bgpd without zebra),
// a veth between them (10.0.9.1 in the lab, 10.0.9.2 at the peer). The peer announces its
// networks from `network` statements in its configuration (import check off: it has no RIB).
// Debian's FRR (8.4) only.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lab } from './zebra-lab.js';
import { pollUntil } from './external-process.js';

const FRR = '/usr/lib/frr';

export interface BgpPair {
  readonly peerNs: string;
  /** vtysh against the peer's bgpd, one -c per command. */
  peerVtysh(...commands: string[]): string;
  /** Configuration lines for the peer's bgpd, under `router bgp` / `address-family ipv4 unicast` (e.g. `network …`, `no network …`). */
  peerNetworks(lines: readonly string[]): void;
  /** The lab's bgpd: is it running, kill -9 it, start it again. */
  labBgpdAlive(): boolean;
  kill9LabBgpd(): Promise<void>;
  startLabBgpd(): Promise<void>;
  /** Routes the lab's bgpd has received from the peer (its BGP table). */
  received(): number;
  stop(): Promise<void>;
}

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function alive(pid: number | null): boolean {
  if (pid === null) return false;
  try { process.kill(pid, 0); return true; } catch { return false; }
}

function readPid(file: string): number | null {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch { return null; }
}


/** Starts the pair; the peer announces `networks` (prefix texts). */
export async function startBgpPair(lab: Lab, networks: readonly string[]): Promise<BgpPair> {
  const peerNs = `${lab.ns}-peer`;
  const peerDir = mkdtempSync(join(tmpdir(), `${peerNs}-`));
  let nsCreated = false;
  const labPid = join(lab.dir, 'bgpd.pid');
  const peerPid = join(peerDir, 'bgpd.pid');
  const daemon = (ns: string, dir: string, extra: string[]) => {
    const r = spawnSync('ip', ['netns', 'exec', ns, `${FRR}/bgpd`, '-u', 'root', '-g', 'root', '-P', '0', '--vty_socket', dir,
      '-i', join(dir, 'bgpd.pid'), '--log', `file:${join(dir, 'bgpd.log')}`, '-f', join(dir, 'bgpd.conf'), '-d', ...extra], { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`bgpd in ${ns} did not start (${r.status})`);
  };
  const tail = (dir: string) => { try { return readFileSync(join(dir, 'bgpd.log'), 'utf8').split('\n').slice(-10).join('\n'); } catch { return '(no log)'; } };
  const startLab = async () => {
    const before = readPid(labPid);
    daemon(lab.ns, lab.dir, ['-z', join(lab.dir, 'zserv.api')]);
    if (!(await pollUntil(() => { const p = readPid(labPid); return p !== before && alive(p); }, 10_000))) throw new Error(`the lab's bgpd did not come up: ${tail(lab.dir)}`);
  };
  const pair: BgpPair = {
    peerNs,
    peerVtysh(...commands) {
      const args = ['--vty_socket', peerDir];
      for (const c of commands) args.push('-c', c);
      const r = spawnSync('vtysh', args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`peer vtysh ${commands.join(' / ')} failed (${r.status}): ${r.stdout}${r.stderr}`);
      return r.stdout;
    },
    peerNetworks(lines) {
      const file = join(peerDir, 'change.conf');
      writeFileSync(file, ['router bgp 65002', ' address-family ipv4 unicast', ...lines.map((l) => `  ${l}`), ' exit-address-family', ''].join('\n'));
      const r = spawnSync('vtysh', ['--vty_socket', peerDir, '-f', file], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`peer vtysh -f failed (${r.status}): ${r.stdout}${r.stderr}`);
    },
    labBgpdAlive: () => alive(readPid(labPid)),
    async kill9LabBgpd() {
      const pid = readPid(labPid);
      if (!alive(pid)) throw new Error('the lab\'s bgpd is not running');
      process.kill(pid!, 'SIGKILL');
      if (!(await pollUntil(() => !alive(pid), 10_000))) throw new Error('bgpd survived SIGKILL');
    },
    startLabBgpd: startLab,
    received() {
      const out = lab.vtysh('show bgp ipv4 unicast summary json');
      try {
        const j = JSON.parse(out) as { peers?: Record<string, { pfxRcd?: number }> };
        return j.peers?.['10.0.9.2']?.pfxRcd ?? 0;
      } catch { return 0; }
    },
    async stop() {
      for (const f of [labPid, peerPid]) {
        const pid = readPid(f);
        if (alive(pid)) { try { process.kill(pid!, 'SIGKILL'); } catch { /* gone */ } }
      }
      if (nsCreated) spawnSync('ip', ['netns', 'del', peerNs]);
      rmSync(peerDir, { recursive: true, force: true });
    },
  };
  try {
    sh('ip', ['netns', 'add', peerNs]);
    nsCreated = true;
    sh('ip', ['-n', peerNs, 'link', 'set', 'lo', 'up']);
    sh('ip', ['-n', lab.ns, 'link', 'add', 'bgp0', 'type', 'veth', 'peer', 'name', 'bgp1', 'netns', peerNs]);
    sh('ip', ['-n', lab.ns, 'addr', 'add', '10.0.9.1/24', 'dev', 'bgp0']);
    sh('ip', ['-n', lab.ns, 'link', 'set', 'bgp0', 'up']);
    sh('ip', ['-n', peerNs, 'addr', 'add', '10.0.9.2/24', 'dev', 'bgp1']);
    sh('ip', ['-n', peerNs, 'link', 'set', 'bgp1', 'up']);
    const common = ['no bgp ebgp-requires-policy', 'timers bgp 3 9'];
    writeFileSync(join(peerDir, 'bgpd.conf'), [
      'hostname peer', 'router bgp 65002', ' bgp router-id 10.0.9.2', ...common.map((l) => ` ${l}`), ' no bgp network import-check',
      ' neighbor 10.0.9.1 remote-as 65001', ' neighbor 10.0.9.1 timers connect 1', ' address-family ipv4 unicast',
      ...networks.map((n) => `  network ${n}`), ' exit-address-family', '',
    ].join('\n'));
    writeFileSync(join(lab.dir, 'bgpd.conf'), [
      `hostname ${lab.ns}-bgp`, 'router bgp 65001', ' bgp router-id 10.0.9.1', ...common.map((l) => ` ${l}`),
      ' neighbor 10.0.9.2 remote-as 65002', ' neighbor 10.0.9.2 timers connect 1', '',
    ].join('\n'));
    daemon(peerNs, peerDir, ['-Z']);
    if (!(await pollUntil(() => existsSync(join(peerDir, 'bgpd.vty')), 10_000))) throw new Error(`the peer's bgpd did not come up: ${tail(peerDir)}`);
    await startLab();
  } catch (e) {
    await pair.stop();
    throw e;
  }
  return pair;
}
