// A command line as the commands receive it.
import type { Flags } from './flags.js';

export interface CliArgs {
  command: string;
  /** The command's NAME arguments. */
  targets: string[];
  flags: Flags;
}
