// fibmgr's own version, read from its package.json: one source for `fibmgr --version`, the
// instance lock's answer and the logs. The file is found from src/ (tsx) and from dist/src/ (built).
import { readFileSync } from 'node:fs';

export function fibmgrVersion(): string {
  for (const up of ['../package.json', '../../package.json']) {
    try {
      const p = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (p.name === 'fibmgr' && p.version) return p.version;
    } catch { /* not at this level */ }
  }
  return 'unknown';
}
