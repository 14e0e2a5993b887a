// Reads a real VPP's FIB back through fibmgr's own client, in the text form of sim-fib.ts (per
// "table|prefix", the sorted paths a source holds, e.g. "normal 10.0.2.2 sw* w1" or "drop"), so
// tests on the real VPP and on the simulator assert the same way.
import { VppClient } from 'vpp-binapi-ts';
import { messages, fib_source_dump, ip_table_dump, ip_route_v2_dump, ip_route_dump, mpls_route_dump, show_version } from 'vpp-binapi-ts/gen';
import { PATH_BYTES, isRetvalError } from 'vpp-binapi-ts';
import { readRouteHead, type RouteHead } from '../../src/sync/vpp/route-details.js';
import { prefixText, v4Prefix } from '../../src/route/prefix.js';
import { pathText } from './sim-fib.js';

/** A client on VPP's API socket, connected; close() it when done. */
export async function openVpp(apiSock: string): Promise<VppClient> {
  const c = new VppClient({
    socketPath: apiSock,
    messages,
    required: [fib_source_dump, ip_table_dump, ip_route_v2_dump, ip_route_dump, show_version],
    reconnect: false,
    clientName: 'fibmgr-test',
  });
  await c.connect();
  return c;
}

/** The id VPP gave the FIB source `name`, if there is one. */
export async function sourceId(c: VppClient, name: string): Promise<number | undefined> {
  const sources = await c.dump<any, any>(fib_source_dump, {});
  return sources.map((d) => d.src).find((s) => s?.name === name)?.id;
}

/** Every route source `src` holds, in every table of both families: "table|prefix" → sorted paths. */
export async function routesOf(c: VppClient, src: number): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const head: RouteHead = { family: 4, table: 0, prefix: v4Prefix(0, 0), pathStart: 0, pathEnd: 0 };
  for (const t of await c.dump<any, any>(ip_table_dump, {})) {
    await c.dumpRaw(ip_route_v2_dump, { src, table: { table_id: t.table.table_id, is_ip6: t.table.is_ip6, name: '' } }, (buf, s, e) => {
      if (!readRouteHead(buf, s, e, head)) throw new Error('an ip_route_v2_details that does not decode');
      const paths: string[] = [];
      for (let o = head.pathStart; o < head.pathEnd; o += PATH_BYTES) paths.push(pathText(buf.subarray(o, o + PATH_BYTES)));
      out.set(`${head.table}|${prefixText(head.prefix)}`, paths.sort());
    });
  }
  return out;
}

/** How many routes source `src` holds, in every table of both families (cheaper than routesOf: nothing decoded). */
export async function countOf(c: VppClient, src: number): Promise<number> {
  let n = 0;
  for (const t of await c.dump<any, any>(ip_table_dump, {})) {
    n += await c.dumpRaw(ip_route_v2_dump, { src, table: { table_id: t.table.table_id, is_ip6: t.table.is_ip6, name: '' } }, () => undefined);
  }
  return n;
}

/** routesOf() for the source named `name` (fibmgr's is "fibmgr"), sorted by key, as a plain object; {} before the source exists. */
export async function fibOf(c: VppClient, name = 'fibmgr'): Promise<Record<string, string[]>> {
  const src = await sourceId(c, name);
  if (src === undefined) return {};
  return Object.fromEntries([...(await routesOf(c, src))].sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * MPLS table 0 whole (VPP's special entries of labels 0-2 too): "label eos|neos" → its EOS
 * protocol and sorted paths, every field fibmgr writes; {} while the table does not exist.
 */
export async function mplsTableOf(c: VppClient): Promise<Record<string, string>> {
  const table: Record<string, string> = {};
  try {
    for (const d of await c.dump<any, any>(mpls_route_dump, { table: { mt_table_id: 0, mt_name: '' } })) {
      const r = d.mr_route;
      const paths = (r.mr_paths as any[]).map((p) => JSON.stringify({
        sw: p.sw_if_index, w: p.weight, type: p.type, proto: p.proto, flags: p.flags,
        nh: Number(p.proto) === 1 ? p.nh.address.ip6 : Number(p.proto) === 0 ? p.nh.address.ip4 : null,
        labels: (p.label_stack as { label: number }[]).slice(0, p.n_labels).map((x) => x.label),
      })).sort();
      table[`${r.mr_label}${r.mr_eos ? ' eos' : ' neos'}`] = `eos_proto ${r.mr_eos_proto} ${paths.join(' ')}`;
    }
  } catch (e) {
    if (!isRetvalError(e)) throw e;
  }
  return Object.fromEntries(Object.entries(table).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * VPP's CLI view of one prefix (`show ip fib PREFIX` / `show ip6 fib PREFIX`, table 0): each FIB
 * source holding exactly that prefix → its paths, "10.0.2.2 w1" (a next hop and its weight) or
 * "special w1" (drop, unreachable…), sorted. {} when VPP has no entry for the prefix itself. Cheap
 * next to a dump when VPP holds a big table.
 */
export async function cliFibEntry(cli: (cmd: string) => Promise<string>, prefix: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  let entry = '';
  let paths: string[] | undefined;
  for (const line of (await cli(`show ${prefix.includes(':') ? 'ip6' : 'ip'} fib ${prefix}`)).split(/\r?\n/)) {
    const head = /^(\S+) fib:\d+ index:/.exec(line);
    if (head) { entry = head[1]!; paths = undefined; continue; }
    if (/^ forwarding:/.test(line) || entry !== prefix) { paths = undefined; continue; }
    const src = /^ {2}(\S+) refs:/.exec(line);
    if (src) { out[src[1]!] = paths = []; continue; }
    const path = /^ +path:\[\d+\] .*weight=(\d+)/.exec(line);
    if (path && paths) { paths.push(`special w${path[1]}`); continue; }
    const via = /^ +via (\S+) in fib/.exec(line);
    if (via && paths?.length) paths[paths.length - 1] = paths[paths.length - 1]!.replace(/^special/, via[1]!);
  }
  for (const k of Object.keys(out)) out[k]!.sort();
  return out;
}
