// Turns flags, environment and defaults into a validated Config.
import { OPTIONS, DEFAULTS, type Config, type OptionDef } from './options.js';

export class ConfigError extends Error {
  constructor(public readonly key: string, public readonly value: unknown, message: string) {
    super(`invalid ${key} ${JSON.stringify(value)}: ${message}`);
  }
}

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
    if (Array.isArray(raw)) return raw.map(String);
    return String(raw).split(',').map((s) => s.trim()).filter(Boolean);
  }
  if (o.kind === 'int' || o.kind === 'number') {
    const n = Number(raw);
    if (raw === '' || !Number.isFinite(n) || (o.kind === 'int' && !Number.isInteger(n))) throw new Error(`must be a ${o.kind === 'int' ? 'whole number' : 'number'}`);
    return n;
  }
  return String(raw);
}

/** flags > env > defaults. `flags` holds only what the user actually gave. */
export function loadConfig(flags: Partial<Record<keyof Config, unknown>>, env: NodeJS.ProcessEnv = process.env): Config {
  const out: Record<string, unknown> = { ...DEFAULTS };
  for (const o of OPTIONS) {
    const fromFlag = flags[o.key];
    const fromEnv = env[envName(o)];
    const raw = fromFlag !== undefined ? fromFlag : fromEnv !== undefined ? fromEnv : undefined;
    if (raw === undefined) continue;
    const where = fromFlag !== undefined ? `--${o.flag}` : envName(o);
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
