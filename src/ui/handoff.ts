// A command that needs the terminal (`breakglass edit`: the editor, then its questions), run by a
// child breakglass in the foreground while Ink has the screen suspended; Enter comes back. The child's
// shell waits for that Enter, so this process never reads the terminal while it is handed over.
import { spawn } from 'node:child_process';
import type { ChildCommand } from '../procedures/child.js';
import { selfArgs } from '../util/self.js';

const THEN_WAIT_FOR_ENTER =
  '"$@"; code=$?; if [ "$code" = 0 ]; then how=done; else how="ended with $code"; fi; ' +
  'printf "\\n[breakglass %s %s] Enter: back to the screen " "$BREAKGLASS_HANDOFF" "$how"; read -r _';

export async function runInTerminal(child: ChildCommand, args: string[]): Promise<void> {
  // Ctrl-C in the editor reaches this process too (the same process group): it must not end the screen.
  const ignore = () => {};
  process.on('SIGINT', ignore);
  // Ink stops listening while suspended, but a TTY stream still reads the terminal into its buffer
  // until that fills: the keys meant for the child (its y/N) would be read here first (tried in tmux:
  // the child got "" and the screen got "y" afterwards). Reading stops at the handle, and starts again
  // once the child is done, for the screen.
  const handle = readHandle(process.stdin);
  const wasReading = handle?.reading === true;
  if (wasReading) {
    handle!.readStop!();
    handle!.reading = false;
  }
  try {
    const run = spawn(
      '/bin/sh',
      ['-c', THEN_WAIT_FOR_ENTER, 'sh', child.node, ...selfArgs(child, [...args, ...child.nodeFlags])],
      {
        stdio: 'inherit',
        env: { ...process.env, BREAKGLASS_HANDOFF: args[0] ?? '' },
      },
    );
    await new Promise<void>((resolve) => {
      run.once('exit', () => resolve());
      run.once('error', () => resolve());
    });
  } finally {
    if (wasReading && handle && !handle.reading) {
      handle.reading = true;
      handle.readStart!();
    }
    process.off('SIGINT', ignore);
  }
}

interface ReadHandle {
  reading?: boolean;
  readStop?: () => number;
  readStart?: () => number;
}

function readHandle(stream: NodeJS.ReadStream): ReadHandle | null {
  const handle = (stream as unknown as { _handle?: ReadHandle })._handle;
  return handle?.readStop && handle.readStart ? handle : null;
}
