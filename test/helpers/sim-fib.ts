// Reads the simulator's FIB back in a comparable text form: per "table|prefix", the sorted
// paths a source holds there, e.g. "normal 10.0.2.2 sw* w1" or "drop".
import { formatPrefix, type VppSim } from 'vpp-binapi-ts/sim';

const TYPES: Record<number, string> = { 0: 'normal', 1: 'local', 2: 'drop', 3: 'udp-encap', 5: 'icmp-unreach', 6: 'icmp-prohibit' };

function addrText(b: Buffer, off: number, ip6: boolean): string {
  if (!ip6) return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
  return formatPrefix({ isIp6: true, addr: b.subarray(off, off + 16), len: 128 }).replace(/\/128$/, '');
}

/** One wire path (167 bytes, fib_path) as text. */
export function pathText(p: Buffer): string {
  const sw = p.readUInt32BE(0);
  const type = TYPES[p.readUInt32BE(14)] ?? `type${p.readUInt32BE(14)}`;
  if (type !== 'normal') return type;
  const ip6 = p.readUInt32BE(22) === 1;
  const nh = p.subarray(26, 42).every((x) => x === 0) ? '-' : addrText(p, 26, ip6);
  const n = p[54]!;
  const labels = Array.from({ length: n }, (_, i) => p.readUInt32BE(55 + i * 7 + 1));
  return `normal ${nh} sw${sw === 0xffffffff ? '*' : sw} w${p[12]}${labels.length ? ` labels ${labels.join('/')}` : ''}`;
}

/** Every entry that source `src` holds, keyed "table|prefix" (IPv6 tables too). */
export function simRoutes(sim: VppSim, src: number): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const t of sim.fib.tables.values()) {
    for (const e of t.entries.values()) {
      const paths = e.sources.get(src);
      if (!paths) continue;
      out.set(`${t.tableId}|${formatPrefix({ isIp6: e.isIp6, addr: e.addr, len: e.len })}`, paths.map(pathText).sort());
    }
  }
  return out;
}

/** The id of a named FIB source in the simulator, if allocated. */
export function simSource(sim: VppSim, name: string): number | undefined {
  return sim.fib.sources.find((s) => s.name === name)?.id;
}
