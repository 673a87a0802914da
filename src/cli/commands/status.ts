// `breakglass status`: where things are on this node and where each value came from, every static pod
// with its phase and alerts, an interrupted change waiting for `recover`.

import { nodeModel } from '../../model/node.js';
import { countBySeverity } from '../../model/static-pods.js';
import { terminalSafeJson } from '../../util/sanitize.js';
import type { CliArgs } from '../args.js';
import { recordQuietly } from '../history-node.js';
import { EXIT_OK, EXIT_PROBLEMS, type Io } from '../io.js';
import { readNode } from '../node.js';
import { statusJson, statusText } from '../render/status.js';

export async function status(args: CliArgs, io: Io): Promise<number> {
  const facts = await readNode(args.flags, { runtime: true });
  const report = statusJson(facts, nodeModel(facts));
  recordQuietly(facts, args.flags);
  io.out(args.flags.json ? `${terminalSafeJson(report, 2)}\n` : statusText(report));
  const { errors } = countBySeverity(report.findings);
  const problems = report.manifestDir.error || errors > 0 || report.interruptedChange || report.runtime.error;
  return problems ? EXIT_PROBLEMS : EXIT_OK;
}
