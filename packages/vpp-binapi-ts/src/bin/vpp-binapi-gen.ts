#!/usr/bin/env node
// vpp-binapi-gen: typed messages for your own VPP build, from its .api.json files
// (/usr/share/vpp/api/ of an installed VPP, or build-root/install-vpp-native/vpp/share/vpp/api).
//
//   vpp-binapi-gen --api-dir DIR --messages NAME... [--messages-file FILE] [--out DIR]
//
// A request brings its reply, a dump its details; the types and enums they use come along. The
// files (TypeScript, one per API module, and index.ts with `messages`) import the runtime from
// the package by name; --out (default ./vpp-messages) is emptied first.
import { resolve } from 'node:path';
import { generate, readMessageList, writeGenerated, type ImportFrom } from '../generator.js';

const USAGE = 'usage: vpp-binapi-gen --api-dir DIR --messages NAME... [--messages-file FILE] [--out DIR]';

interface GenArgs { apiDir: string; messages: string[]; out: string; importFrom: ImportFrom }

/** The command line, or an error naming what is wrong with it. */
function parseGenArgs(argv: readonly string[]): GenArgs {
  let apiDir: string | undefined;
  let out = 'vpp-messages';
  let importFrom: ImportFrom = 'package-name';
  const messages: string[] = [];
  const value = (i: number, flag: string): string => {
    const v = argv[i];
    if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value\n${USAGE}`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--api-dir') apiDir = value(++i, a);
    else if (a === '--out') out = value(++i, a);
    else if (a === '--messages-file') messages.push(...readMessageList(value(++i, a)));
    else if (a === '--messages') {
      value(i + 1, a);
      while (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) messages.push(argv[++i]!);
    }
    // the package's own src/gen imports its runtime by relative path
    else if (a === '--package-internal') importFrom = 'package-internal';
    else if (a === '--help' || a === '-h') throw new Error(USAGE);
    else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  if (!apiDir) throw new Error(`--api-dir is required\n${USAGE}`);
  if (messages.length === 0) throw new Error(`name at least one message (--messages or --messages-file)\n${USAGE}`);
  return { apiDir, messages, out, importFrom };
}

try {
  const args = parseGenArgs(process.argv.slice(2));
  const files = generate(args.apiDir, args.messages, args.importFrom);
  const out = resolve(args.out);
  writeGenerated(files, out);
  console.log(`wrote ${files.size} files to ${out}`);
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
