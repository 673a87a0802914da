// Talking to the lab's daemons: the Docker Engine API over its socket, the docker and ctr CLIs, and
// whether each daemon answers.
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { promisify } from 'node:util';
import { labPaths } from './paths.js';

/** The docker.io package's client: another docker CLI may come first on PATH (this machine has one). */
export const DOCKER_CLI = '/usr/bin/docker';
const CTR = '/usr/bin/ctr';

export interface HttpAnswer {
  status: number;
  body: string;
}

/** A GET on the Docker Engine API over its unix socket. */
export function dockerGet(socket: string, urlPath: string, timeoutMs = 5_000): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.get({ socketPath: socket, path: urlPath, timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${urlPath} timed out on ${socket}`)));
    request.on('error', reject);
  });
}

/** Runs the docker CLI against the lab's dockerd; returns stdout, throws with stderr on failure. */
export function dockerCli(socket: string, args: string[]): string {
  return runChecked(DOCKER_CLI, ['-H', `unix://${socket}`, ...args]);
}

/** Runs ctr against the lab's containerd; returns stdout, throws with stderr on failure. */
export function ctr(socket: string, args: string[]): string {
  return runChecked(CTR, ['--address', socket, ...args]);
}

export function runChecked(command: string, args: string[], timeoutMs = 60_000): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
  if (result.error) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}

/** A CLI's output as its non-empty lines (ids, names). */
export function outputLines(output: string): string[] {
  return output.split('\n').filter(Boolean);
}

export function ignoreFailure(action: () => unknown): void {
  try {
    action();
  } catch {
    // What this missed, the sweep of leftover processes and mounts catches.
  }
}

/** CRI's line in `ctr plugins ls` when the plugin did not load ('not listed' if absent); null if ok. */
export function criPluginProblem(socket: string): string | null {
  const plugins = ctr(socket, ['plugins', 'ls']);
  const cri = plugins.split('\n').find((line) => /^io\.containerd\.grpc\.v1\s+cri\s/.test(line));
  return cri?.trim().endsWith('ok') ? null : (cri ?? 'not listed');
}

export async function dockerAnswers(socket: string): Promise<boolean> {
  try {
    const answer = await dockerGet(socket, '/_ping', 2_000);
    return answer.status === 200 && answer.body === 'OK';
  } catch {
    return false;
  }
}

export async function containerdAnswers(socket: string): Promise<boolean> {
  if (!fs.existsSync(socket)) return false;
  try {
    await promisify(execFile)(CTR, ['--address', socket, 'version'], { timeout: 3_000 });
    return true;
  } catch {
    return false;
  }
}

export async function daemonsAnswer(dir: string): Promise<{ docker: boolean; containerd: boolean }> {
  const paths = labPaths(dir);
  const [docker, containerd] = await Promise.all([
    dockerAnswers(paths.dockerSocket),
    containerdAnswers(paths.containerdSocket),
  ]);
  return { docker, containerd };
}
