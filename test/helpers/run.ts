import { type SpawnSyncOptions, spawn, spawnSync } from 'node:child_process';
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

/** Runs the real binary and resolves when it exits. */
export function breakglassAsync(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(BIN, args, { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}
