// The operator's HTTP endpoints: /metrics (Prometheus), /healthz (the process answers), /readyz
// (VPP's FIB is zebra's: 200, else 503 with the reason), /state (JSON), /route and a read-only
// /audit on --metrics-addr, open to whoever reaches it; the actions that change what VPP forwards
// (/sweep, /audit?repair=1) only on the operator's unix socket (--ops-socket, see
// operator-socket.ts), which only root and fibmgr's own user can open. Everywhere else they are
// refused with 403, whatever the method.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import { LogThrottle } from '../log-throttle.js';
import type { Metrics } from './metrics.js';
import type { OpsSources } from './sources.js';
import { buildState, readinessOf } from './state.js';

export interface OpsServerOptions {
  /** TCP (--metrics-addr) or the operator's unix socket (already prepared: operator-socket.ts). */
  at: { host: string; port: number } | { path: string };
  /** Whether the actions that change VPP are served here (the operator's socket only). */
  actions: boolean;
  sources: OpsSources;
  metrics: Metrics;
  logger: Logger;
}

/** An action that changes what VPP forwards, or null for a query. */
export function actionOf(path: string | undefined, url: string): string | null {
  if (path === '/sweep') return 'sweep';
  if (path === '/audit' && /[?&]repair=1\b/.test(url)) return 'audit --repair';
  return null;
}

export class OpsServer {
  private readonly server: Server;
  private readonly log: Logger;
  /** Actions refused here are logged once per client address and minute. */
  private readonly refusals = new LogThrottle({ intervalMs: 60_000 });

  constructor(private readonly opts: OpsServerOptions) {
    this.log = opts.logger.child({ component: 'path' in opts.at ? 'ops-socket' : 'http' });
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: Error) => {
        this.log.error({ url: req.url, err: err.message }, 'http handler failed');
        if (!res.headersSent) send(res, 500, 'text/plain', `internal error: ${err.message}\n`);
        else res.destroy();
      });
    });
    // A scraper that never reads must not hold sockets forever.
    this.server.requestTimeout = 10_000;
    this.server.headersTimeout = 5_000;
    this.server.keepAliveTimeout = 5_000;
  }

  listen(): Promise<AddressInfo | string> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      const done = (): void => {
        this.server.off('error', reject);
        const addr = this.server.address() as AddressInfo | string;
        if (typeof addr === 'string') this.log.info({ path: addr }, 'operator socket: /sweep /audit?repair=1 and every query');
        else this.log.info({ address: `${addr.address}:${addr.port}` }, 'http: /metrics /healthz /readyz /state (actions that change VPP only on the operator socket)');
        resolve(addr);
      };
      if ('path' in this.opts.at) this.server.listen(this.opts.at.path, done);
      else this.server.listen(this.opts.at.port, this.opts.at.host, done);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const action = actionOf(path, req.url ?? '');
    if (action && !this.opts.actions) return this.refuseAction(req, res, action);
    if (path === '/sweep') {
      // An action, so POST only: a scraper or a browser prefetch never sweeps.
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST');
        return send(res, 405, 'text/plain', 'POST to sweep\n');
      }
      const r = this.opts.sources.sync.sweep();
      this.log.info({ result: r }, r ? 'operator sweep: stale routes removed' : 'operator sweep: no resync under way');
      return send(res, r ? 200 : 409, 'application/json', JSON.stringify(r ?? { error: 'no resync under way: nothing is stale' }) + '\n');
    }
    if (path === '/audit') {
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST');
        return send(res, 405, 'text/plain', 'POST to audit\n');
      }
      // ?all=1: every difference (fibmgr audit --json), else the first ones
      const all = /[?&]all=1\b/.test(req.url ?? '');
      const repair = action === 'audit --repair'; // the query's repair=1, read once by actionOf
      const r = await this.opts.sources.sync.audit({ maxDrift: all ? 1_000_000 : 20, repair });
      this.log.info({ ok: r.ok, repair, repaired: r.repaired, checked: r.checked, missing: r.missing, extra: r.extra, different: r.different, durationMs: r.durationMs, err: r.error }, 'operator audit');
      return send(res, 200, 'application/json', JSON.stringify(r) + '\n');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'text/plain', 'method not allowed\n');
    }
    switch (path) {
      case '/route': {
        const q = new URL(req.url ?? '/', 'http://x').searchParams;
        const prefix = q.get('prefix');
        const table = Number(q.get('table') ?? 254);
        if (!prefix || !Number.isInteger(table) || table < 0) return send(res, 400, 'text/plain', 'want ?prefix=PREFIX[&table=ZEBRA_TABLE]\n');
        try {
          return send(res, 200, 'application/json', JSON.stringify(await this.opts.sources.sync.showRoute(prefix, table)) + '\n');
        } catch (err) {
          return send(res, 400, 'text/plain', `${(err as Error).message}\n`);
        }
      }
      case '/label': {
        const label = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('label'));
        if (!Number.isInteger(label) || label < 0 || label >= 1 << 20) return send(res, 400, 'text/plain', 'want ?label=N (0 to 1048575)\n');
        return send(res, 200, 'application/json', JSON.stringify(await this.opts.sources.sync.showLabel(label)) + '\n');
      }
      case '/metrics': {
        const body = await this.opts.metrics.registry.metrics();
        return send(res, 200, this.opts.metrics.registry.contentType, body);
      }
      case '/healthz':
        return send(res, 200, 'text/plain', 'ok\n');
      case '/readyz': {
        const r = readinessOf(this.opts.sources);
        return send(res, r.ready ? 200 : 503, 'text/plain', `${r.reason}\n`);
      }
      case '/state':
        return send(res, 200, 'application/json', JSON.stringify(buildState(this.opts.sources), null, 2) + '\n');
      default:
        return send(res, 404, 'text/plain', 'not found: try /metrics, /healthz, /readyz, /state\n');
    }
  }

  private refuseAction(req: IncomingMessage, res: ServerResponse, action: string): void {
    const told = this.refusals.admit(req.socket.remoteAddress ?? '?');
    if (told) this.log.warn({ client: req.socket.remoteAddress, action, url: req.url, refusedSinceLastLine: told.held || undefined }, 'operator action refused on the TCP port (only on the operator socket)');
    send(res, 403, 'text/plain', `${action} changes what VPP forwards: only root and fibmgr's user may do it, through the operator socket (--ops-socket; \`fibmgr ${action}\` uses it)\n`);
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
