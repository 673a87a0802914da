// How this very breakglass starts itself again (a change's child, the detached run, the history's path
// unit): from a checkout, the pinned Node with its flags and dist/src/cli.js; the single executable
// (dist/bin/breakglass-linux-*) is Node and script in one file, so it is run alone, with no flags.
import { isSea } from 'node:sea';
import { fileURLToPath } from 'node:url';

export interface SelfCommand {
  /** The file to execute: the Node binary, or the single executable. */
  node: string;
  /** The script Node runs (dist/src/cli.js); null in the single executable. */
  script: string | null;
}

export function selfCommand(): SelfCommand {
  if (isSea()) return { node: process.execPath, script: null };
  return { node: process.execPath, script: fileURLToPath(new URL('../cli.js', import.meta.url)) };
}

/** What comes after the executable: Node's flags and the script, then `args`. */
export function selfArgs(self: SelfCommand, args: string[], nodeOptions: readonly string[] = []): string[] {
  return self.script === null ? args : [...nodeOptions, self.script, ...args];
}
