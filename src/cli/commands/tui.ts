// `breakglass` on a terminal: the full-screen view. React and Ink load only here, so the plain commands
// stay quick to start.
import * as fs from 'node:fs';
import { selfCommand } from '../../util/self.js';
import type { CliArgs } from '../args.js';
import { nodeFlagArgs } from '../flags.js';
import { recordFromStore } from '../history-node.js';
import { EXIT_USAGE, type Io } from '../io.js';
import { discover, kubeletUnitOf, storeOptions } from '../node.js';

export async function tui(args: CliArgs, io: Io): Promise<number> {
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    io.err('breakglass: the full-screen view needs a terminal; `breakglass status` prints the same facts\n');
    return EXIT_USAGE;
  }
  const { flags } = args;
  if (flags.journalDir && !fs.existsSync(flags.journalDir)) {
    io.err(`breakglass: --journal-dir ${flags.journalDir}: no such directory\n`);
    return EXIT_USAGE;
  }
  const layout = await discover(flags);
  // chalk (under Ink) turns every style off when it sees CI set, even CI=false, or a TERM it does not
  // know; then the selection (inverse) would vanish too. This is a terminal: styles on. NO_COLOR is
  // honoured by the theme, which then uses no colour but keeps bold and inverse.
  if (process.env.FORCE_COLOR === undefined) process.env.FORCE_COLOR = '1';
  const { ALL_FEEDS, NodeStore } = await import('../../store/store.js');
  const store = new NodeStore(storeOptions(flags, layout));
  // The sources start before React and Ink load (most of the start-up): the runtime, D-Bus and the
  // journal answer meanwhile. The first frame waits for the runtime (at most a second), so it shows
  // every pod's state at once instead of being painted again and again; the slow gauges and the
  // certificates start after it.
  store.start(ALL_FEEDS, { later: ['etcd', 'disk', 'vitals', 'certs', 'evidence'] });
  let runTui: typeof import('../../ui/tui.js').runTui;
  try {
    ({ runTui } = await (await import('../../ui/load.js')).loadTui());
    await store.runtimeRead(1_000);
  } catch (err) {
    await store.close();
    throw err;
  }
  // Changes run as a child breakglass pointed at the same node: the same code as the CLI.
  const child = { ...selfCommand(), nodeFlags: nodeFlagArgs(flags) };
  // Every manifest version the screen sees goes into the history (a child records it).
  const stopRecording = flags.readOnly ? () => {} : recordFromStore(store, child);
  const code = await runTui({
    store,
    readOnly: flags.readOnly,
    kubeletUnit: kubeletUnitOf(flags),
    child,
  });
  stopRecording();
  // The screen is closed and every source was asked to close; whatever still holds the event loop
  // (a socket in a slow close) must not keep the operator from their shell.
  setTimeout(() => process.exit(code), 1_000).unref();
  return code;
}
