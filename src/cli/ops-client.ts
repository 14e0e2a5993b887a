// The subcommands' way to a running fibmgr: one HTTP request to its ops port (--metrics-addr) for
// queries, or to its operator socket (--ops-socket) for the actions that change VPP.
import { request, type RequestOptions } from 'node:http';
import { parseListenAddr } from '../config/options.js';

export class OpsUnreachable extends Error {}

/** `method path` on the fibmgr listening at `addr`; rejects with OpsUnreachable when nothing answers. */
export function opsRequest(addr: string, method: 'GET' | 'POST', path: string, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
  const at = parseListenAddr(addr);
  if (!at) return Promise.reject(new OpsUnreachable('the metrics server is off (--metrics-addr off): nothing to ask'));
  // a wildcard listen address is reached through loopback
  const host = at.host === '0.0.0.0' ? '127.0.0.1' : at.host === '::' ? '::1' : at.host;
  return send({ host, port: at.port, path, method, timeout: timeoutMs }, timeoutMs);
}

/** Refused: this user may not open the operator socket (only root and fibmgr's user may). */
export class OpsForbidden extends Error {}

/** `method path` on the operator socket at `socketPath`; rejects with OpsForbidden or OpsUnreachable. */
export function operatorRequest(socketPath: string, method: 'GET' | 'POST', path: string, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
  if (socketPath === 'off') return Promise.reject(new OpsUnreachable('the operator socket is off (--ops-socket off): nothing to ask'));
  return send({ socketPath, path, method, timeout: timeoutMs }, timeoutMs).catch((e: Error & { cause?: NodeJS.ErrnoException }) => {
    const code = e.cause?.code;
    if (code === 'EACCES' || code === 'EPERM') throw new OpsForbidden(`permission denied on the operator socket ${socketPath}: only root and fibmgr's own user may do this`);
    if (code === 'ENOENT' || code === 'ECONNREFUSED') throw new OpsUnreachable(`no fibmgr at the operator socket ${socketPath} (is it running, with this --ops-socket?)`);
    throw e;
  });
}

/** Tells on stderr why `fibmgr <command>` got no answer from fibmgr at `where`; the exit code (4: refused, 1: anything else). */
export function cannotAsk(command: string, where: string, e: unknown): number {
  if (e instanceof OpsForbidden) {
    process.stderr.write(`fibmgr ${command}: ${e.message}\n`);
    return 4;
  }
  process.stderr.write(`fibmgr ${command}: cannot reach fibmgr at ${where}: ${(e as Error).message}\n`);
  return 1;
}

function send(opts: RequestOptions, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(opts, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new OpsUnreachable(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', (e) => reject(e instanceof OpsUnreachable ? e : new OpsUnreachable(e.message, { cause: e })));
    req.end();
  });
}
