// `breakglass stop NAME`: a pod's containers and sandbox stopped through the runtime, for a kubelet that
// ignores a removed manifest. Confirmed by typing the pod's name (or --yes), refused for an enabled pod
// unless --force, locked and audited.
import { resolvePodTarget } from '../../model/pod-target.js';
import type { StopPlan } from '../../ops/stop.js';
import { type StopParams, stopPodProcedure } from '../../procedures/stop-pod.js';
import { BreakglassError } from '../../util/errors.js';
import { escapeName } from '../../util/sanitize.js';
import type { CliArgs } from '../args.js';
import type { Io } from '../io.js';
import { runProcedureCommand } from '../run-procedure.js';

const DEFAULT_GRACE_SECONDS = 10;

export function stop(args: CliArgs, io: Io): Promise<number> {
  const name = args.targets[0]!;
  const graceSeconds = args.flags.timeout ?? DEFAULT_GRACE_SECONDS;
  return runProcedureCommand(args, io, {
    procedure: stopPodProcedure,
    feeds: ['runtime'],
    confirm: true,
    events: false,
    params: (model, facts): StopParams => {
      if (facts.runtime.error)
        throw new BreakglassError(`cannot reach the runtime: ${facts.runtime.error}`, 'runtime');
      const target = resolvePodTarget(model, name);
      return { name: target.view.name, target, graceSeconds, force: args.flags.force };
    },
    ask: async (asker, p, ops) => {
      const what = describeStop(await ops.planStop(p.target));
      if (!asker.ask) {
        throw new BreakglassError(
          `stopping ${what} needs confirmation: pass --yes (no terminal to ask on)`,
          'confirm',
        );
      }
      const answer = await asker.ask(
        `About to stop ${what} through the runtime (grace ${p.graceSeconds} s, then SIGKILL).\nType the pod name (${p.target.podName}) to confirm: `,
      );
      if (answer.trim() !== p.target.podName && answer.trim() !== p.name) {
        throw new BreakglassError('not confirmed; nothing stopped', 'confirm');
      }
    },
    result: (p, state) => ({ pod: p.target.podName, namespace: p.target.namespace, ...state.result }),
  });
}

function describeStop(plan: StopPlan): string {
  const containers = plan.containers.map((c) => escapeName(c.name)).join(', ') || 'no container';
  return `${escapeName(plan.target.namespace)}/${escapeName(plan.target.podName)}: ${containers}; ${plan.sandboxes.length} sandbox(es)`;
}
