// At start, before any work: VPP sessions left behind by API clients that died without a goodbye
// (a fibmgr killed by SIGKILL, the OOM killer, a crash) are reaped, so that a fibmgr that starts
// after a crash leaves VPP as it was before it — a dead session can hold VPP's main thread at
// 100 % until someone does this (vpp-binapi-ts's api-clients.ts; README "A crashed fibmgr and VPP's main
// thread"). It names no session and touches no live one.
import type { Logger } from './log.js';
import type { VppClient, MessageDef } from 'vpp-binapi-ts';
import { reapDeadSessions } from 'vpp-binapi-ts';

/** The number of sessions reaped (null: VPP lacks cli_inband, or the reap failed — logged). */
export async function reapVppLeftovers(client: VppClient, cliInband: MessageDef | undefined, log: Logger): Promise<number | null> {
  if (!cliInband || !client.has(cliInband)) {
    log.warn({}, 'VPP does not offer cli_inband: sessions of dead API clients cannot be reaped at start');
    return null;
  }
  try {
    const r = await reapDeadSessions(client, cliInband);
    if (r.reaped.length > 0) {
      log.warn({ reaped: r.reaped.length, clients: r.reaped.map((c) => c.name), listed: r.before.length }, 'reaped VPP API sessions of clients that died without a goodbye (each held VPP\'s main thread busy)');
    } else log.info({ listed: r.before.length }, 'no dead VPP API sessions to reap');
    return r.reaped.length;
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'could not check VPP for dead API sessions');
    return null;
  }
}
