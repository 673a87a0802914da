// The systemd source and its unit control against the lab's real systemd (PID 1 of a container), over its
// D-Bus socket, no mocks: kubelet.service is only read; the test's own throwaway units are started,
// restarted, stopped and made to fail through D-Bus, and watched through signals.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LabPaths } from '../../../scripts/lab/daemons/paths.js';
import { systemctl } from '../../../scripts/lab/systemd/units.js';
import type { SystemdError } from '../../../src/clients/systemd-errors.js';
import type { UnitControl } from '../../../src/ops/control/units.js';
import type { SystemdSource } from '../../../src/sources/systemd.js';
import {
  FAIL_UNIT,
  isRunning,
  Recorder,
  SLEEP_UNIT,
  SLOW_UNIT,
  withTestSystemd,
} from '../../helpers/systemd-test-units.js';

const TEST_TIMEOUT = { timeout: 60_000 };

let paths: LabPaths;
let source: SystemdSource;
/** The write side (jobs), on its own connection as in breakglass. */
let control: UnitControl;

withTestSystemd((systemd) => {
  ({ paths, source, control } = systemd);
});

test('kubelet.service reads as loaded, active, running, with a main PID and a restart count', async () => {
  const kubelet = await source.unit('kubelet.service');
  assert.equal(kubelet.name, 'kubelet.service');
  assert.equal(kubelet.loadState, 'loaded');
  assert.equal(kubelet.activeState, 'active');
  assert.equal(kubelet.subState, 'running');
  assert.ok(kubelet.mainPid !== null && kubelet.mainPid > 0, `mainPid ${kubelet.mainPid}`);
  assert.equal(typeof kubelet.nRestarts, 'number');
  assert.equal(kubelet.result, 'success');
  assert.ok(kubelet.since instanceof Date && kubelet.since.getTime() > Date.UTC(2020, 0, 1));
  assert.match(kubelet.description, /kubelet/i);
  // MainPID as systemctl inside the container sees it: the PIDs are the container's.
  const shown = systemctl(paths, ['show', '-p', 'MainPID', '--value', 'kubelet.service']).trim();
  assert.equal(String(kubelet.mainPid), shown);
});

test('a unit that does not exist reads as not-found; restarting it fails with "unit not found"', async () => {
  const missing = await source.unit('breakglass-no-such-unit.service');
  assert.equal(missing.loadState, 'not-found');
  assert.equal(missing.activeState, 'inactive');
  assert.equal(missing.subState, 'dead');
  assert.equal(missing.mainPid, null);
  assert.equal(missing.since, null);
  await assert.rejects(control.restartUnit('breakglass-no-such-unit.service'), {
    message: 'breakglass-no-such-unit.service: unit not found',
    reason: 'not-found',
  });
  await assert.rejects(source.unit('not a unit'), /not a unit.*not valid/);
  // A non-service unit has no Service properties.
  const socket = await source.unit('dbus.socket');
  assert.equal(socket.activeState, 'active');
  assert.equal(socket.result, null);
  assert.equal(socket.nRestarts, null);
});

test(
  'start, restart and stop through D-Bus, each state change arriving through the watch',
  TEST_TIMEOUT,
  async () => {
    const recorder = new Recorder();
    const watch = source.watchUnits([SLEEP_UNIT], recorder.onState, recorder.onError);
    try {
      // The resync after the subscription: the unit as it is, stopped.
      const first = await recorder.waitFor('the first state', () => true);
      assert.equal(first.name, SLEEP_UNIT);
      assert.equal(first.loadState, 'loaded');
      assert.equal(first.activeState, 'inactive');

      let mark = recorder.states.length;
      await control.startUnit(SLEEP_UNIT);
      const started = await recorder.waitFor('active/running after the start', isRunning, mark);
      const pidBefore = started.mainPid;

      mark = recorder.states.length;
      const restartedAt = Date.now();
      await control.restartUnit(SLEEP_UNIT);
      // The job is finished when restartUnit resolves: a new process runs.
      const afterJob = await source.unit(SLEEP_UNIT);
      assert.ok(
        isRunning(afterJob) && afterJob.mainPid !== pidBefore,
        `after restart: ${JSON.stringify(afterJob)}`,
      );
      const restarted = await recorder.waitFor(
        'a new main PID after the restart',
        (s) => isRunning(s) && s.mainPid !== pidBefore,
        mark,
      );
      assert.equal(restarted.mainPid, afterJob.mainPid);
      assert.ok(Date.now() - restartedAt < 5000, 'the change came through a signal, promptly');
      process.stderr.write(`systemd-dbus: restart delivered ${recorder.states.length - mark} state(s)\n`);

      // Nothing polls: with the unit idle, no more states arrive.
      await sleep(300);
      const quiet = recorder.states.length;
      await sleep(1000);
      assert.equal(recorder.states.length, quiet, 'no states while nothing changes');

      mark = recorder.states.length;
      await control.stopUnit(SLEEP_UNIT);
      const stopped = await recorder.waitFor(
        'inactive/dead after the stop',
        (s) => s.activeState === 'inactive' && s.subState === 'dead',
        mark,
      );
      assert.equal(stopped.mainPid, null);
      assert.equal(stopped.result, 'success');
      assert.deepEqual(recorder.errors, []);
    } finally {
      watch.close();
    }
  },
);

test(
  'a failing unit: startUnit rejects naming the failure, the watch sees failed with exit-code',
  TEST_TIMEOUT,
  async () => {
    const recorder = new Recorder();
    const watch = source.watchUnits([FAIL_UNIT, SLEEP_UNIT], recorder.onState, recorder.onError);
    try {
      await recorder.waitFor('the first state', (s) => s.name === FAIL_UNIT);
      await assert.rejects(control.startUnit(FAIL_UNIT), (err: SystemdError) => {
        assert.equal(err.reason, 'job-failed');
        assert.match(err.message, /^breakglass-dbus-fail\.service: start failed \(the unit failed/);
        assert.match(err.message, /result exit-code/);
        assert.match(err.message, /exit status 1/);
        assert.doesNotMatch(err.message, /\n/);
        return true;
      });
      const failed = await recorder.waitFor(
        'failed with result exit-code',
        (s) => s.name === FAIL_UNIT && s.activeState === 'failed',
      );
      assert.equal(failed.result, 'exit-code');
      assert.equal(failed.execMainStatus, 1);
      assert.deepEqual(recorder.errors, []);
    } finally {
      watch.close();
    }
  },
);

test('a job wait has a timeout and can be cancelled; the job itself carries on', TEST_TIMEOUT, async () => {
  const aborted = new AbortController();
  aborted.abort();
  await assert.rejects(control.startUnit(SLEEP_UNIT, { signal: aborted.signal }), {
    reason: 'aborted',
    message: `starting ${SLEEP_UNIT}: cancelled`,
  });

  let started = Date.now();
  await assert.rejects(control.startUnit(SLOW_UNIT, { timeoutMs: 500 }), (err: SystemdError) => {
    assert.equal(err.reason, 'timeout');
    assert.match(
      err.message,
      /^breakglass-dbus-slow\.service: start did not finish within 0\.5 s \(systemd's job \/org\/freedesktop\/systemd1\/job\/\d+ carries on\)$/,
    );
    return true;
  });
  assert.ok(Date.now() - started < 2000);
  assert.equal((await source.unit(SLOW_UNIT)).activeState, 'activating');
  // Waiting again joins the job that is running.
  await control.startUnit(SLOW_UNIT);
  assert.equal((await source.unit(SLOW_UNIT)).activeState, 'inactive');

  const controller = new AbortController();
  started = Date.now();
  setTimeout(() => controller.abort(), 300);
  await assert.rejects(control.startUnit(SLOW_UNIT, { signal: controller.signal }), {
    reason: 'aborted',
    message: /^starting breakglass-dbus-slow\.service: stopped waiting \(systemd's job .* carries on\)$/,
  });
  assert.ok(Date.now() - started < 2000);
  await control.stopUnit(SLOW_UNIT);
});
