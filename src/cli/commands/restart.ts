// `breakglass restart NAME`: the static pod restarted as one procedure (disable, wait until the runtime
// shows it stopped, enable, wait for a new container and its probe), the manifest always put back.
import { resolvePodTarget } from '../../model/pod-target.js';
import { restartPod } from '../../procedures/pod.js';
import { podSubject } from '../../procedures/pod-steps.js';
import { BreakglassError } from '../../util/errors.js';
import type { CliArgs } from '../args.js';
import type { Io } from '../io.js';
import { runProcedureCommand } from '../run-procedure.js';

export function restart(args: CliArgs, io: Io): Promise<number> {
  const name = args.targets[0]!;
  return runProcedureCommand(args, io, {
    procedure: restartPod,
    feeds: ['runtime', 'health'],
    confirm: true,
    params: (model) => {
      const target = resolvePodTarget(model, name);
      if (!target.enabled)
        throw new BreakglassError(
          `${name} is disabled: it does not run (enable it: breakglass enable ${name})`,
          'disabled',
        );
      return podSubject(target.view);
    },
    result: (p) => ({ pod: p.name, file: p.file }),
  });
}
