// `fibmgr sweep`: POST /sweep to a running fibmgr — the operator ends a stale wait now (zebra is
// known to be back and complete), removing every route its replay has not confirmed.
import { opsRequest } from './ops-client.js';

export async function runSweep(addr: string): Promise<number> {
  try {
    const { status, body } = await opsRequest(addr, 'POST', '/sweep');
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
