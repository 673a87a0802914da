// `breakglass recover`: finish or undo a change cut short by kill -9 or a power cut.
import { recover } from '../../ops/staticpods.js';
import { escapeName } from '../../util/sanitize.js';
import type { CliArgs } from '../args.js';
import { EXIT_OK, EXIT_PROBLEMS, type Io, jsonLine } from '../io.js';
import { changeContext, discover } from '../node.js';

export async function recoverCommand(args: CliArgs, io: Io): Promise<number> {
  const layout = await discover(args.flags);
  const { report, notes } = recover(changeContext(layout, args.flags));
  const conflict = report?.outcome === 'conflict';
  if (args.flags.json) {
    jsonLine(io, { ok: !conflict, recovered: report, notes });
  } else {
    for (const note of notes) io.out(`note: ${escapeName(note)}\n`);
    io.out(
      report ? `${report.action} of ${report.file}: ${escapeName(report.message)}\n` : 'nothing to recover\n',
    );
  }
  return conflict ? EXIT_PROBLEMS : EXIT_OK;
}
