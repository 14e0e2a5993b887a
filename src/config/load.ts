// Turns flags, environment, a config file and defaults into a validated Config, before anything
// starts: a wrong value stops fibmgr with a message that names where it came from.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { OPTIONS, DEFAULTS, type Config, type OptionDef } from './options.js';

export class ConfigError extends Error {
  constructor(public readonly key: string, public readonly value: unknown, message: string) {
    super(`invalid ${key} ${JSON.stringify(value)}: ${message}`);
  }
}

export const CONFIG_ENV = 'FIBMGR_CONFIG';

export function envName(o: OptionDef): string {
  return 'FIBMGR_' + o.flag.toUpperCase().replace(/-/g, '_');
}

function coerce(o: OptionDef, raw: unknown): unknown {
  if (o.kind === 'bool') {
    if (typeof raw === 'boolean') return raw;
    if (raw === 'true' || raw === '1' || raw === 'yes') return true;
    if (raw === 'false' || raw === '0' || raw === 'no' || raw === '') return false;
    throw new Error('must be true or false');
  }
  if (o.kind === 'list') {
    if (Array.isArray(raw)) {
      if (raw.some((x) => typeof x === 'object' && x !== null)) throw new Error('must be a list of strings');
      return raw.map(String);
    }
    if (typeof raw === 'object' && raw !== null) throw new Error('must be a list of strings');
    return String(raw).split(',').map((s) => s.trim()).filter(Boolean);
  }
  if (typeof raw === 'object' && raw !== null) throw new Error(`must be a ${o.kind === 'string' ? 'string' : 'number'}`);
  if (o.kind === 'int' || o.kind === 'number') {
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
    if (!Number.isFinite(n) || (o.kind === 'int' && !Number.isInteger(n))) throw new Error(`must be a ${o.kind === 'int' ? 'whole number' : 'number'}`);
    return n;
  }
  return String(raw);
}

const BY_NAME = new Map<string, OptionDef>();
for (const o of OPTIONS) {
  BY_NAME.set(o.key, o);
  BY_NAME.set(o.flag, o);
}

/**
 * A YAML or JSON file of settings, keyed by flag name ("fpm-port") or its camelCase ("fpmPort").
 * Unknown keys are errors: a misspelt key silently ignored is a setting that never applies.
 */
export function readConfigFile(path: string): Map<OptionDef, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError('--config', path, `cannot read it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let doc: unknown;
  try {
    // YAML is a superset of JSON: one parser reads both
    doc = text.trim() === '' ? {} : parseYaml(text);
  } catch (e) {
    throw new ConfigError('--config', path, `not valid YAML or JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError('--config', path, 'must be a mapping of setting names to values');
  const out = new Map<OptionDef, unknown>();
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    const o = BY_NAME.get(k);
    if (!o) throw new ConfigError(`${path}: key ${k}`, v, `unknown setting; known: ${OPTIONS.map((x) => x.flag).join(', ')}`);
    if (out.has(o)) throw new ConfigError(`${path}: key ${k}`, v, `${o.flag} is set twice`);
    out.set(o, v);
  }
  return out;
}

/**
 * flags > environment > config file > defaults. `flags` holds only what the user actually gave;
 * the file is `configPath`, else $FIBMGR_CONFIG, else none.
 */
export function loadConfig(
  flags: Partial<Record<keyof Config, unknown>>,
  env: NodeJS.ProcessEnv = process.env,
  configPath?: string,
  /** Resolve and check only these settings (a subcommand that needs one must not fail on another). */
  only?: readonly (keyof Config)[],
): Config {
  const filePath = configPath ?? (env[CONFIG_ENV] || undefined);
  const file = filePath ? readConfigFile(filePath) : new Map<OptionDef, unknown>();
  const out: Record<string, unknown> = { ...DEFAULTS };
  for (const o of OPTIONS) {
    if (only && !only.includes(o.key)) continue;
    const fromFlag = flags[o.key];
    const fromEnv = env[envName(o)];
    let raw: unknown;
    let where: string;
    if (fromFlag !== undefined) [raw, where] = [fromFlag, `--${o.flag}`];
    else if (fromEnv !== undefined) [raw, where] = [fromEnv, envName(o)];
    else if (file.has(o)) [raw, where] = [file.get(o), `${filePath}: ${o.flag}`];
    else continue;
    try {
      let v = coerce(o, raw);
      if (o.check) v = o.check(v);
      out[o.key] = v;
    } catch (e) {
      throw new ConfigError(where, raw, (e as Error).message);
    }
  }
  return out as unknown as Config;
}
