// VPP's API socket clients as VPP lists them (`show api clients`), and the way to let VPP reap
// the sessions of clients that died without sockclnt_delete.
//
// Why a reap is needed (docs/upstream/vpp-socket-eof-spin.md): VPP's socket reader removes a
// session whose read() returns 0 only when errno is not EAGAIN, and a read of 0 leaves errno as
// the last failing call on VPP's main thread set it — often EAGAIN, after any reply that found a
// client's socket buffer full (a big dump). Then the dead session stays registered and readable,
// and VPP's main thread reads it again on every loop, at 100 % CPU, for good.
//
// How (measured on VPP 26.10, where the client grew: fibmgr's README, "A crashed fibmgr and VPP's
// main thread"): any failing system call with another errno on VPP's main thread lets the next
// read of 0 take VPP's own removal path. `exec` of a path that cannot exist (a child of /dev/null: ENOTDIR on any Linux)
// is such a call, harmless, and runs on the main thread. It touches no live session: a live
// client's socket is read only when it has data, and then read() does not return 0.
//
// What does not work: sockclnt_delete naming the dead session's index from another connection.
// VPP (socket_api.c) then closes the *sender's* file and frees the named registration but leaves
// its file polled, and the next poll aborts VPP (assertion in is_being_removed_reg_index) — seen
// on the real VPP. Naming the dead index as client_index as well does remove it, but an index
// VPP has since reused belongs to a live client, which it would cut off.
import type { VppClient } from './client/client.js';
import type { MessageDef } from './client/types.js';

export interface ApiClient {
  name: string;
  /** VPP's file descriptor for the session's socket. */
  fd: number;
}

/** The "Socket clients" part of `show api clients` (shared-memory clients are not ours to judge). */
export function parseSocketClients(text: string): ApiClient[] {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.trim() === 'Socket clients');
  if (at < 0) return [];
  const out: ApiClient[] = [];
  for (const line of lines.slice(at + 1)) {
    const m = /^\s*(.*?)\s+(-?\d+)\s*$/.exec(line);
    if (!m) {
      if (/^\s*Name\s+Fildesc\s*$/.test(line) || line.trim() === '') continue;
      break;
    }
    out.push({ name: m[1]!, fd: Number(m[2]) });
  }
  return out;
}

/** A path whose open() fails with ENOTDIR on any Linux (a file's child): `exec` cannot run anything. */
export const NUDGE_PATH = '/dev/null/vpp-binapi-ts-lets-vpp-reap-dead-api-sessions';

export interface ReapResult {
  /** Socket clients VPP listed before, our own session included. */
  before: ApiClient[];
  /** The sessions gone after the nudge: clients that had died without a goodbye. */
  reaped: ApiClient[];
}

/**
 * Lists VPP's socket clients, nudges VPP to reap the dead ones (only when there is someone besides
 * us), and lists them again. `cliInband` is the generated cli_inband definition. VPP removes a
 * reaped session through a deferred call: the second listing is retried a few times.
 */
export async function reapDeadSessions(client: VppClient, cliInband: MessageDef, opts: { retries?: number } = {}): Promise<ReapResult> {
  const list = async () => parseSocketClients(String((await client.request<{ cmd: string }, { reply: string }>(cliInband, { cmd: 'show api clients' })).reply));
  const before = await list();
  if (before.length <= 1) return { before, reaped: [] };
  // the exec fails (that is the point): VPP answers with an error and its log names the path
  await client.request(cliInband, { cmd: `exec ${NUDGE_PATH}` }).catch(() => undefined);
  let after = await list();
  for (let i = 0; i < (opts.retries ?? 3) && gone(before, after).length === 0; i++) after = await list();
  return { before, reaped: gone(before, after) };
}

/** Sessions in `before` that `after` does not list (by descriptor and name: VPP reuses both). */
function gone(before: ApiClient[], after: ApiClient[]): ApiClient[] {
  const still = new Set(after.map((c) => `${c.fd}|${c.name}`));
  return before.filter((c) => !still.has(`${c.fd}|${c.name}`));
}
