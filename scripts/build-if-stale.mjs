#!/usr/bin/env node
// `npm start` builds only when it must: when a file under src/ or a workspace package's src/ (or
// tsconfig.json, package-lock.json) is newer than the last build's stamp. The build itself is
// incremental (tsconfig: dist/.tsbuildinfo).
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const STAMP = 'dist/.build-stamp';

function newest(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = st.mtimeMs;
  for (const name of readdirSync(path)) t = Math.max(t, newest(join(path, name)));
  return t;
}

const built = existsSync(STAMP) && existsSync('dist/src/cli.js') ? statSync(STAMP).mtimeMs : 0;
const packages = existsSync('packages') ? readdirSync('packages').map((p) => join('packages', p, 'src')).filter((d) => existsSync(d)) : [];
const sources = Math.max(newest('src'), ...packages.map(newest), newest('tsconfig.json'), newest('package-lock.json'));
if (built > sources) process.exit(0);
const started = Date.now();
const r = spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
writeFileSync(STAMP, `${new Date().toISOString()}\n`);
process.stderr.write(`fibmgr: built in ${((Date.now() - started) / 1000).toFixed(1)} s (sources changed since the last build)\n`);
