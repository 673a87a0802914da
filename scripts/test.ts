// npm test's runner: brings a lab up, runs node --test with the lab's env variables, and always tears the
// lab down again (also on Ctrl-C or SIGTERM), unless it reused one that was already up.
//
//   node dist/scripts/test.js                                  all of dist/test/**/*.test.js
//   node dist/scripts/test.js 'dist/test/integration/x.test.js' only these files (globs)
//   BREAKGLASS_LAB_DIR=/var/lib/breakglass-lab node dist/scripts/test.js   reuse (or start) that lab
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { REPO_ROOT } from '../test/helpers/paths.js';
import { labDown, labEnvFor, labEnvVariables, labIsUp, labUp, stderrLog } from './lab/lab.js';

const DEFAULT_GLOBS = ['dist/test/**/*.test.js'];
// Every lab port stays below 32768, where Linux's ephemeral ports begin: a port up there can be held
// by any outgoing connection (an etcd client's, say) and the lab's listener would fail to bind.
const TEST_PORT_OFFSET = 10_000;
const TERMINATING_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

interface LabLease {
  dir: string;
  /** false when the lab was already up: someone else owns it and tears it down. */
  owned: boolean;
  /** A temp dir of our own, removed after the teardown. */
  temporary: boolean;
}

let interruptedBy: NodeJS.Signals | null = null;
let testRun: ChildProcess | null = null;

async function leaseLab(): Promise<LabLease> {
  const given = process.env.BREAKGLASS_LAB_DIR;
  if (given && (await labIsUp(given))) {
    stderrLog(`reusing the lab that is up in ${given}`);
    return { dir: given, owned: false, temporary: false };
  }
  if (given) return { dir: given, owned: true, temporary: false };
  return { dir: fs.mkdtempSync('/tmp/bg-lab-'), owned: true, temporary: true };
}

/** Options (--test-name-pattern=…) go to node before the files; anything else is a test file glob. */
function nodeTestArgs(cliArgs: string[]): string[] {
  const options = cliArgs.filter((arg) => arg.startsWith('-'));
  const globs = cliArgs.filter((arg) => !arg.startsWith('-'));
  return ['--test', '--test-concurrency=1', ...options, ...(globs.length > 0 ? globs : DEFAULT_GLOBS)];
}

function runTests(env: Record<string, string>, cliArgs: string[]): Promise<number> {
  return new Promise((resolve) => {
    testRun = spawn(process.execPath, nodeTestArgs(cliArgs), {
      cwd: REPO_ROOT,
      stdio: 'inherit',
      env: { ...process.env, ...env },
    });
    testRun.on('error', (error) => {
      stderrLog(`could not start the tests: ${error.message}`);
      resolve(1);
    });
    testRun.on('exit', (code, signal) => resolve(code ?? exitCodeFor(signal ?? 'SIGTERM')));
  });
}

function exitCodeFor(signal: NodeJS.Signals): number {
  return 128 + (os.constants.signals[signal] ?? 15);
}

/** The tests get the signal too (a terminal sends Ctrl-C to the whole group; SIGTERM may come to us alone). */
function onTerminatingSignal(signal: NodeJS.Signals): void {
  if (interruptedBy) {
    stderrLog(`${signal} again: still tearing the lab down, please wait`);
    return;
  }
  interruptedBy = signal;
  stderrLog(`${signal}: stopping the tests, then tearing the lab down`);
  testRun?.kill(signal);
}

async function tearDown(lease: LabLease): Promise<boolean> {
  if (!lease.owned) return true;
  try {
    await labDown(lease.dir);
    if (lease.temporary) fs.rmSync(lease.dir, { recursive: true, force: true });
    return true;
  } catch (error) {
    stderrLog(`teardown failed: ${error instanceof Error ? error.message : String(error)}`);
    return false;
  }
}

async function main(): Promise<number> {
  for (const signal of TERMINATING_SIGNALS) process.on(signal, onTerminatingSignal);
  const lease = await leaseLab();
  let code = 1;
  try {
    // Ports offset so that a test run on a real master never meets its etcd or API server.
    const env = lease.owned
      ? await labUp(lease.dir, { controlPlane: { portOffset: TEST_PORT_OFFSET } })
      : labEnvFor(lease.dir);
    // A signal during the lab's start-up lets the current step finish: its daemons are then known and stopped.
    if (!interruptedBy) code = await runTests(labEnvVariables(env), process.argv.slice(2));
  } catch (error) {
    stderrLog(`the lab did not come up: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    if (!(await tearDown(lease)) && code === 0) code = 1;
  }
  return interruptedBy ? exitCodeFor(interruptedBy) : code;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    stderrLog(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
