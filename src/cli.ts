// Entry point: never a stack trace for the operator, unless BREAKGLASS_DEBUG asks for one.

import { enableCompileCache } from 'node:module';
import { fileURLToPath } from 'node:url';

// V8's compiled code kept beside the build (dist/.compile-cache): a command after the first compiles
// none of its modules again, 15 % of `status` and of the TUI's start. Not in the single executable
// (it has its own code cache); where dist is read-only it silently does nothing.
if (!process.getBuiltinModule('node:sea')?.isSea()) {
  try {
    enableCompileCache(fileURLToPath(new URL('../.compile-cache', import.meta.url)));
  } catch {
    // a cache is an optimisation: without it every command still runs
  }
}

const stop = new AbortController();
// The detached run of a procedure has no terminal to lose: a SIGHUP means nothing to it, and after
// SIGINT or SIGTERM it must finish putting back what it took away, however long that takes.
const runner = Boolean(process.env.BREAKGLASS_RUNNER);
let forcedExit = !runner;
if (runner) process.on('SIGHUP', () => {});
for (const signal of runner ? (['SIGINT', 'SIGTERM'] as const) : (['SIGINT', 'SIGTERM', 'SIGHUP'] as const)) {
  // A second signal ends this process at once (the default action), except the detached run's.
  process[runner ? 'on' : 'once'](signal, () => {
    stop.abort(signal);
    // Whatever does not end by itself (a runtime call waiting out its timeout) is not waited for.
    if (forcedExit) setTimeout(() => process.exit(130), 2_000).unref();
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
  keepRunningOnSignal: () => {
    forcedExit = false;
  },
  out: (text: string) => process.stdout.write(text),
  err: (text: string) => process.stderr.write(text),
  ask: process.stdin.isTTY
    ? async (question: string) => {
        const readline = await import('node:readline/promises');
        const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
        try {
          return await rl.question(question);
        } finally {
          rl.close();
        }
      }
    : null,
};

// No top-level await: the single executable is this file bundled as CommonJS (what Node 24 runs as an
// executable's main script), which has none.
// main is imported after the compile cache is on (a static import would be loaded before it).
import('./cli/main.js')
  .then(({ main }) => main(process.argv.slice(2), io))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      process.stderr.write(`breakglass: unexpected error: ${message}\n`);
      if (process.env.BREAKGLASS_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
      else process.stderr.write('(set BREAKGLASS_DEBUG=1 for details)\n');
      process.exitCode = 1;
    },
  );
