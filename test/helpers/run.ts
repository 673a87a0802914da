import { type ChildProcess, type SpawnSyncOptions, spawn, spawnSync } from 'node:child_process';
import { BIN } from './paths.js';

export interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the real bin/breakglass, as an operator would. */
export function breakglass(args: string[], options: SpawnSyncOptions = {}): RunResult {
  const r = spawnSync(BIN, args, { encoding: 'utf8', timeout: 60_000, ...options });
  return { status: r.status, signal: r.signal, stdout: String(r.stdout), stderr: String(r.stderr) };
}

export function breakglassJson<T>(
  args: string[],
  options: SpawnSyncOptions = {},
): { result: RunResult; json: T } {
  const result = breakglass([...args, '--json'], options);
  try {
    return { result, json: JSON.parse(result.stdout) as T };
  } catch {
    throw new Error(`not JSON (exit ${result.status}): ${result.stdout}\n${result.stderr}`);
  }
}

/** The real binary, running: its output so far, and the process to signal. */
export interface RunningBreakglass {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
}

export function startBreakglass(args: string[], env: NodeJS.ProcessEnv = process.env): RunningBreakglass {
  const child = spawn(BIN, args, { env });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  return { child, stdout: () => stdout, stderr: () => stderr };
}

/**
 * Runs the real binary and resolves when it exits. With timeoutMs, one that runs longer is killed and the
 * promise rejects: a command that must not hang (on a hung socket, say) fails the test instead of stalling it.
 */
export function breakglassAsync(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const run = startBreakglass(args, options.env);
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            run.child.kill('SIGKILL');
            reject(new Error(`breakglass ${args[0]} did not exit within ${options.timeoutMs} ms`));
          }, options.timeoutMs);
    run.child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout: run.stdout(), stderr: run.stderr() });
    });
  });
}
