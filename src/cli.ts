#!/usr/bin/env node
// Entry point: flags → Config → the daemon, or one of the subcommands.
import { Command, Option } from 'commander';
import { OPTIONS, type Config } from './config/options.js';
import { loadConfig, ConfigError, envName } from './config/load.js';

function buildProgram(): Command {
  const program = new Command('fibmgr')
    .description('Keeps FD.io VPP\'s FIB equal to FRRouting zebra\'s FIB, fed over FPM')
    .showHelpAfterError()
    .exitOverride();

  for (const o of OPTIONS) {
    const spec = o.kind === 'bool' ? `--${o.flag}` : `--${o.flag} <${o.arg ?? 'VALUE'}>`;
    const shown = Array.isArray(o.default) ? (o.default.length ? o.default.join(',') : 'none') : String(o.default);
    // Defaults go into the text, not into commander, so that "not given" stays distinguishable (flag > env > file).
    const opt = new Option(spec, `${o.description} (default: ${shown}; env ${envName(o)})`);
    if (o.kind === 'list') opt.argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
    program.addOption(opt);
  }

  program.action(async (opts: Partial<Record<keyof Config, unknown>>) => {
    const config = loadConfig(opts);
    const { runDaemon } = await import('./daemon.js');
    await runDaemon(config);
  });

  program
    .command('decode')
    .description('decode a captured FPM byte stream: one JSON object per line on stdout, a summary on stderr')
    .argument('<file>', 'FPM frames concatenated, as zebra sent them')
    .addOption(new Option('--fpm-weights <MODE>', 'netlink weight convention: auto, kernel, legacy (default: auto)'))
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      // The top-level program has --fpm-weights too and takes the flag wherever it is written.
      const mode = (cmd.optsWithGlobals() as { fpmWeights?: string }).fpmWeights ?? 'auto';
      const { runDecode } = await import('./cli/decode.js');
      process.exitCode = await runDecode(file, { fpmWeights: mode as 'auto' | 'kernel' | 'legacy' });
    });

  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    const err = e as { code?: string; exitCode?: number; message?: string };
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') process.exit(0);
    if (err.code?.startsWith('commander.')) process.exit(2);
    if (e instanceof ConfigError) {
      process.stderr.write(`fibmgr: ${e.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`fibmgr: ${err.message ?? String(e)}\n`);
    process.exit(1);
  }
}

void main(process.argv);
