import { readFileSync } from 'node:fs';
import { allFindings, countBySeverity } from '../model/staticpods.js';
import {
  disableStaticPod,
  enableStaticPod,
  type MoveResult,
  pendingIntent,
  recover,
} from '../ops/staticpods.js';
import { BreakglassError } from '../util/errors.js';
import { escapeName } from '../util/sanitize.js';
import { type CliArgs, parseCli, USAGE, UsageError } from './args.js';
import { changeContext, discover, readNodeView } from './context.js';
import { lintText, statusJson, statusText } from './report.js';

export const EXIT_OK = 0;
export const EXIT_PROBLEMS = 1;
export const EXIT_USAGE = 2;

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

export async function main(argv: string[], io: Io): Promise<number> {
  let args: CliArgs;
  try {
    args = parseCli(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`breakglass: ${err.message}\n\n${USAGE}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
  try {
    return await run(args, io);
  } catch (err) {
    if (err instanceof BreakglassError) {
      if (args.json) io.out(`${JSON.stringify({ ok: false, code: err.code, error: err.message })}\n`);
      io.err(`breakglass: ${escapeName(err.message)}\n`);
      return err.code === 'usage' ? EXIT_USAGE : EXIT_PROBLEMS;
    }
    throw err;
  }
}

async function run(args: CliArgs, io: Io): Promise<number> {
  switch (args.command) {
    case 'help':
      io.out(`${USAGE}\n`);
      return EXIT_OK;
    case 'version':
      io.out(`${version()}\n`);
      return EXIT_OK;
    case 'status':
      return status(args, io);
    case 'lint':
      return lint(args, io);
    case 'disable':
    case 'enable':
      return change(args, io);
    case 'recover':
      return recoverCommand(args, io);
  }
}

async function status(args: CliArgs, io: Io): Promise<number> {
  const view = await readNodeView(args);
  const report = statusJson(view, pendingIntent(view.layout.stateDir.value));
  io.out(args.json ? `${JSON.stringify(report, null, 2)}\n` : statusText(report));
  const { errors } = countBySeverity(report.findings);
  return report.manifestDir.error || errors > 0 || report.interruptedChange ? EXIT_PROBLEMS : EXIT_OK;
}

async function lint(args: CliArgs, io: Io): Promise<number> {
  const view = await readNodeView(args);
  if (view.manifests.error) {
    if (args.json)
      io.out(`${JSON.stringify({ dir: view.manifests.dir, error: view.manifests.error, findings: [] })}\n`);
    else io.err(`breakglass: static pod directory: ${escapeName(view.manifests.error)}\n`);
    return EXIT_PROBLEMS;
  }
  const findings = allFindings(view.manifests);
  io.out(
    args.json
      ? `${JSON.stringify({ dir: view.manifests.dir, findings }, null, 2)}\n`
      : lintText(findings, view.manifests.dir),
  );
  return countBySeverity(findings).errors > 0 ? EXIT_PROBLEMS : EXIT_OK;
}

async function change(args: CliArgs, io: Io): Promise<number> {
  const layout = await discover(args);
  const ctx = changeContext(layout, args);
  const result =
    args.command === 'disable' ? disableStaticPod(ctx, args.target!) : enableStaticPod(ctx, args.target!);
  if (args.json) io.out(`${JSON.stringify({ ok: true, ...result })}\n`);
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

async function recoverCommand(args: CliArgs, io: Io): Promise<number> {
  const layout = await discover(args);
  const { report, notes } = recover(changeContext(layout, args));
  if (args.json) {
    io.out(`${JSON.stringify({ ok: report?.outcome !== 'conflict', recovered: report, notes })}\n`);
  } else {
    for (const note of notes) io.out(`note: ${escapeName(note)}\n`);
    io.out(
      report ? `${report.action} of ${report.file}: ${escapeName(report.message)}\n` : 'nothing to recover\n',
    );
  }
  return report?.outcome === 'conflict' ? EXIT_PROBLEMS : EXIT_OK;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return `breakglass ${pkg.version}`;
}
