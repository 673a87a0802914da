// Units in the lab's systemd: unit files and drop-ins written into the container, and systemctl.
import * as path from 'node:path';
import type { LabPaths } from '../daemons/paths.js';
import { dockerExec, writeFileInContainer } from './container.js';

const UNIT_DIR = '/etc/systemd/system';

/** Writes /etc/systemd/system/<name> and reloads systemd; does not start the unit. */
export function installUnit(paths: LabPaths, name: string, unitText: string): void {
  if (!/^[A-Za-z0-9@_.:-]+\.(service|socket|timer|target|path|mount)$/.test(name)) {
    throw new Error(`not a unit file name: ${JSON.stringify(name)}`);
  }
  writeFileInContainer(paths, path.posix.join(UNIT_DIR, name), unitText);
  systemctl(paths, ['daemon-reload']);
}

/** Writes (or with null removes) a drop-in of a unit in the lab's systemd, then reloads it. */
export function writeDropIn(paths: LabPaths, unit: string, name: string, text: string | null): void {
  const file = path.posix.join(UNIT_DIR, `${unit}.d`, name);
  if (text === null) {
    const result = dockerExec(paths, ['rm', '-f', file]);
    if (result.status !== 0) throw new Error(`removing ${file}: ${result.stderr.trim()}`);
  } else {
    writeFileInContainer(paths, file, text);
  }
  systemctl(paths, ['daemon-reload']);
}

/** `systemctl <args>` inside the container: stdout, or an error with stderr when it exits non-zero. */
export function systemctl(paths: LabPaths, args: string[]): string {
  const result = dockerExec(paths, ['systemctl', '--no-pager', ...args]);
  if (result.status !== 0) {
    throw new Error(`systemctl ${args.join(' ')} exited with ${result.status}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}
