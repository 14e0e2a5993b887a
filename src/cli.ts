#!/usr/bin/env -S node --max-semi-space-size=4 --max-inlined-bytecode-size-cumulative=300
// Entry point: flags → Config → the daemon, or one of the subcommands.
// A small young generation (4 MB semi-spaces, V8's default grows to 16 MB): the route stream
// makes short-lived objects at a steady rate, and the bigger nursery only added ~45 MB of RSS at
// a full table, at the same rate (npm run bench:sync). bench:sync and bench:decode run with it.
// Less inlining per optimized function (V8's cumulative budget 920 bytes of bytecode → 300): a
// first sync starts with ~140 functions compiled by TurboFan in its first 500 ms, on the CPU the
// pipeline runs on, while the code waiting for them runs unoptimized and VPP waits for requests.
// Smaller compiles cut that compiler time by a fifth and VPP's idle start by a fifth (bench:real,
// "fibmgr's process then"; README, run R), maybe for a few percent more CPU a route in the steady
// state. Every bench, `npm start` and the example run node with these flags (test/ops/deploy.test.ts).
import { Command, Option } from 'commander';
import { OPTIONS, type Config } from './config/options.js';
import { loadConfig, ConfigError, envName, CONFIG_ENV } from './config/load.js';
import { fibmgrVersion } from './version.js';

type Reach = 'metrics-addr' | 'ops-socket';

/** A subcommand's way to the running fibmgr (its ops port or its operator socket), its default the daemon's. */
function runningFibmgr(flag: Reach, when = ''): Option {
  const o = OPTIONS.find((x) => x.flag === flag)!;
  const what = flag === 'metrics-addr' ? 'where the running fibmgr listens' : 'the running fibmgr\'s operator socket';
  return new Option(`--${flag} <${o.arg}>`, `${when}${what} (default: from --config, env, or ${String(o.default)})`);
}

function runningConfig(flag: Reach): Option {
  return new Option('--config <FILE>', `the running fibmgr's settings file, to find its --${flag}`);
}

function buildProgram(): Command {
  const program = new Command('fibmgr')
    .description('Keeps FD.io VPP\'s FIB equal to FRRouting zebra\'s FIB, fed over FPM')
    .version(fibmgrVersion(), '-V, --version', 'print fibmgr\'s version and exit')
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

  program.addOption(new Option('--config <FILE>', `settings file, YAML or JSON, keyed by flag name (default: none; env ${CONFIG_ENV}); flags beat environment, which beats the file`));

  program.action(async (opts: Partial<Record<keyof Config, unknown>> & { config?: string }) => {
    const config = loadConfig(opts, process.env, opts.config);
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

  program
    .command('status')
    .description('ask a running fibmgr (its --metrics-addr HTTP server) for its state and print it; exit 0 when it is ready, 3 when it answers but is not ready, 1 when it does not answer')
    .addOption(runningFibmgr('metrics-addr'))
    .addOption(runningConfig('metrics-addr'))
    .addOption(new Option('--json', 'print the /state document as it is'))
    .action(async (_opts: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals() as { metricsAddr?: string; config?: string; json?: boolean };
      const config = loadConfig({ metricsAddr: o.metricsAddr }, process.env, o.config, ['metricsAddr']);
      const { runStatus } = await import('./cli/status.js');
      process.exitCode = await runStatus(config.metricsAddr, { json: !!o.json });
    });

  program
    .command('sweep')
    .description('tell a running fibmgr to end its stale wait now: routes zebra\'s replay has not confirmed are removed from VPP; through its operator socket, so only root and fibmgr\'s user may (exit 1 when it does not answer, 4 when refused)')
    .addOption(runningFibmgr('ops-socket'))
    .addOption(runningConfig('ops-socket'))
    .action(async (_opts: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals() as { opsSocket?: string; config?: string };
      const config = loadConfig({ opsSocket: o.opsSocket }, process.env, o.config, ['opsSocket']);
      const { runSweep } = await import('./cli/sweep.js');
      process.exitCode = await runSweep(config.opsSocket);
    });

  const show = program
    .command('show')
    .description('show what fibmgr knows: `show route PREFIX`, `show label N`');
  show
    .command('label')
    .description('one LSP by its incoming label: what zebra last sent, what fibmgr wants and installed, what VPP\'s MPLS table holds (exit 0; 3 when fibmgr knows nothing of it)')
    .argument('<label>', 'the incoming MPLS label (16 to 1048575)')
    .addOption(runningFibmgr('metrics-addr'))
    .addOption(runningConfig('metrics-addr'))
    .addOption(new Option('--json', 'print the answer as JSON'))
    .action(async (label: string, _opts: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals() as { metricsAddr?: string; config?: string; json?: boolean };
      const config = loadConfig({ metricsAddr: o.metricsAddr }, process.env, o.config, ['metricsAddr']);
      const n = Number(label);
      if (!Number.isInteger(n) || n < 0 || n >= 1 << 20) {
        process.stderr.write(`fibmgr show label: ${label}: not an MPLS label\n`);
        process.exitCode = 2;
        return;
      }
      const { runShowLabel } = await import('./cli/show-label.js');
      process.exitCode = await runShowLabel(config.metricsAddr, n, { json: !!o.json });
    });
  show
    .command('route')
    .description('one route: what zebra last sent, what fibmgr wants and installed, what VPP holds, what is pending or failed (exit 0; 3 when fibmgr knows nothing of it)')
    .argument('<prefix>', 'a prefix (8.8.8.8/32, 2001:db8::/32) or an address (a host route)')
    .addOption(new Option('--table <N>', 'zebra\'s table id (254: the main table)').default('254'))
    .addOption(runningFibmgr('metrics-addr'))
    .addOption(runningConfig('metrics-addr'))
    .addOption(new Option('--json', 'print the answer as JSON'))
    .action(async (prefix: string, _opts: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals() as { metricsAddr?: string; config?: string; json?: boolean; table?: string };
      const config = loadConfig({ metricsAddr: o.metricsAddr }, process.env, o.config, ['metricsAddr']);
      const table = Number(o.table ?? 254);
      if (!Number.isInteger(table) || table < 0) {
        process.stderr.write(`fibmgr show route: --table ${o.table}: not a table id\n`);
        process.exitCode = 2;
        return;
      }
      const { runShowRoute } = await import('./cli/show-route.js');
      process.exitCode = await runShowRoute(config.metricsAddr, prefix, table, { json: !!o.json });
    });

  program
    .command('audit')
    .description('ask a running fibmgr to compare VPP\'s routes of its FIB source with what it installed: missing, extra, different (read-only); exit 0 when equal, 1 when not, 3 when it could not tell')
    .addOption(runningFibmgr('metrics-addr'))
    .addOption(runningConfig('metrics-addr'))
    .addOption(new Option('--json', 'print the whole result, every difference'))
    .addOption(new Option('--repair', 'also repair what differs (as the periodic audit does); through the operator socket, so only root and fibmgr\'s user may (exit 4 when refused)'))
    .addOption(runningFibmgr('ops-socket', 'with --repair: '))
    .action(async (_opts: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals() as { metricsAddr?: string; opsSocket?: string; config?: string; json?: boolean; repair?: boolean };
      const config = loadConfig({ metricsAddr: o.metricsAddr, opsSocket: o.opsSocket }, process.env, o.config, ['metricsAddr', 'opsSocket']);
      const { runAudit } = await import('./cli/audit.js');
      process.exitCode = await runAudit({ metricsAddr: config.metricsAddr, opsSocket: config.opsSocket }, { json: !!o.json, repair: !!o.repair });
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
