// `fibmgr sweep`: POST /sweep to a running fibmgr — the operator ends a stale wait now (zebra is
// known to be back and complete), removing every route its replay has not confirmed.
import { request } from 'node:http';
import { parseListenAddr } from '../config/options.js';

export async function runSweep(addr: string): Promise<number> {
  let at: { host: string; port: number } | null;
  try {
    at = parseListenAddr(addr);
  } catch (e) {
    process.stderr.write(`fibmgr sweep: --metrics-addr ${addr}: ${(e as Error).message}\n`);
    return 2;
  }
  if (!at) {
    process.stderr.write('fibmgr sweep: the metrics server is off (--metrics-addr off): nothing to ask\n');
    return 1;
  }
  const host = at.host === '0.0.0.0' ? '127.0.0.1' : at.host === '::' ? '::1' : at.host;
  try {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host, port: at!.port, path: '/sweep', method: 'POST', timeout: 10_000 }, (res) => {
        let b = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (b += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
      });
      req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
      req.on('error', reject);
      req.end();
    });
    if (status === 409) {
      process.stdout.write('nothing to sweep: no resync is under way\n');
      return 0;
    }
    if (status !== 200) throw new Error(`answered ${status}: ${body.trim()}`);
    const r = JSON.parse(body) as { swept: number; kept: number };
    process.stdout.write(`swept ${r.swept} stale routes${r.kept ? `; ${r.kept} kept in tables zebra's replay did not mention` : ''}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`fibmgr sweep: cannot reach fibmgr at ${addr}: ${(e as Error).message}\n`);
    return 1;
  }
}
