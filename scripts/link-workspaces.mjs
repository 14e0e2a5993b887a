#!/usr/bin/env node
// After `npm run build`: dist/node_modules/<name> links to each workspace package (packages/*),
// so that the compiled daemon, benches and tests (dist/) load this checkout's packages. npm's
// own link in node_modules does the same in a plain clone; a git worktree whose node_modules is
// shared with another checkout would otherwise load that checkout's packages.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

const dir = join('dist', 'node_modules');
mkdirSync(dir, { recursive: true });
for (const p of existsSync('packages') ? readdirSync('packages').sort() : []) {
  const manifest = join('packages', p, 'package.json');
  if (!existsSync(manifest)) continue;
  const { name } = JSON.parse(readFileSync(manifest, 'utf8'));
  rmSync(join(dir, name), { recursive: true, force: true });
  symlinkSync(join('..', '..', 'packages', p), join(dir, name));
}
