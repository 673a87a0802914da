// A lab: real dockerd and containerd (CRI) with local images, all under one directory.
import * as fs from 'node:fs';
import { daemonsAnswer, labPaths, startDaemons, stopDaemons } from './daemons.js';
import { ensureLabImages, LAB_IMAGES, type LabImages } from './images.js';
import { ensureDebianPackages, LAB_PACKAGES, type Log } from './packages.js';

export const DEFAULT_LAB_DIR = '/var/lib/breakglass-lab';

export interface LabEnv {
  dir: string;
  dockerSocket: string;
  containerdSocket: string;
  /** <dir>/var/log/pods: the log_directory root for CRI pods. */
  podLogsDir: string;
  /** Docker names; CRI knows them with a docker.io/ prefix (criImageName). */
  images: LabImages;
}

/** The variables the test wrapper exports to the tests (read back by test/helpers/lab.ts). */
export const LAB_ENV_VARIABLES = {
  dir: 'BREAKGLASS_LAB_DIR',
  dockerSocket: 'BREAKGLASS_LAB_DOCKER_SOCKET',
  containerdSocket: 'BREAKGLASS_LAB_CONTAINERD_SOCKET',
  podLogsDir: 'BREAKGLASS_LAB_POD_LOGS',
} as const;

export interface LabOptions {
  log?: Log;
}

export function stderrLog(line: string): void {
  process.stderr.write(`lab: ${line}\n`);
}

export function labEnvFor(dir: string): LabEnv {
  const paths = labPaths(dir);
  return {
    dir: paths.dir,
    dockerSocket: paths.dockerSocket,
    containerdSocket: paths.containerdSocket,
    podLogsDir: paths.podLogsDir,
    images: { ...LAB_IMAGES },
  };
}

export function labEnvVariables(env: LabEnv): Record<string, string> {
  return {
    [LAB_ENV_VARIABLES.dir]: env.dir,
    [LAB_ENV_VARIABLES.dockerSocket]: env.dockerSocket,
    [LAB_ENV_VARIABLES.containerdSocket]: env.containerdSocket,
    [LAB_ENV_VARIABLES.podLogsDir]: env.podLogsDir,
  };
}

/** `NAME=value` lines a shell can eval. */
export function labEnvLines(env: LabEnv): string {
  return Object.entries(labEnvVariables(env))
    .map(([name, value]) => `${name}=${value}\n`)
    .join('');
}

/** Packages, daemons, images: each step skipped when already done, so a re-run on the same dir is quick. */
export async function labUp(dir: string, { log = stderrLog }: LabOptions = {}): Promise<LabEnv> {
  if (process.getuid?.() !== 0) throw new Error('the lab needs root: it runs dockerd and containerd');
  const started = Date.now();
  const paths = labPaths(dir);
  await step(log, 'Debian packages', () => ensureDebianPackages(LAB_PACKAGES, log));
  fs.mkdirSync(paths.dir, { recursive: true, mode: 0o755 });
  await step(log, 'daemons', () => startDaemons(paths.dir, log));
  await step(log, 'images', () => ensureLabImages(paths, log));
  log(`up in ${paths.dir} (${Date.now() - started} ms)`);
  return labEnvFor(paths.dir);
}

/** Stops everything the lab runs and leaves no process, mount or container behind; keeps the images. */
export async function labDown(dir: string, { log = stderrLog }: LabOptions = {}): Promise<void> {
  const started = Date.now();
  await stopDaemons(dir, log);
  log(`down in ${labPaths(dir).dir} (${Date.now() - started} ms)`);
}

export async function labIsUp(dir: string): Promise<boolean> {
  const answering = await daemonsAnswer(dir);
  return answering.docker && answering.containerd;
}

async function step(log: Log, name: string, action: () => unknown): Promise<void> {
  const started = Date.now();
  log(`${name}...`);
  await action();
  log(`${name}: done (${Date.now() - started} ms)`);
}
