// The command line: flags and a command from the tables, the command run, its failure in one sentence
// with the exit code that says what kind it was.
import { BreakglassError } from '../util/errors.js';
import { escapeName } from '../util/sanitize.js';
import type { CliArgs } from './args.js';
import { COMMANDS, commandNamed } from './commands.js';
import { flagHelp, flagSynopsis, parseFlags, UsageError } from './flags.js';
import { EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, type Io, jsonLine } from './io.js';
import { buildInfo, versionText } from './version.js';

export function usage(): string {
  const commands = COMMANDS.flatMap((c) => {
    const names = c.takes === 'a name' ? ' NAME' : c.takes === 'names' ? ' NAME...' : '';
    const name = c.name === 'tui' ? '(none), tui' : `${c.name}${names}`;
    const extra = flagSynopsis(c.name);
    return [
      `  ${name.padEnd(20)}${c.summary}`,
      ...(c.details ?? []).map((d) => `  ${''.padEnd(20)}${d}`),
      ...(extra ? [`  ${''.padEnd(20)}${extra}`] : []),
    ];
  });
  return `usage: breakglass [command] [flags]

The static pods of this Kubernetes control-plane node, read from the node itself: it never needs the
API server.

commands:
${commands.join('\n')}
NAME is a manifest file name (kube-scheduler.yaml), a pod name (kube-scheduler) or a mirror pod name;
for restart-unit, kubelet's unit or the runtime's (kubelet.service, containerd.service).

flags:
${flagHelp(null).join('\n')}

flags of one command:
${COMMANDS.flatMap((c) => flagHelp(c.name).map((line) => `${line}  (${c.name})`)).join('\n')}

exit codes: 0 fine, 1 problems found or change refused, 2 usage error`;
}

export function parseCli(argv: string[]): CliArgs {
  const { flags, positionals } = parseFlags(argv);
  if (flags.help || flags.version) return { command: flags.help ? 'help' : 'version', targets: [], flags };
  const [command = defaultCommand(), ...rest] = positionals;
  const spec = commandNamed(command);
  if (!spec) throw new UsageError(`unknown command "${command}"`);
  if (spec.takes === 'a name' && rest.length !== 1)
    throw new UsageError(`${command} takes one NAME (a manifest file or pod name)`);
  if (spec.takes === 'nothing' && rest.length > 0)
    throw new UsageError(`${command} takes no argument, got "${rest.join(' ')}"`);
  return { command, targets: rest, flags };
}

/** The TUI on a terminal; the plain status report for scripts, pipes and CI. */
function defaultCommand(): string {
  return process.stdout.isTTY && process.stdin.isTTY ? 'tui' : 'status';
}

export async function main(argv: string[], io: Io): Promise<number> {
  let args: CliArgs;
  try {
    args = parseCli(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`breakglass: ${err.message}\n\n${usage()}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
  if (args.command === 'help') {
    io.out(`${usage()}\n`);
    return EXIT_OK;
  }
  if (args.command === 'version') {
    const info = buildInfo();
    if (args.flags.json) jsonLine(io, { ...info });
    else io.out(`${versionText(info)}\n`);
    return EXIT_OK;
  }
  try {
    return await commandNamed(args.command)!.run(args, io);
  } catch (err) {
    if (err instanceof BreakglassError) {
      if (args.flags.json) jsonLine(io, { ok: false, code: err.code, error: err.message });
      io.err(`breakglass: ${escapeName(err.message)}\n`);
      return err.code === 'usage' ? EXIT_USAGE : EXIT_PROBLEMS;
    }
    throw err;
  }
}
