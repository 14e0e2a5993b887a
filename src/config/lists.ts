// The list settings as the layers take them: text as the operator wrote it (kept in Config, shown
// back as written) parsed once — when the setting is read — into the value the daemon wires in.
import type { InterfaceMapEntry } from '../sync/vpp/vpp-port.js';

/** "ZEBRA=VPP" entries; zebra's main table 254 maps to 0 unless given. */
export function parseTableMap(entries: readonly string[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const e of entries) {
    const m = /^\s*(\d+)\s*=\s*(\d+)\s*$/.exec(e);
    const z = m ? Number(m[1]) : NaN;
    const v = m ? Number(m[2]) : NaN;
    if (!m || z > 0xffffffff || v > 0xffffffff) throw new Error(`bad table map entry ${JSON.stringify(e)}: expected ZEBRA=VPP with table ids 0-4294967295`);
    if (out.has(z)) throw new Error(`table map: zebra table ${z} is mapped twice`);
    out.set(z, v);
  }
  return out;
}

/** "LINUX=VPP" entries; either side may be a number (ifindex / sw_if_index). */
export function parseInterfaceMap(entries: readonly string[]): InterfaceMapEntry[] {
  return entries.map((e) => {
    const m = /^([^=\s]+)=([^=\s]+)$/.exec(e.trim());
    if (!m) throw new Error(`bad interface map entry ${JSON.stringify(e)}: expected LINUXNAME=VPPNAME`);
    const side = (s: string) => (/^\d+$/.test(s) ? Number(s) : s);
    return { linux: side(m[1]!), vpp: side(m[2]!) };
  });
}

/** Values parsed when a list was read, by the list (so that the daemon does not parse it again). */
const parsed = new WeakMap<readonly string[], unknown>();

/** A check for a list setting: parses it, keeping the value for `parsedList`. */
export function listOf<T>(parse: (entries: string[]) => T): (v: unknown) => string[] {
  return (v) => {
    const entries = v as string[];
    parsed.set(entries, parse(entries));
    return entries;
  };
}

/** The value `parse` gave for this list when it was read (parsed now if it was not: a default). */
export function parsedList<T>(entries: readonly string[], parse: (entries: readonly string[]) => T): T {
  if (!parsed.has(entries)) parsed.set(entries, parse(entries));
  return parsed.get(entries) as T;
}
