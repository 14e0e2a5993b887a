// The VPP API socket's send buffer: how much fibmgr can have queued for VPP in the kernel. The
// system's default (net.core.wmem_default, 208 KB on Linux) holds ~1,200 route requests, ~10 ms
// of VPP's work: whenever fibmgr's thread is busy for longer (a garbage collection, a burst of
// FPM to decode), VPP runs dry and waits, however many requests the window allows. bench:real
// measured it on a real VPP, 1.2M routes: VPP idle 1.1–2.7 s a sync with the default, 0.3 s with
// 4 MB (README, bench:real).
//
// Node has no API for a stream socket's buffer sizes. A socket option belongs to the socket, not
// to the process that sets it, so a short-lived perl (perl-base: essential in Debian, in the
// node:*-slim images) is handed the socket as its fd 3 and sets it there.
import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';

/** What the kernel made of a request for `bytes` (getsockopt's answer), or why none was made. */
export type SendBufferResult = { bytes: number } | { error: string };

// SOL_SOCKET 1, SO_SNDBUF 7, SO_SNDBUFFORCE 32 (Linux, asm-generic: x86, arm). SO_SNDBUFFORCE
// (root, CAP_NET_ADMIN) may pass net.core.wmem_max; SO_SNDBUF is capped by it. The kernel doubles
// what it is given (its own overhead), so half the size is asked for.
const SCRIPT = `
open(my $s, '+<&=', 3) or die "fd 3: $!\\n";
my $v = int($ARGV[0] / 2);
setsockopt($s, 1, 32, pack('i', $v)) or setsockopt($s, 1, 7, pack('i', $v)) or die "setsockopt: $!\\n";
my $r = getsockopt($s, 1, 7) or die "getsockopt: $!\\n";
print unpack('i', $r), "\\n";
`;

/** How long perl may take before the attempt is given up (it takes a few ms). */
const HELPER_TIMEOUT_MS = 5000;

/** Sets `sock`'s kernel send buffer to `bytes` (as far as the kernel allows); resolves with what it became, or why not. */
export function setSendBuffer(sock: Socket, bytes: number, perl = 'perl'): Promise<SendBufferResult> {
  return new Promise((resolve) => {
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
    // the descriptor, not the socket: a stream handed to spawn() stops being read in this process
    const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
    if (typeof fd !== 'number' || fd < 0) return done({ error: 'the socket has no file descriptor (not connected?)' });
    const child = spawn(perl, ['-e', SCRIPT, String(bytes)], { stdio: ['ignore', 'pipe', 'pipe', fd] });
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      done({ error: `${perl} did not answer within ${HELPER_TIMEOUT_MS} ms` });
    }, HELPER_TIMEOUT_MS);
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', (e) => done({ error: `${perl}: ${e.message}` }));
    child.on('close', (code) => {
      const n = Number(out.trim());
      if (code === 0 && Number.isInteger(n) && n > 0) done({ bytes: n });
      else done({ error: `${perl} exited ${code}: ${err.trim() || out.trim() || 'no answer'}` });
    });
  });
}

interface SendBufferLog {
  info(o: object, m: string): void;
  warn(o: object, m: string): void;
}

/**
 * The VPP client's prepareSocket for a send buffer of `bytes` (undefined for 0: the system's
 * default): sets it on each session's socket and logs what the kernel made of it. A socket left
 * with the default still works, slower: it warns and goes on.
 */
export function sendBufferPreparer(bytes: number, log: SendBufferLog, perl?: string): ((sock: Socket) => Promise<void>) | undefined {
  if (bytes <= 0) return undefined;
  return async (sock) => {
    const r = await setSendBuffer(sock, bytes, perl);
    if ('error' in r) log.warn({ wanted: bytes, err: r.error }, 'vpp socket: send buffer left at the system default (VPP may wait while fibmgr is busy: slower full-table syncs)');
    else if (r.bytes < bytes) log.warn({ wanted: bytes, bytes: r.bytes }, 'vpp socket: send buffer smaller than asked (capped by net.core.wmem_max; root can pass it)');
    else log.info({ bytes: r.bytes }, 'vpp socket: send buffer set');
  };
}
