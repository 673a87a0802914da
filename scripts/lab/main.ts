// npm run lab -- up|down|status [--dir D]
//   up      starts the lab (packages, daemons, images) and prints its env lines; the daemons keep running
//   down    stops it, leaving no process, mount or container behind (images stay for the next up)
//   status  prints the env lines if both daemons answer; exits 1 otherwise
import { DEFAULT_LAB_DIR, labDown, labEnvFor, labEnvLines, labIsUp, labUp } from './lab.js';

const USAGE = 'usage: lab up|down|status [--dir DIR]';

function parseArgs(argv: string[]): { command: string | undefined; dir: string } {
  let dir = DEFAULT_LAB_DIR;
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--dir') dir = requireValue(argv[++i]);
    else if (arg.startsWith('--dir=')) dir = requireValue(arg.slice('--dir='.length));
    else positional.push(arg);
  }
  if (positional.length > 1) throw new Error(USAGE);
  return { command: positional[0], dir };
}

function requireValue(value: string | undefined): string {
  if (!value) throw new Error(`--dir needs a directory\n${USAGE}`);
  return value;
}

async function main(): Promise<number> {
  const { command, dir } = parseArgs(process.argv.slice(2));
  switch (command) {
    case 'up':
      process.stdout.write(labEnvLines(await labUp(dir)));
      return 0;
    case 'down':
      await labDown(dir);
      return 0;
    case 'status':
      if (!(await labIsUp(dir))) {
        process.stderr.write(`lab: not up in ${dir}\n`);
        return 1;
      }
      process.stdout.write(labEnvLines(labEnvFor(dir)));
      return 0;
    default:
      process.stderr.write(`${USAGE}\n`);
      return 2;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`lab: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
