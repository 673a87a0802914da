// Entry point: never a stack trace for the operator, unless BREAKGLASS_DEBUG asks for one.

import * as readline from 'node:readline/promises';
import { main } from './cli/main.js';

const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    stop.abort();
    // Whatever does not end by itself (a runtime call waiting out its timeout) is not waited for.
    setTimeout(() => process.exit(130), 2_000).unref();
  });
}

// A reader that went away (a pipe to `head`, the TUI that started this change and was closed) must not
// stop what this process is doing: its output is dropped, the work goes on.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

const io = {
  signal: stop.signal,
  out: (text: string) => process.stdout.write(text),
  err: (text: string) => process.stderr.write(text),
  ask: process.stdin.isTTY
    ? async (question: string) => {
        const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
        try {
          return await rl.question(question);
        } finally {
          rl.close();
        }
      }
    : null,
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
