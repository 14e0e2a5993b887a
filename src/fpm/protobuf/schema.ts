// Loads proto/fpm.proto once. The folder is found relative to this module so that it works from
// src/ (tsx) and from dist/src/ (after tsc), which sit at different depths below the repo.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

function protoDir(): string {
  for (const rel of ['../../../proto/', '../../../../proto/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}fpm.proto`)) return dir;
  }
  throw new Error(`proto/fpm.proto not found above ${fileURLToPath(import.meta.url)}`);
}

export const PROTO_DIR = protoDir();

export const fpmRoot = new protobuf.Root();
fpmRoot.resolvePath = (_origin, target) => (target.startsWith('/') ? target : PROTO_DIR + target);
fpmRoot.loadSync('fpm.proto', { keepCase: true });
fpmRoot.resolveAll();

export const FpmMessage = fpmRoot.lookupType('fpm.Message');
