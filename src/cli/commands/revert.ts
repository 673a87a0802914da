// `breakglass revert NAME [--to SHA]`: the manifest put back as it was when its pod last ran healthy (or
// as the version named), crash-safe, then gated on a new container and its probe. Shows the plan and asks
// first (--yes).
import { revertPod } from '../../procedures/revert.js';
import { revertParams } from '../../procedures/revert-params.js';
import type { CliArgs } from '../args.js';
import type { Io } from '../io.js';
import { runProcedureCommand } from '../run-procedure.js';

export function revert(args: CliArgs, io: Io): Promise<number> {
  const name = args.targets[0]!;
  return runProcedureCommand(args, io, {
    procedure: revertPod,
    feeds: ['runtime', 'health'],
    confirm: true,
    params: (model, facts) =>
      revertParams(model, facts, name, {
        to: args.flags.to ?? null,
        gateSeconds: args.flags.gateTimeout,
        readOnly: args.flags.readOnly,
      }),
    result: (p) => ({ pod: p.name, file: p.file, sha256: p.target.sha256, previous: p.current.sha256 }),
  });
}
