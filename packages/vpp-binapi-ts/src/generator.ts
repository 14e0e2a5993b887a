// Turns VPP's .api.json definitions into typed encoders and decoders: the package's own set
// (api/ into src/gen/, `npm run gen -w vpp-binapi-ts`) and a user's (the vpp-binapi-gen bin).
//   generate(dir, names)     the files' text in memory (the up-to-date test compares the two)
//
// Shapes: field names as in the JSON; addresses, prefixes and MACs as text (bytes accepted);
// address_union as { ip4, ip6 }; enums as numbers with a const object of their names; u64 as
// bigint; u8 arrays as Buffer. A missing field encodes as its JSON default or zero; a count
// field follows its array. An enum field only takes the enum's values (flags enums: any
// combination of their bits) — a bad path type once crashed the VPP the transcripts came from.
import { readdirSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { basename, join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

type Json = any;
type Prim = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'u64' | 'i64' | 'f64' | 'bool';
const PRIMS: Record<Prim, number> = { u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4, u64: 8, i64: 8, f64: 8, bool: 1 };

type Special = 'ip4' | 'ip6' | 'mac' | 'address' | 'prefix' | 'ip4_prefix' | 'ip6_prefix' | 'address_union' | 'address_with_prefix' | 'ip4_address_with_prefix' | 'ip6_address_with_prefix';
const SPECIAL_SIZE: Record<Special, number> = { ip4: 4, ip6: 16, mac: 6, address: 17, prefix: 18, ip4_prefix: 5, ip6_prefix: 17, address_union: 16, address_with_prefix: 18, ip4_address_with_prefix: 5, ip6_address_with_prefix: 17 };
/** Types that read and write as text (the runtime has their codecs). */
const SPECIAL_TYPES: Record<string, Special> = {
  ip4_address: 'ip4', ip6_address: 'ip6', mac_address: 'mac', address: 'address', prefix: 'prefix',
  ip4_prefix: 'ip4_prefix', ip6_prefix: 'ip6_prefix', address_union: 'address_union',
  // aliases of the prefix types that VPP means as an interface address: host bits are kept
  address_with_prefix: 'address_with_prefix', ip4_address_with_prefix: 'ip4_address_with_prefix',
  ip6_address_with_prefix: 'ip6_address_with_prefix',
};

export type Kind =
  | { k: 'prim'; t: Prim }
  | { k: 'enum'; name: string }
  | { k: 'special'; s: Special }
  | { k: 'struct'; name: string }
  | { k: 'union'; name: string }
  | { k: 'string' };

export interface Field {
  name: string;
  kind: Kind;
  /** fixed array length, or the count field's name, or 'var' for string x[] */
  fixed?: number;
  countOf?: string;
  /** this field counts the array named here */
  counts?: string;
  def?: unknown;
}

export interface EnumDef { name: string; values: [string, number][]; size: 1 | 2 | 4; signed: boolean; flags: boolean }
export interface StructDef { name: string; fields: Field[]; union: boolean }
export interface MsgDef { name: string; crc: string; module: string; fields: Field[] }

export interface Model {
  enums: Map<string, EnumDef>;
  structs: Map<string, StructDef>;
  messages: MsgDef[];
  modules: string[];
}

const strip = (t: string) => t.replace(/^vl_api_/, '').replace(/_t$/, '');
const pascal = (s: string) => s.split('_').map((w) => (w ? w[0]!.toUpperCase() + w.slice(1) : '')).join('');

/** The .api.json files under `dir`, subdirectories too (an installed VPP keeps core/ and plugins/ apart), as paths below it. */
function apiFiles(dir: string, below = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, below), { withFileTypes: true }).sort((x, y) => (x.name < y.name ? -1 : 1))) {
    if (e.isDirectory()) out.push(...apiFiles(dir, join(below, e.name)));
    else if (e.name.endsWith('.api.json')) out.push(join(below, e.name));
  }
  return out;
}

export function loadModel(dir: string): Model {
  const files = apiFiles(dir);
  const aliases = new Map<string, Json>();
  const enums = new Map<string, EnumDef>();
  const rawStructs = new Map<string, { json: Json; union: boolean }>();
  const messages: MsgDef[] = [];
  const modules: string[] = [];
  const seen = new Map<string, string>();
  const once = (kind: string, name: string, json: Json) => {
    const k = `${kind}:${name}`;
    const text = JSON.stringify(json);
    const prev = seen.get(k);
    if (prev !== undefined && prev !== text) throw new Error(`${kind} ${name} is defined differently in two files`);
    seen.set(k, text);
    return prev === undefined;
  };
  const docs = files.map((f) => ({ file: f, json: JSON.parse(readFileSync(join(dir, f), 'utf8')) as Json }));
  for (const { json } of docs) {
    for (const [name, a] of Object.entries(json.aliases ?? {})) if (once('alias', name, a)) aliases.set(name, a);
    for (const [kind, list] of [['enum', json.enums], ['enumflags', json.enumflags]] as const) {
      for (const e of list ?? []) {
        if (!once('enum', e[0], e)) continue;
        const opts = e[e.length - 1] as { enumtype?: string };
        const t = opts.enumtype ?? 'u32';
        const values = e.slice(1, -1) as [string, number][];
        enums.set(e[0], {
          name: e[0],
          values,
          size: PRIMS[t as Prim] as 1 | 2 | 4,
          signed: t.startsWith('i'),
          // VPP ORs the bits of *_flags enums together (if_status_flags 3 = admin and link up).
          flags: kind === 'enumflags' || /_flags$/.test(e[0]),
        });
      }
    }
    for (const [list, union] of [[json.types, false], [json.unions, true]] as const) {
      for (const t of list ?? []) if (once(union ? 'union' : 'type', t[0], t)) rawStructs.set(t[0], { json: t, union });
    }
  }
  const kindOf = (type: string): { kind: Kind; fixed?: number } => {
    if (type in PRIMS) return { kind: { k: 'prim', t: type as Prim } };
    if (type === 'string') return { kind: { k: 'string' } };
    const name = strip(type);
    if (name in SPECIAL_TYPES) return { kind: { k: 'special', s: SPECIAL_TYPES[name]! } };
    const a = aliases.get(name);
    if (a) {
      const inner = kindOf(a.type);
      return a.length ? { kind: inner.kind, fixed: a.length } : inner;
    }
    if (enums.has(name)) return { kind: { k: 'enum', name } };
    const s = rawStructs.get(name);
    if (s) return { kind: { k: s.union ? 'union' : 'struct', name } };
    throw new Error(`unknown type ${type}`);
  };
  const fieldsOf = (owner: string, list: Json[]): Field[] => {
    const out: Field[] = [];
    for (const f of list) {
      if (!Array.isArray(f)) continue;
      const [type, name, ...rest] = f as [string, string, ...Json[]];
      const { kind, fixed } = kindOf(type);
      const fld: Field = { name, kind };
      if (fixed !== undefined) fld.fixed = fixed;
      for (const r of rest) {
        if (typeof r === 'number') fld.fixed = r;
        else if (typeof r === 'string') fld.countOf = r;
        else if (r && typeof r === 'object' && 'default' in r) fld.def = r.default;
      }
      if (fld.countOf !== undefined) delete fld.fixed;
      if (fld.fixed === 0 && kind.k !== 'string') throw new Error(`${owner}.${name}: a zero-length array without a count`);
      out.push(fld);
    }
    for (const f of out) {
      if (f.countOf === undefined) continue;
      const c = out.find((x) => x.name === f.countOf);
      if (!c || out.indexOf(c) > out.indexOf(f)) throw new Error(`${owner}.${f.name}: count ${f.countOf} must come before it`);
      c.counts = f.name;
    }
    return out;
  };
  const structs = new Map<string, StructDef>();
  for (const [name, { json, union }] of rawStructs) {
    if (name in SPECIAL_TYPES) continue;
    structs.set(name, { name, fields: fieldsOf(name, json.slice(1)), union });
  }
  for (const { file, json } of docs) {
    if (!json.messages?.length) continue;
    const module = basename(file).replace(/\.api\.json$/, '');
    modules.push(module);
    for (const m of json.messages) {
      const meta = m[m.length - 1] as { crc: string };
      messages.push({ name: m[0], crc: meta.crc.replace(/^0x/, ''), module, fields: fieldsOf(m[0], m.slice(1)) });
    }
  }
  return { enums, structs, messages, modules };
}

// --- sizes -------------------------------------------------------------------------------------

function elemSize(m: Model, k: Kind): number | null {
  switch (k.k) {
    case 'prim': return PRIMS[k.t];
    case 'enum': return m.enums.get(k.name)!.size;
    case 'special': return SPECIAL_SIZE[k.s];
    case 'string': return 1;
    case 'struct': return structSize(m, k.name);
    case 'union': {
      const s = m.structs.get(k.name)!;
      let max = 0;
      for (const f of s.fields) {
        const n = fieldSize(m, f);
        if (n === null) throw new Error(`union ${k.name} has a variable arm`);
        max = Math.max(max, n);
      }
      return max;
    }
  }
}

function fieldSize(m: Model, f: Field): number | null {
  if (f.countOf !== undefined) return null;
  if (f.kind.k === 'string' && !f.fixed) return null;
  const e = elemSize(m, f.kind);
  if (e === null) return null;
  return f.fixed !== undefined ? e * f.fixed : e;
}

const sizeCache = new Map<string, number | null>();
function structSize(m: Model, name: string): number | null {
  if (sizeCache.has(name)) return sizeCache.get(name)!;
  const s = m.structs.get(name)!;
  let total = 0;
  for (const f of s.fields) {
    const n = fieldSize(m, f);
    if (n === null) {
      sizeCache.set(name, null);
      return null;
    }
    total += n;
  }
  sizeCache.set(name, total);
  return total;
}

/** The smallest encoding of one element, for bounding counts before allocating on decode. */
function minElem(m: Model, k: Kind): number {
  const n = elemSize(m, k);
  if (n !== null) return n;
  if (k.k === 'struct') {
    let t = 0;
    for (const f of m.structs.get(k.name)!.fields) t += f.countOf !== undefined ? 0 : f.kind.k === 'string' && !f.fixed ? 4 : minElem(m, f.kind) * (f.fixed ?? 1);
    return t;
  }
  return 1;
}

// --- TypeScript types ------------------------------------------------------------------------

function isBytes(f: Field): boolean {
  return f.kind.k === 'prim' && (f.kind.t === 'u8' || f.kind.t === 'i8') && (f.fixed !== undefined || f.countOf !== undefined);
}

function tsType(m: Model, f: Field, input: boolean): string {
  if (f.kind.k === 'string') return 'string';
  if (isBytes(f)) return input ? 'Uint8Array | number[]' : 'Buffer';
  const base = tsElem(m, f.kind, input);
  return f.fixed !== undefined || f.countOf !== undefined ? `${base.includes('|') ? `(${base})` : base}[]` : base;
}

function tsElem(m: Model, k: Kind, input: boolean): string {
  switch (k.k) {
    case 'prim':
      if (k.t === 'bool') return input ? 'boolean | number' : 'boolean';
      if (k.t === 'u64' || k.t === 'i64') return input ? 'bigint | number' : 'bigint';
      return 'number';
    case 'enum': return 'number';
    case 'string': return 'string';
    case 'special':
      switch (k.s) {
        case 'address_union': return input ? 'AddressUnionIn | string' : '{ ip4: string; ip6: string }';
        case 'address': return input ? 'string | Uint8Array | { af?: number; un?: AddressUnionIn | string }' : 'string';
        case 'prefix': return input ? 'string | { address?: string | Uint8Array; len?: number }' : 'string';
        case 'ip4_prefix':
        case 'ip6_prefix':
        case 'address_with_prefix':
        case 'ip4_address_with_prefix':
        case 'ip6_address_with_prefix': return input ? 'string | { address?: string | Uint8Array; len?: number }' : 'string';
        default: return input ? 'string | Uint8Array' : 'string';
      }
    case 'struct':
    case 'union': return pascal(k.name) + (input ? 'In' : '');
  }
}

function iface(m: Model, name: string, fields: Field[], input: boolean, isMsg: boolean): string {
  const lines = fields
    .filter((f) => !(input && isMsg && f.name === '_vl_msg_id'))
    .map((f) => `  ${f.name}${input ? '?' : ''}: ${tsType(m, f, input)};`);
  return `export interface ${name} {\n${lines.join('\n')}\n}\n`;
}

// --- writers -----------------------------------------------------------------------------------

function jsLit(v: unknown): string {
  if (v === 'true') return 'true';
  if (v === 'false') return 'false';
  return JSON.stringify(v);
}

/** Code that writes one element of kind k, value expression v, at offset expression p. */
function writeElem(m: Model, k: Kind, v: string, p: string, f: string, name: string): string {
  switch (k.k) {
    case 'prim': {
      const t = k.t;
      if (t === 'bool') return `b[${p}] = ${v} ? 1 : 0;`;
      if (t === 'u8') return `b[${p}] = uint(${v}, 1, ${f}, ${name});`;
      if (t === 'u16') return `b.writeUInt16BE(uint(${v}, 2, ${f}, ${name}), ${p});`;
      if (t === 'u32') return `b.writeUInt32BE(uint(${v}, 4, ${f}, ${name}), ${p});`;
      if (t === 'i8') return `b.writeInt8(sint(${v}, 1, ${f}, ${name}), ${p});`;
      if (t === 'i16') return `b.writeInt16BE(sint(${v}, 2, ${f}, ${name}), ${p});`;
      if (t === 'i32') return `b.writeInt32BE(sint(${v}, 4, ${f}, ${name}), ${p});`;
      if (t === 'u64') return `b.writeBigUInt64BE(big(${v}, false, ${f}, ${name}), ${p});`;
      if (t === 'i64') return `b.writeBigInt64BE(big(${v}, true, ${f}, ${name}), ${p});`;
      return `b.writeDoubleBE(f64(${v}, ${f}, ${name}), ${p});`;
    }
    case 'enum': {
      const e = m.enums.get(k.name)!;
      const val = `enumValue(${v}, E_${k.name}, ${e.flags ? `M_${k.name}` : -1}, ${JSON.stringify(k.name)}, ${f}, ${name})`;
      if (e.size === 1) return `b[${p}] = ${val};`;
      if (e.size === 2) return `b.writeUInt16BE(${val}, ${p});`;
      return e.signed ? `b.writeInt32BE(${val}, ${p});` : `b.writeUInt32BE(${val}, ${p});`;
    }
    case 'special': {
      const fn = {
        ip4: 'writeIp4', ip6: 'writeIp6', mac: 'writeMac', address: 'writeAddress', prefix: 'writePrefix', address_with_prefix: 'writePrefix',
        address_union: 'writeAddressUnion', ip4_prefix: 'writeFamilyPrefix', ip6_prefix: 'writeFamilyPrefix',
        ip4_address_with_prefix: 'writeFamilyPrefix', ip6_address_with_prefix: 'writeFamilyPrefix',
      }[k.s];
      const six = /^ip4_/.test(k.s) && k.s !== 'ip4' ? 'false, ' : /^ip6_/.test(k.s) && k.s !== 'ip6' ? 'true, ' : '';
      return `${fn}(b, ${p}, ${v}, ${six}at(${f}, ${name}));`;
    }
    case 'string': throw new Error('strings are written as fields');
    case 'struct':
    case 'union': return `w_${k.name}(b, ${p}, ${v}, at(${f}, ${name}));`;
  }
}

function writerBody(m: Model, fields: Field[], vv: string, skipId: boolean): string[] {
  const out: string[] = [];
  for (const f of fields) {
    if (skipId && f.name === '_vl_msg_id') continue;
    const name = JSON.stringify(f.name);
    const raw = `${vv}.${f.name}`;
    const v = f.def !== undefined ? `(${raw} === undefined ? ${jsLit(f.def)} : ${raw})` : raw;
    if (f.counts !== undefined) {
      const arr = fields.find((x) => x.name === f.counts)!;
      const max = (2 ** (8 * elemSize(m, f.kind)!)) - 1;
      out.push(`const n_${f.counts} = count(${raw}, ${vv}.${arr.name}, ${max}, f, ${name});`);
      out.push(writeElem(m, f.kind, `n_${f.counts}`, 'p', 'f', name));
      out.push(`p += ${elemSize(m, f.kind)};`);
      continue;
    }
    if (f.kind.k === 'string') {
      if (f.fixed) out.push(`writeFixedString(b, p, ${v}, ${f.fixed}, at(f, ${name}));`, `p += ${f.fixed};`);
      else out.push(`p = writeVarString(b, p, ${v}, at(f, ${name}));`);
      continue;
    }
    if (isBytes(f)) {
      const len = f.fixed ?? `n_${f.name}`;
      out.push(`writeBytes(b, p, bytesOf(${raw}, at(f, ${name})), ${len}, at(f, ${name}));`, `p += ${len};`);
      continue;
    }
    const es = elemSize(m, f.kind);
    if (f.fixed !== undefined || f.countOf !== undefined) {
      const arr = f.fixed !== undefined ? `fixedArray(${raw}, ${f.fixed}, f, ${name})` : `${raw} ?? []`;
      const n = f.fixed !== undefined ? `a_${f.name}.length` : `n_${f.name}`;
      out.push(`const a_${f.name} = ${arr};`);
      if (es !== null) {
        out.push(`for (let i = 0; i < ${n}; i++) ${writeElem(m, f.kind, `a_${f.name}[i]`, `p + i * ${es}`, 'f', name)}`);
        out.push(`p += ${f.fixed !== undefined ? f.fixed * es : `${n} * ${es}`};`);
      } else {
        // variable elements: each writer returns its end
        out.push(`for (let i = 0; i < ${n}; i++) p = w_${(f.kind as { name: string }).name}(b, p, a_${f.name}[i], at(f, ${name}));`);
      }
      continue;
    }
    if (es === null) {
      out.push(`p = w_${(f.kind as { name: string }).name}(b, p, ${v}, at(f, ${name}));`);
      continue;
    }
    out.push(writeElem(m, f.kind, v, 'p', 'f', name), `p += ${es};`);
  }
  return out;
}

function sizeExpr(m: Model, fields: Field[], vv: string, skipId: boolean): string {
  let fixed = 0;
  const parts: string[] = [];
  for (const f of fields) {
    if (skipId && f.name === '_vl_msg_id') {
      fixed += 2;
      continue;
    }
    const n = fieldSize(m, f);
    if (n !== null) {
      fixed += n;
      continue;
    }
    const raw = `${vv}.${f.name}`;
    if (f.kind.k === 'string') parts.push(`varStringSize(${raw})`);
    else if (f.countOf !== undefined) {
      const es = elemSize(m, f.kind);
      if (es !== null) parts.push(`(${raw}?.length ?? 0) * ${es}`);
      else parts.push(`sumSizes(${raw}, s_${(f.kind as { name: string }).name})`);
    } else parts.push(`s_${(f.kind as { name: string }).name}(${raw})`);
  }
  return [String(fixed), ...parts].join(' + ');
}

// --- readers -----------------------------------------------------------------------------------

function readElem(m: Model, k: Kind): string {
  switch (k.k) {
    case 'prim': return `r${k.t}(r)`;
    case 'enum': {
      const e = m.enums.get(k.name)!;
      return e.size === 1 ? 'ru8(r)' : e.size === 2 ? 'ru16(r)' : e.signed ? 'ri32(r)' : 'ru32(r)';
    }
    case 'special':
      return {
        ip4: 'readIp4(r)', ip6: 'readIp6(r)', mac: 'readMac(r)', address: 'readAddress(r)', prefix: 'readPrefix(r)',
        address_with_prefix: 'readPrefix(r, false)', address_union: 'readAddressUnion(r)', ip4_prefix: 'readFamilyPrefix(r, false)',
        ip6_prefix: 'readFamilyPrefix(r, true)', ip4_address_with_prefix: 'readFamilyPrefix(r, false, false)',
        ip6_address_with_prefix: 'readFamilyPrefix(r, true, false)',
      }[k.s];
    case 'string': throw new Error('strings are read as fields');
    case 'struct':
    case 'union': return `r_${k.name}(r)`;
  }
}

function readerBody(m: Model, fields: Field[]): string[] {
  const out: string[] = [];
  for (const f of fields) {
    const id = `v_${f.name}`;
    if (f.kind.k === 'string') out.push(`const ${id} = ${f.fixed ? `readFixedString(r, ${f.fixed})` : 'readVarString(r)'};`);
    else if (isBytes(f)) out.push(`const ${id} = readBytes(r, ${f.fixed ?? `v_${f.countOf}`});`);
    else if (f.fixed !== undefined) {
      out.push(`const ${id} = new Array(${f.fixed});`, `for (let i = 0; i < ${f.fixed}; i++) ${id}[i] = ${readElem(m, f.kind)};`);
    } else if (f.countOf !== undefined) {
      out.push(`const ${id} = new Array(rcount(r, v_${f.countOf}, ${minElem(m, f.kind)}));`, `for (let i = 0; i < ${id}.length; i++) ${id}[i] = ${readElem(m, f.kind)};`);
    } else out.push(`const ${id} = ${readElem(m, f.kind)};`);
  }
  out.push(`return { ${fields.map((f) => `${f.name}: v_${f.name}`).join(', ')} };`);
  return out;
}

// --- files -------------------------------------------------------------------------------------

const HEADER = "// Generated by vpp-binapi-gen from VPP's .api.json files. Do not edit.\n/* eslint-disable */\n";

/** Where generated files find the runtime: inside this package (src/gen) or, for a user's own set, by package name. */
export type ImportFrom = 'package-internal' | 'package-name';
const SPECIFIERS: Record<ImportFrom, { types: string; runtime: string }> = {
  'package-internal': { types: '../client/types.js', runtime: '../codec/runtime.js' },
  'package-name': { types: 'vpp-binapi-ts', runtime: 'vpp-binapi-ts/runtime' },
};
let specifiers = SPECIFIERS['package-internal'];
const RUNTIME_NAMES = [
  'type Rd', 'type AddressUnionIn', 'at', 'uint', 'sint', 'big', 'f64', 'enumValue', 'count', 'fixedArray', 'bytesOf', 'writeBytes', 'readBytes',
  'writeFixedString', 'readFixedString', 'writeVarString', 'readVarString', 'varStringSize', 'writeIp4', 'writeIp6', 'readIp4', 'readIp6',
  'writeAddress', 'readAddress', 'writePrefix', 'readPrefix', 'writeFamilyPrefix', 'readFamilyPrefix', 'writeMac', 'readMac',
  'writeAddressUnion', 'readAddressUnion', 'ru8', 'ri8', 'rbool', 'ru16', 'ri16', 'ru32', 'ri32', 'ru64', 'ri64', 'rf64', 'rcount', 'sub',
  'sumSizes',
];

function usedRuntime(code: string): string {
  const used = RUNTIME_NAMES.filter((n) => new RegExp(`\\b${n.replace('type ', '')}\\b`).test(code));
  return `import { ${used.join(', ')} } from '${specifiers.runtime}';\n`;
}

function typesFile(m: Model): string {
  const body: string[] = [];
  for (const e of [...m.enums.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    body.push(`/** ${e.name}${e.flags ? ' (flags: any combination of the bits)' : ''} */`);
    body.push(`export const ${pascal(e.name)} = {\n${e.values.map(([n, v]) => `  ${n}: ${v},`).join('\n')}\n} as const;`);
    body.push(`export const E_${e.name}: ReadonlySet<number> = new Set(Object.values(${pascal(e.name)}));`);
    if (e.flags) body.push(`export const M_${e.name} = ${e.values.reduce((acc, [, v]) => acc | v, 0)};`);
    body.push('');
  }
  const structs = [...m.structs.values()].sort((a, b) => a.name.localeCompare(b.name));
  for (const s of structs) {
    const P = pascal(s.name);
    body.push(iface(m, P, s.fields, false, false));
    body.push(iface(m, `${P}In`, s.fields, true, false));
    const size = s.union ? elemSize(m, { k: 'union', name: s.name }) : structSize(m, s.name);
    if (size !== null) body.push(`export const SZ_${s.name} = ${size};`);
    else body.push(`export function s_${s.name}(v: ${P}In | undefined): number {\n  if (!v) return ${minElem(m, { k: 'struct', name: s.name })};\n  return ${sizeExpr(m, s.fields, 'v', false)};\n}`);
    if (s.union) {
      // the first arm given is written; every arm is read from the same bytes
      const arms = s.fields.map((f) => `  if (v.${f.name} !== undefined) { ${writeElem(m, f.kind, `v.${f.name}`, 'o', 'f', JSON.stringify(f.name))} return o + ${size}; }`);
      body.push(`export function w_${s.name}(b: Buffer, o: number, v: ${P}In | undefined, f: string): number {\n  if (!v) return o + ${size};\n${arms.join('\n')}\n  return o + ${size};\n}`);
      body.push(`export function r_${s.name}(r0: Rd): ${P} {\n  const out = {} as ${P};\n${s.fields.map((f) => `  { const r = sub(r0, ${size}); out.${f.name} = ${readElem(m, f.kind)}; }`).join('\n')}\n  r0.o += ${size};\n  return out;\n}`);
    } else {
      body.push(`export function w_${s.name}(b: Buffer, o: number, v: ${P}In | undefined, f: string): number {\n  let p = o;\n  if (!v) return o + ${size ?? `s_${s.name}(v)`};\n  ${writerBody(m, s.fields, 'v', false).join('\n  ')}\n  return p;\n}`);
      body.push(`export function r_${s.name}(r: Rd): ${P} {\n  ${readerBody(m, s.fields).join('\n  ')}\n}`);
    }
    body.push('');
  }
  const code = body.join('\n');
  return HEADER + usedRuntime(code) + '\n' + code;
}

function moduleFile(m: Model, module: string): string {
  const msgs = m.messages.filter((x) => x.module === module);
  const body: string[] = [];
  const typeRefs = new Set<string>();
  for (const x of msgs) {
    const P = pascal(x.name);
    body.push(iface(m, P, x.fields, false, true));
    body.push(iface(m, `${P}In`, x.fields, true, true));
    const size = sizeExpr(m, x.fields, 'v', true);
    const w = writerBody(m, x.fields, 'v', true);
    body.push(`/** ${x.name} (${x.crc}) */`);
    body.push(`export const ${x.name}: MessageDef<${P}In, ${P}> = {
  name: ${JSON.stringify(x.name)},
  crc: ${JSON.stringify(x.crc)},
  key: ${JSON.stringify(`${x.name}_${x.crc}`)},
  size: (v) => ${size},
  encodeInto(b, off, id, v) {
    const end = off + (${size});
    b.fill(0, off, end);
    b.writeUInt16BE(id, off);
    const f = ${JSON.stringify(x.name)};
    let p = off + 2;
    ${w.join('\n    ')}
    if (p !== end) throw new VppEncodeError(\`\${f}: wrote \${p - off} bytes, expected \${end - off}\`);
    return end;
  },
  encode(id, v) {
    const b = Buffer.alloc(this.size(v));
    this.encodeInto(b, 0, id, v);
    return b;
  },
  decode(buf, start = 0, end = buf.length) {
    const r: Rd = { b: buf, o: start, e: end, m: ${JSON.stringify(x.name)} };
    ${readerBody(m, x.fields).join('\n    ')}
  },
};
`);
  }
  const code = body.join('\n');
  for (const s of m.structs.keys()) {
    const P = pascal(s);
    if (new RegExp(`\\b(w_${s}|r_${s}|s_${s}|SZ_${s}|E_${s}|M_${s}|${P}In|${P})\\b`).test(code)) {
      for (const n of [`w_${s}`, `r_${s}`, `s_${s}`, `SZ_${s}`, `${P}In`, P]) if (new RegExp(`\\b${n}\\b`).test(code)) typeRefs.add(n);
    }
  }
  for (const e of m.enums.keys()) for (const n of [`E_${e}`, `M_${e}`]) if (new RegExp(`\\b${n}\\b`).test(code)) typeRefs.add(n);
  const typeImports = [...typeRefs].sort().map((n) => (/^[A-Z][a-z0-9]/.test(n) ? `type ${n}` : n));
  return (
    HEADER +
    `import type { MessageDef } from '${specifiers.types}';\n` +
    `import { VppEncodeError } from '${specifiers.runtime}';\n` +
    usedRuntime(code) +
    (typeImports.length ? `import { ${typeImports.join(', ')} } from './types.js';\n` : '') +
    '\n' +
    code
  );
}

function indexFile(m: Model): string {
  const mods = m.modules;
  return (
    HEADER +
    mods.map((x) => `import * as m_${x} from './${x}.js';`).join('\n') +
    `\n\nexport * from './types.js';\n` +
    mods.map((x) => `export * from './${x}.js';`).join('\n') +
    `\n\n/** Every message definition by name (the VPP client takes this as its \`messages\`). */\nexport const messages = { ${mods.map((x) => `...m_${x}`).join(', ')} };\n` +
    `\n/** The modules each message came from. */\nexport const MODULES = ${JSON.stringify(mods)} as const;\n`
  );
}

/** The names in a message list (one a line, # comments). */
export function readMessageList(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
}

/**
 * The model cut down to `wanted` messages, each with its reply and details, and the types and
 * enums they reach. An unknown name is an error (a typo would otherwise drop a message silently).
 */
export function selectMessages(m: Model, wanted: readonly string[]): Model {
  const byName = new Map(m.messages.map((x) => [x.name, x]));
  const keep = new Set<string>();
  for (const name of wanted) {
    if (!byName.has(name)) throw new Error(`message ${name} is in none of the .api.json files`);
    keep.add(name);
    const stem = name.endsWith('_dump') ? name.slice(0, -5) : name.endsWith('_get') ? name.slice(0, -4) : null;
    for (const c of [`${name}_reply`, stem !== null ? `${stem}_details` : '']) if (byName.has(c)) keep.add(c);
  }
  const structs = new Set<string>();
  const enums = new Set<string>();
  const reach = (fields: Field[]): void => {
    for (const f of fields) {
      const k = f.kind;
      if (k.k === 'enum') enums.add(k.name);
      else if ((k.k === 'struct' || k.k === 'union') && !structs.has(k.name)) {
        structs.add(k.name);
        reach(m.structs.get(k.name)!.fields);
      }
    }
  };
  const messages = m.messages.filter((x) => keep.has(x.name));
  for (const x of messages) reach(x.fields);
  return {
    enums: new Map([...m.enums].filter(([n]) => enums.has(n))),
    structs: new Map([...m.structs].filter(([n]) => structs.has(n))),
    messages,
    modules: m.modules.filter((mod) => messages.some((x) => x.module === mod)),
  };
}

export function generate(apiDir: string, wanted: readonly string[] = readMessageList(join(apiDir, 'messages.txt')), importFrom: ImportFrom = 'package-internal'): Map<string, string> {
  sizeCache.clear();
  specifiers = SPECIFIERS[importFrom];
  const m = selectMessages(loadModel(apiDir), wanted);
  const names = new Set<string>();
  for (const s of m.structs.keys()) names.add(pascal(s));
  for (const e of m.enums.keys()) {
    if (names.has(pascal(e))) throw new Error(`enum ${e} and a type share the name ${pascal(e)}`);
    names.add(pascal(e));
  }
  for (const x of m.messages) if (names.has(pascal(x.name))) throw new Error(`message ${x.name} and a type share the name ${pascal(x.name)}`);
  const out = new Map<string, string>();
  out.set('types.ts', typesFile(m));
  for (const mod of m.modules) out.set(`${mod}.ts`, moduleFile(m, mod));
  out.set('index.ts', indexFile(m));
  return out;
}

/** Writes generated files into `dir`, which holds nothing else (it is emptied first). */
export function writeGenerated(files: Map<string, string>, dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The .api.json files of the VPP build the package's own messages come from, and their list (messages.txt). */
export const API_DIR = join(ROOT, 'api');
/** The package's own generated messages (src/gen; generated from source, not from the compiled copy). */
export const GEN_DIR = join(ROOT, 'src', 'gen');
