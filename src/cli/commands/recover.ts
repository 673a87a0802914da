// `breakglass recover`: finish or undo a change cut short by kill -9 or a power cut.
import { procedureRecoveryText } from '../../ops/guard.js';
import { recover } from '../../ops/staticpods.js';
import { escapeName } from '../../util/sanitize.js';
import type { CliArgs } from '../args.js';
import { EXIT_OK, EXIT_PROBLEMS, type Io, jsonLine } from '../io.js';
import { changeContext, discover } from '../node.js';

export async function recoverCommand(args: CliArgs, io: Io): Promise<number> {
  const layout = await discover(args.flags);
  const { report, procedure, notes } = recover(changeContext(layout, args.flags));
  const conflict = report?.outcome === 'conflict' || (procedure?.problems.length ?? 0) > 0;
  if (args.flags.json) {
    jsonLine(io, { ok: !conflict, recovered: report, procedure, notes });
  } else {
    for (const note of notes) io.out(`note: ${escapeName(note)}\n`);
    if (report) io.out(`${report.action} of ${report.file}: ${escapeName(report.message)}\n`);
    if (procedure) io.out(`${escapeName(procedureRecoveryText(procedure))}\n`);
    if (!report && !procedure) io.out('nothing to recover\n');
  }
  return conflict ? EXIT_PROBLEMS : EXIT_OK;
}
