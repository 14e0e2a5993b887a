// The VPP API socket's send buffer: how much fibmgr can have queued for VPP in the kernel. The
// system's default (net.core.wmem_default, 208 KB on Linux) holds ~546 route requests of 390
// bytes, ~4 ms of VPP's work: whenever fibmgr's thread is busy for longer (a garbage collection, a
// burst of FPM to decode), VPP runs dry and waits, however many requests the window allows.
// bench:real, a real VPP and 1.2M routes: VPP idle 1.1–2.7 s a sync with the default, 0.2–0.4 s
// with 4 MB (README, Benchmarks: run O), 0.02–0.07 s with 16 MB, which holds a whole default window
// of requests (run U).
//
// Node has no API for a stream socket's buffer sizes. A socket option belongs to the socket, not
// to the process that sets it, so a short-lived perl (perl-base: essential in Debian, in the
// node:*-slim images) is handed the socket as its fd 3 and sets it there.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';

/** What the kernel made of a request (getsockopt's answer; `forced`: past net.core.wmem_max, CAP_NET_ADMIN), or why none was made. */
export type SendBufferResult = { bytes: number; forced: boolean } | { error: string };

/** The sizes a send buffer may be asked for: below 64 KB it would be smaller than the system's default; the kernel stops at 2 GB. */
export const SEND_BUFFER_MIN = 64 * 1024;
export const SEND_BUFFER_MAX = 1024 * 1024 * 1024;

/** Whether `bytes` is a size setSendBuffer takes (0 is not: it means "leave it", the caller's business). */
export function isSendBufferSize(bytes: number): boolean {
  return Number.isSafeInteger(bytes) && bytes >= SEND_BUFFER_MIN && bytes <= SEND_BUFFER_MAX;
}

/** A send buffer setting (`--vpp-send-buffer`, the bench's): 0 (the system's) or a size setSendBuffer takes; throws saying so. */
export function sendBufferSetting(v: unknown): number {
  const n = Number(v);
  if (n !== 0 && !isSendBufferSize(n)) throw new Error(`must be 0 or a size in bytes from ${SEND_BUFFER_MIN} to ${SEND_BUFFER_MAX}, got ${JSON.stringify(v)}`);
  return n;
}

/** Why a setSendBuffer result falls short of `bytes` (an error, or less granted), or null when it does not. */
export function sendBufferShortfall(r: SendBufferResult, bytes: number): string | null {
  if ('error' in r) return r.error;
  return r.bytes < bytes ? `${r.bytes} bytes granted of ${bytes}` : null;
}

// The kernel doubles what it is given (its own overhead), so half the size, rounded up, is asked
// for. SO_SNDBUFFORCE (CAP_NET_ADMIN) may pass net.core.wmem_max; SO_SNDBUF is capped by it.
// Prints "<bytes> <1 if forced>".
const SCRIPT = `
use Socket qw(SOL_SOCKET SO_SNDBUF);
open(my $s, '+<&=', 3) or die "fd 3: $!\\n";
my $v = int(($ARGV[0] + 1) / 2);
my $force = eval { Socket::SO_SNDBUFFORCE() };
my $forced = defined($force) && setsockopt($s, SOL_SOCKET, $force, pack('i', $v)) ? 1 : 0;
$forced or setsockopt($s, SOL_SOCKET, SO_SNDBUF, pack('i', $v)) or die "setsockopt: $!\\n";
my $r = getsockopt($s, SOL_SOCKET, SO_SNDBUF) or die "getsockopt: $!\\n";
print unpack('i', $r), " $forced\\n";
`;

/** How long perl may take before the attempt is given up (it takes 20–40 ms). */
const HELPER_TIMEOUT_MS = 5000;

/** Debian's perl (perl-base): by its path, not PATH's first one, since it is handed the socket that programs VPP. */
export const PERL = '/usr/bin/perl';

/** Sets `sock`'s kernel send buffer to `bytes` (as far as the kernel allows); resolves with what it became, or why not. */
export function setSendBuffer(sock: Socket, bytes: number, perl = PERL): Promise<SendBufferResult> {
  return new Promise((resolve) => {
    if (!isSendBufferSize(bytes)) return resolve({ error: `send buffer of ${bytes} bytes: not a size from ${SEND_BUFFER_MIN} to ${SEND_BUFFER_MAX}` });
    // the descriptor, not the socket: a stream handed to spawn() stops being read in this process
    const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
    if (typeof fd !== 'number' || fd < 0) return resolve({ error: 'the socket has no file descriptor (not connected?)' });
    let out = '';
    let err = '';
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const done = (r: SendBufferResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    // nothing of this process's environment (PERL5OPT, PERL5LIB) reaches it
    const child = spawn(perl, ['-e', SCRIPT, String(bytes)], { stdio: ['ignore', 'pipe', 'pipe', fd], env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' } });
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      done({ error: `${perl} did not answer within ${HELPER_TIMEOUT_MS} ms` });
    }, HELPER_TIMEOUT_MS);
    timer.unref();
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', (e) => done({ error: `${perl}: ${e.message}` }));
    child.on('close', (code) => {
      const m = /^(\d+) ([01])$/.exec(out.trim());
      if (code === 0 && m) done({ bytes: Number(m[1]), forced: m[2] === '1' });
      else done({ error: `${perl} exited ${code}: ${err.trim() || out.trim() || 'no answer'}` });
    });
  });
}

/** net.core.wmem_max: what SO_SNDBUF may ask for without CAP_NET_ADMIN (the kernel doubles it). */
function wmemMax(): number | null {
  try {
    return Number(readFileSync('/proc/sys/net/core/wmem_max', 'utf8').trim());
  } catch {
    return null;
  }
}

interface SendBufferLog {
  info(o: object, m: string): void;
  warn(o: object, m: string): void;
}

/**
 * The VPP client's prepareSocket for a send buffer of `bytes` (undefined for 0: the system's
 * default): sets it on each session's socket and logs what the kernel made of it. A socket left
 * with less still works, slower: it warns, says what would give it the size, and goes on.
 */
export function sendBufferPreparer(bytes: number, log: SendBufferLog, perl?: string): ((sock: Socket) => Promise<void>) | undefined {
  if (bytes <= 0) return undefined;
  return async (sock) => {
    const r = await setSendBuffer(sock, bytes, perl);
    if ('error' in r) log.warn({ wanted: bytes, err: r.error }, 'vpp socket: send buffer left at the system default (VPP may wait while fibmgr is busy: slower full-table syncs)');
    else if (r.bytes < bytes) log.warn({ wanted: bytes, bytes: r.bytes, wmemMax: wmemMax(), needWmemMax: Math.ceil(bytes / 2) }, 'vpp socket: send buffer smaller than asked: net.core.wmem_max caps it (fibmgr has no CAP_NET_ADMIN); raise it to needWmemMax (deploy/60-fibmgr-sysctl.conf)');
    else log.info({ bytes: r.bytes, forced: r.forced }, 'vpp socket: send buffer set');
  };
}
