// Every setting fibmgr has, in one table: the CLI flags, the FIBMGR_* environment variables,
// the config-file keys, the defaults and the --help text are all derived from it, so that a
// new setting is one entry here and nothing else.
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { listOf, parseInterfaceMap, parseTableMap } from './lists.js';
import { parseAllowList } from '../fpm/peer-check.js';
import { sendBufferSetting } from '../vpp-send-buffer.js';

export type OptionKind = 'string' | 'int' | 'number' | 'bool' | 'list';

export interface OptionDef {
  /** camelCase key: the config-file key and the property of Config. */
  key: keyof Config;
  /** Long flag without dashes, e.g. "fpm-port". Env is FIBMGR_ + upper snake of this. */
  flag: string;
  kind: OptionKind;
  /** Placeholder shown in --help, e.g. "PORT". */
  arg?: string;
  description: string;
  default: Config[keyof Config];
  /** Validates and normalises one value; throws Error with a message naming what is wrong. */
  check?: (value: unknown) => unknown;
}

export interface Config {
  fpmHost: string;
  fpmPort: number;
  fpmWeights: 'auto' | 'kernel' | 'legacy';
  offloadNotify: 'auto' | 'on' | 'off';
  vppSock: string;
  dryRun: boolean;
  logLevel: string;
  logFormat: 'json' | 'pretty' | 'auto';
  interfaceMap: string[];
  tableMap: string[];
  installConnected: boolean;
  resyncGrace: number;
  staleTime: number;
  fpmAllow: string[];
  fpmUser: string[];
  flushOnExit: boolean;
  metricsAddr: string;
  opsSocket: string;
  vppWindow: number;
  vppSendBuffer: number;
  vppTimeout: number;
  maxBacklog: number;
  auditInterval: number;
  progressInterval: number;
  recordFpm: string;
  warmUpRoutes: number;
}

function port(v: unknown): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`must be a port number 1-65535, got ${JSON.stringify(v)}`);
  return n;
}

function positiveInt(v: unknown): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

function nonNegativeNumber(v: unknown): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`must be a number, 0 or more, got ${JSON.stringify(v)}`);
  return n;
}

/** The warm-up's routes (the loader has made it a whole number): 0 (none) to 200,000 (its simulator holds them all, briefly). */
function warmUpRoutes(v: unknown): number {
  const n = Number(v);
  if (n < 0 || n > 200_000) throw new Error(`must be a whole number from 0 to 200000, got ${JSON.stringify(v)}`);
  return n;
}

function positiveNumber(v: unknown): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`must be a positive number, got ${JSON.stringify(v)}`);
  return n;
}

function oneOf<T extends string>(...allowed: T[]) {
  return (v: unknown): T => {
    if (typeof v !== 'string' || !allowed.includes(v as T)) throw new Error(`must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
    return v as T;
  };
}

/** "off", "HOST:PORT" or "[IPV6]:PORT". */
export function parseListenAddr(v: string): { host: string; port: number } | null {
  if (v === 'off') return null;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s\[\]]+)):(\d+)$/.exec(v);
  if (!m) throw new Error('must be HOST:PORT, [IPV6]:PORT or off');
  return { host: (m[1] ?? m[2])!, port: port(m[3]) };
}

function pathOrOff(v: unknown): string {
  const p = String(v);
  if (p !== 'off' && !p.startsWith('/')) throw new Error('must be an absolute path or off');
  return p;
}

function listenAddr(v: unknown): string {
  parseListenAddr(String(v));
  return String(v);
}

/**
 * The VPP socket may not exist yet (VPP starts after fibmgr, or is restarting: fibmgr waits for
 * it), but a path that cannot ever be VPP's socket is a configuration error.
 */
function socketPath(v: unknown): string {
  const p = String(v);
  if (!p.startsWith('/')) throw new Error('must be an absolute path');
  let st: import('node:fs').Stats | undefined;
  try {
    st = statSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new Error(`a parent of it is not a directory`);
    if (code === 'EACCES') throw new Error(`not readable: permission denied`);
    if (code !== 'ENOENT') throw new Error((e as Error).message);
  }
  if (st) {
    if (!st.isSocket()) throw new Error(`exists but is not a unix socket`);
    try {
      accessSync(p, fsConstants.R_OK | fsConstants.W_OK);
    } catch {
      throw new Error('not readable and writable by this user (VPP usually gives its socket to the vpp group)');
    }
  }
  return p;
}

export const OPTIONS: OptionDef[] = [
  { key: 'fpmHost', flag: 'fpm-host', kind: 'string', arg: 'ADDR', default: '127.0.0.1', description: 'address to listen on for zebra\'s FPM connection' },
  { key: 'fpmPort', flag: 'fpm-port', kind: 'int', arg: 'PORT', default: 2620, check: port, description: 'TCP port for zebra\'s FPM connection (FRR\'s default is 2620)' },
  { key: 'fpmWeights', flag: 'fpm-weights', kind: 'string', arg: 'MODE', default: 'auto', check: oneOf('auto', 'kernel', 'legacy'), description: 'how netlink next-hop weights are written: kernel (dplane_fpm_nl, weight-1), legacy (zebra_fpm, weight as-is), auto (tell per session)' },
  { key: 'offloadNotify', flag: 'offload-notify', kind: 'string', arg: 'MODE', default: 'auto', check: oneOf('auto', 'on', 'off'), description: 'route notifications to zebra (installed / failed, for --asic-offload=notify_on_offload): auto (to dplane_fpm_nl sessions), on, off' },
  { key: 'vppSock', flag: 'vpp-sock', kind: 'string', arg: 'PATH', default: '/run/vpp/api.sock', check: socketPath, description: 'VPP binary API unix socket' },
  { key: 'dryRun', flag: 'dry-run', kind: 'bool', default: false, description: 'no VPP: log every request that would be sent' },
  { key: 'logLevel', flag: 'log-level', kind: 'string', arg: 'LEVEL', default: 'info', check: oneOf('trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'), description: 'log level' },
  { key: 'logFormat', flag: 'log-format', kind: 'string', arg: 'FORMAT', default: 'auto', check: oneOf('json', 'pretty', 'auto'), description: 'log lines as JSON (systemd, docker) or pretty for a person; auto: pretty when stderr is a terminal' },
  { key: 'interfaceMap', flag: 'interface-map', kind: 'list', arg: 'LINUX=VPP', default: [], check: listOf(parseInterfaceMap), description: 'map a Linux interface name to a VPP interface name (repeatable)' },
  { key: 'tableMap', flag: 'table-map', kind: 'list', arg: 'ZEBRA=VPP', default: [], check: listOf(parseTableMap), description: 'map a zebra table id to a VPP table id (repeatable); 254 maps to 0 unless told otherwise' },
  { key: 'installConnected', flag: 'install-connected', kind: 'bool', default: false, description: 'also install connected routes (VPP has its own interface routes)' },
  { key: 'resyncGrace', flag: 'resync-grace', kind: 'number', arg: 'SECONDS', default: 3, check: positiveNumber, description: 'quiet period that ends zebra\'s replay after a (re)connect; stale routes are swept then' },
  { key: 'staleTime', flag: 'stale-time', kind: 'number', arg: 'SECONDS', default: 120, check: positiveNumber, description: 'how long routes zebra\'s replay has not confirmed keep forwarding after zebra restarted (graceful restart), or when no replay can show them complete (legacy module, adopted from VPP); a replay evidently complete sweeps them at the quiet period' },
  { key: 'fpmAllow', flag: 'fpm-allow', kind: 'list', arg: 'PREFIX', default: ['127.0.0.0/8', '::1/128'], check: listOf(parseAllowList), description: 'addresses or prefixes allowed to connect as zebra (repeatable)' },
  { key: 'fpmUser', flag: 'fpm-user', kind: 'list', arg: 'USER', default: ['frr'], description: 'users (names or uids) whose local sockets may connect as zebra, root always may (repeatable)' },
  { key: 'flushOnExit', flag: 'flush-on-exit', kind: 'bool', default: false, description: 'remove fibmgr\'s routes from VPP on SIGTERM/SIGINT' },
  { key: 'metricsAddr', flag: 'metrics-addr', kind: 'string', arg: 'HOST:PORT', default: '127.0.0.1:9469', check: listenAddr, description: 'HTTP address for /metrics, /healthz, /readyz, /state and read-only queries; actions that change VPP are refused there ("off" disables)' },
  { key: 'opsSocket', flag: 'ops-socket', kind: 'string', arg: 'PATH', default: '/run/fibmgr/ops.sock', check: pathOrOff, description: 'the operator\'s unix socket (mode 0600 in a directory private to fibmgr\'s user): the only way to the actions that change VPP (fibmgr sweep, fibmgr audit --repair), so only root and fibmgr\'s user may take them ("off" disables)' },
  { key: 'vppWindow', flag: 'vpp-window', kind: 'int', arg: 'N', default: 32768, check: positiveInt, description: 'VPP API requests in flight at once' },
  { key: 'vppSendBuffer', flag: 'vpp-send-buffer', kind: 'int', arg: 'BYTES', default: 16 * 1024 * 1024, check: sendBufferSetting, description: 'the VPP API socket\'s kernel send buffer: requests queued for VPP while fibmgr is busy (the system\'s default holds ~4 ms of VPP\'s work; 16 MB a whole default window, ~13 MB of route requests); set with perl, as far as the kernel allows (0: the system\'s default)' },
  { key: 'vppTimeout', flag: 'vpp-timeout', kind: 'number', arg: 'SECONDS', default: 10, check: positiveNumber, description: 'seconds to wait for a VPP reply' },
  { key: 'auditInterval', flag: 'audit-interval', kind: 'number', arg: 'SECONDS', default: 600, check: nonNegativeNumber, description: 'how often VPP\'s routes of fibmgr\'s source are audited against what fibmgr installed, drift repaired (0: never)' },
  { key: 'progressInterval', flag: 'progress-interval', kind: 'number', arg: 'SECONDS', default: 5, check: nonNegativeNumber, description: 'during a replay, a resync, a VPP reload or an audit, one progress line this often, and a summary at the end (0: none)' },
  { key: 'recordFpm', flag: 'record-fpm', kind: 'string', arg: 'PATH', default: 'off', check: pathOrOff, description: 'record each FPM session\'s frames as zebra sent them into PATH.1, PATH.2, … (by session; overwritten by a new run; 256 MiB in all at most) for `fibmgr decode`' },
  { key: 'warmUpRoutes', flag: 'warm-up-routes', kind: 'int', arg: 'N', default: 62500, check: warmUpRoutes, description: 'before listening for zebra, run this many synthetic routes through fibmgr\'s own route path against a private VPP simulator, twice (a path of its own each time), so that zebra\'s first replay runs on compiled code (0: no warm-up; none in a dry run). VPP is not touched' },
  { key: 'maxBacklog', flag: 'max-backlog', kind: 'int', arg: 'N', default: 200000, check: positiveInt, description: 'pending route changes before fibmgr stops reading FPM until VPP catches up' },
];

export const DEFAULTS: Config = Object.fromEntries(OPTIONS.map((o) => [o.key, o.default])) as unknown as Config;
