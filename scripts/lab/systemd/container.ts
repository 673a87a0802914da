// The systemd container through the lab's docker CLI: its state, commands run in it, files written into it,
// and its removal.
import { spawnSync } from 'node:child_process';
import { DOCKER_CLI } from '../daemons/clients.js';
import type { LabPaths } from '../daemons/paths.js';

export const SYSTEMD_CONTAINER = 'breakglass-lab-systemd';
const EXEC_TIMEOUT_MS = 30_000;

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function dockerRaw(paths: LabPaths, args: string[], input?: string): RunResult {
  const result = spawnSync(DOCKER_CLI, ['-H', `unix://${paths.dockerSocket}`, ...args], {
    encoding: 'utf8',
    timeout: EXEC_TIMEOUT_MS,
    maxBuffer: 64 << 20,
    ...(input === undefined ? {} : { input }),
  });
  if (result.error) throw new Error(`docker ${args.join(' ')}: ${result.error.message}`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function docker(paths: LabPaths, args: string[]): string {
  const result = dockerRaw(paths, args);
  if (result.status !== 0) {
    throw new Error(`docker ${args.join(' ')} exited with ${result.status}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}

export function dockerExec(paths: LabPaths, command: string[], input?: string): RunResult {
  const interactive = input === undefined ? [] : ['-i'];
  return dockerRaw(paths, ['exec', ...interactive, SYSTEMD_CONTAINER, ...command], input);
}

/** running, exited, created...; null when there is no such container. */
export function containerState(paths: LabPaths): string | null {
  const result = dockerRaw(paths, ['inspect', '-f', '{{.State.Status}}', SYSTEMD_CONTAINER]);
  return result.status === 0 ? result.stdout.trim() : null;
}

/**
 * SIGKILL, not systemd's own shutdown: with containerd.service's KillMode=process its shims outlive the
 * unit, and a clean halt then waits out stop timeouts (3 minutes here).
 */
export function removeContainer(paths: LabPaths): void {
  const result = dockerRaw(paths, ['rm', '-f', SYSTEMD_CONTAINER]);
  if (result.status !== 0 && !/No such container/i.test(result.stderr)) {
    throw new Error(`docker rm -f ${SYSTEMD_CONTAINER}: ${result.stderr.trim()}`);
  }
}

export function writeFileInContainer(paths: LabPaths, file: string, text: string): void {
  // docker cp is no use here: it re-mounts the container's volumes, and the lab dir holds dockerd's own
  // data root, so with the lab dir bind-mounted it fails with "no space left on device".
  const script = 'mkdir -p "$(dirname "$1")" && cat > "$1"';
  const result = dockerExec(paths, ['sh', '-c', script, 'write', file], text);
  if (result.status !== 0)
    throw new Error(`writing ${file} in ${SYSTEMD_CONTAINER}: ${result.stderr.trim()}`);
}
