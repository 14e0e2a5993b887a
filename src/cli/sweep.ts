// `fibmgr sweep`: POST /sweep on a running fibmgr's operator socket — the operator ends a stale
// wait now (zebra is known to be back and complete), removing every route its replay has not
// confirmed. An action that changes VPP: only root and fibmgr's user may (the socket's mode).
import { cannotAsk, operatorRequest } from './ops-client.js';

export async function runSweep(opsSocket: string): Promise<number> {
  try {
    const { status, body } = await operatorRequest(opsSocket, 'POST', '/sweep');
    if (status === 409) {
      process.stdout.write('nothing to sweep: no resync is under way\n');
      return 0;
    }
    if (status !== 200) throw new Error(`answered ${status}: ${body.trim()}`);
    const r = JSON.parse(body) as { swept: number; kept: number };
    process.stdout.write(`swept ${r.swept} stale routes${r.kept ? `; ${r.kept} kept in tables zebra's replay did not mention` : ''}\n`);
    return 0;
  } catch (e) {
    return cannotAsk('sweep', opsSocket, e);
  }
}
