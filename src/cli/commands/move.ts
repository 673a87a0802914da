// `breakglass disable NAME` / `enable NAME`: the manifest moved out to the holding directory or back,
// crash-safe. With --wait, the same move as a procedure that then waits for the runtime to follow.
import { resolveMovePod } from '../../model/pod-target.js';
import { disableStaticPod, enableStaticPod, type MoveResult } from '../../ops/staticpods.js';
import { disablePod, enablePod } from '../../procedures/pod.js';
import { podSubject } from '../../procedures/pod-steps.js';
import { escapeName } from '../../util/sanitize.js';
import type { CliArgs } from '../args.js';
import { EXIT_OK, type Io, jsonLine } from '../io.js';
import { changeContext, discover } from '../node.js';
import { runProcedureCommand } from '../run-procedure.js';

export async function move(action: 'disable' | 'enable', args: CliArgs, io: Io): Promise<number> {
  const name = args.targets[0]!;
  if (args.flags.wait) {
    return runProcedureCommand(args, io, {
      procedure: action === 'disable' ? disablePod : enablePod,
      feeds: ['runtime', 'health'],
      confirm: false,
      params: (model) => ({ ...podSubject(resolveMovePod(model, action, name)), wait: true }),
      result: (p) => ({ pod: p.name, file: p.file }),
    });
  }
  const ctx = changeContext(await discover(args.flags), args.flags);
  const result = action === 'disable' ? disableStaticPod(ctx, name) : enableStaticPod(ctx, name);
  if (args.flags.json) jsonLine(io, { ok: true, ...result });
  else io.out(moveText(result));
  return EXIT_OK;
}

function moveText(r: MoveResult): string {
  const lines = r.notes.map((n) => `note: ${escapeName(n)}`);
  const what = r.podName ? `static pod ${escapeName(r.podName)} (${r.file})` : r.file;
  if (r.action === 'disable') {
    lines.push(`disabled ${what}: manifest moved to ${escapeName(r.to)}`);
    lines.push(
      'kubelet stops the pod once it notices (inotify at once, or its next re-list within 20 s). If kubelet was restarted while the API server was down, it may keep the pod running: check the runtime.',
    );
  } else {
    lines.push(`enabled ${what}: manifest moved back to ${escapeName(r.to)}`);
    lines.push('kubelet starts the pod once it notices (inotify at once, or its next re-list within 20 s).');
  }
  return `${lines.join('\n')}\n`;
}
