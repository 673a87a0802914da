// Runs the TUI in a real terminal: the alternate screen, raw keys, and a terminal given back in the
// state it was found in, whatever way the app ends: q, SIGINT, SIGTERM, SIGHUP (an SSH session that
// drops) or a crash.
import { render } from 'ink';
import type { ChildCommand } from '../procedures/child.js';
import type { NodeStore } from '../store/store.js';
import { App } from './App.js';

/** Leave the alternate screen, show the cursor, end bracketed paste and mouse modes. */
export const RESTORE_TERMINAL = '\u001b[?1049l\u001b[?25h\u001b[?2004l\u001b[0m';

export interface TuiOptions {
  /** Started by the caller (before this module loaded). */
  store: NodeStore;
  /** How a change runs: a child breakglass pointed at the same node. */
  child: ChildCommand;
  readOnly: boolean;
  kubeletUnit: string;
}

export async function runTui(options: TuiOptions): Promise<number> {
  const stdout = process.stdout;
  const stdin = process.stdin;
  let exitCode = 0;
  let finished = false;
  // Fault injection for the terminal-restore tests: an exception nobody catches, from a timer.
  if (process.env.BREAKGLASS_TUI_FAULT === 'timer') {
    setTimeout(() => {
      throw new Error('injected fault (BREAKGLASS_TUI_FAULT=timer)');
    }, 3_000);
  }
  const instance = render(
    <App
      store={options.store}
      child={options.child}
      readOnly={options.readOnly}
      kubeletUnit={options.kubeletUnit}
    />,
    {
      stdout,
      stdin,
      alternateScreen: true,
      // Our own decision, not a CI variable's: a terminal is interactive.
      interactive: Boolean(stdout.isTTY),
      exitOnCtrlC: true,
      patchConsole: true,
      maxFps: 20,
      incrementalRendering: true,
    },
  );

  // The first frame is on screen (Ink paints it in render()): now the feeds that were kept for later.
  setImmediate(() => options.store.startLater());

  const restore = () => {
    if (finished) return;
    finished = true;
    try {
      instance.unmount();
    } catch {
      // Unmounting a crashed tree can throw; the raw restore below still runs.
    }
    try {
      if (stdin.isTTY) stdin.setRawMode(false);
    } catch {
      // The terminal may be gone (SIGHUP).
    }
    try {
      if (stdout.isTTY) stdout.write(RESTORE_TERMINAL);
    } catch {
      // Same.
    }
  };

  const onSignal = (signal: NodeJS.Signals) => {
    exitCode = 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGHUP' ? 1 : 15);
    restore();
    void options.store.close().finally(() => process.exit(exitCode));
    setTimeout(() => process.exit(exitCode), 1_500).unref();
  };
  const onCrash = (err: unknown) => {
    restore();
    const message =
      err instanceof Error
        ? process.env.BREAKGLASS_DEBUG
          ? (err.stack ?? err.message)
          : err.message
        : String(err);
    process.stderr.write(
      `breakglass: the screen crashed: ${message}\nthe terminal was restored; \`breakglass status\` still works\n`,
    );
    process.exit(70);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);

  try {
    await instance.waitUntilExit();
  } catch (err) {
    onCrash(err);
  } finally {
    restore();
    await options.store.close();
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(signal, onSignal);
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
  }
  return exitCode;
}
