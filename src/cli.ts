// Entry point: never a stack trace for the operator, unless BREAKGLASS_DEBUG asks for one.
import { main } from './cli/main.js';

const io = {
  out: (text: string) => process.stdout.write(text),
  err: (text: string) => process.stderr.write(text),
};

try {
  process.exitCode = await main(process.argv.slice(2), io);
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`breakglass: unexpected error: ${message}\n`);
  if (process.env.BREAKGLASS_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  else process.stderr.write('(set BREAKGLASS_DEBUG=1 for details)\n');
  process.exitCode = 1;
}
