// `breakglass` on a terminal: the full-screen view. React and Ink load only here, so the plain commands
// stay quick to start.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliArgs } from './args.js';
import { readNodeView } from './context.js';
import type { Io } from './main.js';

export async function tuiCommand(args: CliArgs, io: Io): Promise<number> {
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    io.err('breakglass: the full-screen view needs a terminal; `breakglass status` prints the same facts\n');
    return 2;
  }
  const view = await readNodeView(args);
  const { layout } = view;
  // chalk (under Ink) turns every style off when it sees CI set, even CI=false, or a TERM it does not
  // know; then the selection (inverse) would vanish too. This is a terminal: styles on. NO_COLOR is
  // honoured by the theme, which then uses no colour but keeps bold and inverse.
  if (process.env.FORCE_COLOR === undefined) process.env.FORCE_COLOR = '1';
  const { NodeStore } = await import('../app/node-store.js');
  const { runTui } = await import('../ui/tui.js');
  const journalDir = args.journalDir ?? null;
  if (journalDir && !fs.existsSync(journalDir)) {
    io.err(`breakglass: --journal-dir ${journalDir}: no such directory\n`);
    return 2;
  }
  const store = new NodeStore({
    args,
    layout,
    etcdDataDir: view.etcdDataDir.value,
    journalDir,
    dbusAddress: args.dbus ?? null,
    kubeletUnit: args.kubeletUnit,
  });
  const nodeFlags = [
    '--root',
    layout.root,
    '--manifests',
    layout.manifests.value,
    '--holding',
    layout.holding.value,
    '--state-dir',
    layout.stateDir.value,
    '--node-name',
    layout.nodeName.value,
    ...(args.runtime ? ['--runtime', args.runtime] : []),
    ...(args.podLogs ? ['--pod-logs', args.podLogs] : []),
  ];
  const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'cli.js');
  const code = await runTui({
    store,
    readOnly: args.readOnly,
    kubeletUnit: args.kubeletUnit,
    actionEnv: {
      store,
      cli: { node: process.execPath, script },
      nodeFlags,
      readOnly: args.readOnly,
      stateDir: layout.stateDir.value,
    },
  });
  // The screen is closed and every source was asked to close; whatever still holds the event loop
  // (a socket in a slow close) must not keep the operator from their shell.
  setTimeout(() => process.exit(code), 1_000).unref();
  return code;
}
