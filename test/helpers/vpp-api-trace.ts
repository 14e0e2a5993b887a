// VPP's own record of the binary-API messages it received (`api trace on` / `api trace dump`):
// what a test asserts about route writes ("one is_add=1, no delete"; "0 writes") is read from the
// receiving side, whatever the client believes it sent.

/** One traced message: its name, and for route writes the top-level fields that matter. */
export interface TracedMessage {
  msg: string;
  isAdd?: boolean;
  prefix?: string;
  table?: number;
}

type Cli = (cmd: string) => Promise<string>;

/** Empties the trace and starts recording (the last 262144 messages). */
export async function traceFromNow(cli: Cli): Promise<void> {
  await cli('api trace off');
  await cli('api trace free');
  await cli('api trace on');
}

/** Every message traced so far, oldest first. */
export async function traced(cli: Cli): Promise<TracedMessage[]> {
  const out: TracedMessage[] = [];
  let cur: TracedMessage | undefined;
  for (const line of (await cli('api trace dump')).split(/\r?\n/)) {
    const head = /^vl_api_(\w+)_t:/.exec(line);
    if (head) {
      cur = { msg: head[1]! };
      out.push(cur);
      continue;
    }
    // the message's own fields (2 spaces) and its route's (4); deeper ones are the paths'
    const f = /^ {2}(?: {2})?(is_add|prefix|table_id): (.*)$/.exec(line);
    if (!cur || !f) continue;
    if (f[1] === 'is_add' && cur.isAdd === undefined) cur.isAdd = f[2] === '1';
    else if (f[1] === 'prefix' && cur.prefix === undefined) cur.prefix = f[2]!.trim();
    else if (f[1] === 'table_id' && cur.table === undefined) cur.table = Number(f[2]);
  }
  return out;
}

/** The route writes (ip_route_add_del and its _v2) traced so far. */
export async function tracedRouteWrites(cli: Cli): Promise<TracedMessage[]> {
  return (await traced(cli)).filter((m) => m.msg === 'ip_route_add_del' || m.msg === 'ip_route_add_del_v2');
}
