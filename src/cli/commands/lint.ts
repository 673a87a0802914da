// `breakglass lint`: the findings about the manifest directory, as kubelet would load it.

import { allFindings, countBySeverity } from '../../model/static-pods.js';
import { escapeName, terminalSafeJson } from '../../util/sanitize.js';
import type { CliArgs } from '../args.js';
import { EXIT_OK, EXIT_PROBLEMS, type Io, jsonLine } from '../io.js';
import { readNode } from '../node.js';
import { lintText } from '../render/lint.js';

export async function lint(args: CliArgs, io: Io): Promise<number> {
  const { manifests } = (await readNode(args.flags, { runtime: false })).dirs;
  if (manifests.error) {
    if (args.flags.json) jsonLine(io, { dir: manifests.dir, error: manifests.error, findings: [] });
    else io.err(`breakglass: static pod directory: ${escapeName(manifests.error)}\n`);
    return EXIT_PROBLEMS;
  }
  const findings = allFindings(manifests);
  io.out(
    args.flags.json
      ? `${terminalSafeJson({ dir: manifests.dir, findings }, 2)}\n`
      : lintText(findings, manifests.dir),
  );
  return countBySeverity(findings).errors > 0 ? EXIT_PROBLEMS : EXIT_OK;
}
