// The subcommands' way to a running fibmgr: one HTTP request to its ops port (--metrics-addr).
import { request } from 'node:http';
import { parseListenAddr } from '../config/options.js';

export class OpsUnreachable extends Error {}

/** `method path` on the fibmgr listening at `addr`; rejects with OpsUnreachable when nothing answers. */
export function opsRequest(addr: string, method: 'GET' | 'POST', path: string, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
  const at = parseListenAddr(addr);
  if (!at) return Promise.reject(new OpsUnreachable('the metrics server is off (--metrics-addr off): nothing to ask'));
  // a wildcard listen address is reached through loopback
  const host = at.host === '0.0.0.0' ? '127.0.0.1' : at.host === '::' ? '::1' : at.host;
  return new Promise((resolve, reject) => {
    const req = request({ host, port: at.port, path, method, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new OpsUnreachable(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', (e) => reject(e instanceof OpsUnreachable ? e : new OpsUnreachable(e.message)));
    req.end();
  });
}
