// The lab's systemd for the systemd tests: their own throwaway units (installed, and removed again with
// whatever they left), a source and a unit control on the lab's bus, and a recorder of a watch's states.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before } from 'node:test';
import { type LabPaths, labPaths } from '../../scripts/lab/daemons/paths.js';
import { SYSTEMD_CONTAINER } from '../../scripts/lab/systemd/container.js';
import { installUnit } from '../../scripts/lab/systemd/units.js';
import type { SystemdError } from '../../src/clients/systemd-errors.js';
import { openUnitControl, type UnitControl } from '../../src/ops/control/units.js';
import { openSystemd, type SystemdSource, type UnitState } from '../../src/sources/systemd.js';
import { labEnv } from './lab.js';

export const SLEEP_UNIT = 'breakglass-dbus-test.service';
export const FAIL_UNIT = 'breakglass-dbus-fail.service';
export const SLOW_UNIT = 'breakglass-dbus-slow.service';
const UNITS: Record<string, string> = {
  [SLEEP_UNIT]:
    '[Unit]\nDescription=breakglass D-Bus test unit\n\n[Service]\nExecStart=/bin/sleep infinity\n',
  [FAIL_UNIT]:
    '[Unit]\nDescription=breakglass D-Bus failing test unit\n\n[Service]\nType=oneshot\nExecStart=/bin/false\n',
  [SLOW_UNIT]:
    '[Unit]\nDescription=breakglass D-Bus slow test unit\n\n[Service]\nType=oneshot\nExecStart=/bin/sleep 3\n',
};
const WAIT_MS = 15_000;

/** Records a watch's states and errors; waitFor resolves with the first matching state from `from` on. */
export class Recorder {
  readonly states: UnitState[] = [];
  readonly errors: SystemdError[] = [];
  private readonly waiters = new Set<() => void>();

  readonly onState = (state: UnitState) => {
    this.states.push(state);
    for (const wake of [...this.waiters]) wake();
  };

  readonly onError = (err: SystemdError) => {
    this.errors.push(err);
    for (const wake of [...this.waiters]) wake();
  };

  waitFor(what: string, matches: (s: UnitState) => boolean, from = 0): Promise<UnitState> {
    return this.until(what, () => this.states.slice(from).find(matches));
  }

  waitForError(what: string): Promise<SystemdError> {
    return this.until(what, () => this.errors[0]);
  }

  private until<T>(what: string, probe: () => T | undefined): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = probe();
        if (value === undefined) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        const seen = this.states.map((s) => `${s.activeState}/${s.subState}/${s.mainPid}`).join(', ');
        const errors = this.errors.map((e) => e.message).join('; ');
        reject(new Error(`timed out waiting for ${what}; states: [${seen}]; errors: [${errors}]`));
      }, WAIT_MS);
      this.waiters.add(check);
      check();
    });
  }
}

export function isRunning(s: UnitState): boolean {
  return s.activeState === 'active' && s.subState === 'running' && s.mainPid !== null;
}

function removeTestUnits(): void {
  for (const unit of Object.keys(UNITS)) {
    // Our own units only; kubelet.service is never touched.
    dockerExec(['systemctl', 'stop', unit]);
    dockerExec(['rm', '-f', `/etc/systemd/system/${unit}`]);
  }
  dockerExec(['systemctl', 'daemon-reload']);
  for (const unit of Object.keys(UNITS)) dockerExec(['systemctl', 'reset-failed', unit]);
}

function dockerExec(command: string[]): void {
  spawnSync(
    '/usr/bin/docker',
    ['-H', `unix://${labEnv().dockerSocket}`, 'exec', SYSTEMD_CONTAINER, ...command],
    {
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
}

export interface TestSystemd {
  paths: LabPaths;
  /** Scratch space for sockets. */
  tmp: string;
  source: SystemdSource;
  /** The write side (jobs), on its own connection as in breakglass. */
  control: UnitControl;
  /** Run by close, the last first. */
  cleanups: (() => unknown)[];
  close(): Promise<void>;
}

/** Called at the top of a test file: the test systemd opened before its tests, handed to `use`, closed after. */
export function withTestSystemd(use: (systemd: TestSystemd) => void): void {
  let systemd: TestSystemd | undefined;
  before(() => {
    systemd = openTestSystemd();
    use(systemd);
  });
  after(async () => {
    await systemd?.close();
  });
}

/** The test units installed afresh, and a source and a control on the lab's bus. */
function openTestSystemd(): TestSystemd {
  const paths = labPaths(labEnv().dir);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bg-systemd-dbus-'));
  removeTestUnits();
  for (const [unit, text] of Object.entries(UNITS)) installUnit(paths, unit, text);
  const source = openSystemd({ address: labEnv().dbusAddress });
  const control = openUnitControl({ address: labEnv().dbusAddress });
  const cleanups: (() => unknown)[] = [];
  return {
    paths,
    tmp,
    source,
    control,
    cleanups,
    async close() {
      for (const cleanup of cleanups.reverse()) await cleanup();
      await source.close();
      await control.close();
      removeTestUnits();
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}
