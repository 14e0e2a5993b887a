// `fibmgr decode FILE`: a captured FPM byte stream → one JSON object per event on stdout, and a
// summary on stderr. Exit 0 when everything decoded, 1 when something did not, 2 on usage errors.
import { readFile } from 'node:fs/promises';
import { FpmSessionDecoder, type WeightMode } from '../fpm/session-decoder.js';
import type { RouteEvent } from '../route/types.js';

/** One event as its JSON line; route lines with exactly the documented keys, in order. */
export function eventLine(e: RouteEvent): string {
  if (e.kind === 'route') {
    return JSON.stringify({
      kind: e.kind, op: e.op, family: e.family, table: e.table, prefix: e.prefix, type: e.type,
      protocol: e.protocol, metric: e.metric, nhg: e.nhg,
      nexthops: e.nexthops.map((n) => ({ gateway: n.gateway, ifindex: n.ifindex, weight: n.weight, labels: n.labels })),
    });
  }
  return JSON.stringify(e);
}

export async function runDecode(file: string, opts: { fpmWeights: WeightMode }): Promise<number> {
  if (!['auto', 'kernel', 'legacy'].includes(opts.fpmWeights)) {
    process.stderr.write(`fibmgr decode: --fpm-weights must be auto, kernel or legacy, not ${JSON.stringify(opts.fpmWeights)}\n`);
    return 2;
  }
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (e) {
    process.stderr.write(`fibmgr decode: cannot read ${file}: ${(e as Error).message}\n`);
    return 2;
  }
  const decoder = new FpmSessionDecoder({ weights: opts.fpmWeights });
  const counts: Record<string, number> = {};
  let lines: string[] = [];
  const emit = (events: RouteEvent[]): void => {
    for (const e of events) {
      const k = e.kind === 'route' || e.kind === 'lsp' || e.kind === 'nexthop-group' ? `${e.kind} ${e.op}` : e.kind;
      counts[k] = (counts[k] ?? 0) + 1;
      lines.push(eventLine(e));
    }
    if (lines.length) {
      process.stdout.write(lines.join('\n') + '\n');
      lines = [];
    }
  };
  // Chunks as a socket would deliver them, so that stdout starts early on big captures.
  for (let p = 0; p < data.length && !decoder.fatal; p += 1 << 20) emit(decoder.push(data.subarray(p, p + (1 << 20))));
  emit(decoder.end());
  const st = decoder.stats;
  const summary = {
    file, bytes: data.length, frames: st.frames, events: counts, skipped: st.skipped, errors: st.errors,
    weights: decoder.weightConvention, ...(decoder.fatal ? { fatal: decoder.fatal } : {}),
  };
  process.stderr.write(`${JSON.stringify(summary)}\n`);
  return st.errors > 0 ? 1 : 0;
}
