// The systemd source against the lab's real systemd (PID 1 of a container), over its D-Bus socket, no
// mocks: kubelet.service is only read; the test's own throwaway units are started, restarted, stopped and
// made to fail through D-Bus, and watched through signals. The failure cases use real sockets too: a path
// with no socket, a socket that accepts and never speaks, and a proxy whose connections are cut.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type LabPaths, labPaths } from '../../scripts/lab/daemons/paths.js';
import { SYSTEMD_CONTAINER } from '../../scripts/lab/systemd/container.js';
import { installUnit, systemctl } from '../../scripts/lab/systemd/units.js';
import { systemBusAddress } from '../../src/clients/systemd-bus.js';
import type { SystemdError } from '../../src/clients/systemd-errors.js';
import { openUnitControl, type UnitControl } from '../../src/ops/control/units.js';
import { openSystemd, type SystemdSource, type UnitState } from '../../src/sources/systemd.js';
import { labEnv } from '../helpers/lab.js';

const SLEEP_UNIT = 'breakglass-dbus-test.service';
const FAIL_UNIT = 'breakglass-dbus-fail.service';
const SLOW_UNIT = 'breakglass-dbus-slow.service';
const UNITS: Record<string, string> = {
  [SLEEP_UNIT]:
    '[Unit]\nDescription=breakglass D-Bus test unit\n\n[Service]\nExecStart=/bin/sleep infinity\n',
  [FAIL_UNIT]:
    '[Unit]\nDescription=breakglass D-Bus failing test unit\n\n[Service]\nType=oneshot\nExecStart=/bin/false\n',
  [SLOW_UNIT]:
    '[Unit]\nDescription=breakglass D-Bus slow test unit\n\n[Service]\nType=oneshot\nExecStart=/bin/sleep 3\n',
};
const WAIT_MS = 15_000;
const TEST_TIMEOUT = { timeout: 60_000 };

let paths: LabPaths;
let source: SystemdSource;
/** The write side (jobs), on its own connection as in breakglass. */
let control: UnitControl;
let tmp: string;
const cleanups: (() => unknown)[] = [];

/** Records a watch's states and errors; waitFor resolves with the first matching state from `from` on. */
class Recorder {
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

function isRunning(s: UnitState): boolean {
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

/** A unix socket server that accepts connections and never says a word. */
async function silentServer(socket: string): Promise<net.Server> {
  const clients = new Set<net.Socket>();
  const server = net.createServer((client) => {
    clients.add(client);
    client.on('error', () => {});
    client.on('close', () => clients.delete(client));
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  cleanups.push(() => {
    for (const client of clients) client.destroy();
    server.close();
  });
  return server;
}

/** A unix socket proxy to the lab's bus; cut() drops every connection through it (the listener stays). */
async function busProxy(socket: string, target: string): Promise<{ cut(): void; connections(): number }> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  const server = net.createServer((client) => {
    const upstream = net.createConnection(target);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    for (const s of pair) {
      s.on('error', () => {});
      s.on('close', () => {
        pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  const cut = () => {
    for (const [client, upstream] of pairs) {
      client.destroy();
      upstream.destroy();
    }
  };
  cleanups.push(() => {
    cut();
    server.close();
  });
  return { cut, connections: () => pairs.size };
}

before(() => {
  paths = labPaths(labEnv().dir);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bg-systemd-dbus-'));
  removeTestUnits();
  for (const [unit, text] of Object.entries(UNITS)) installUnit(paths, unit, text);
  source = openSystemd({ address: labEnv().dbusAddress });
  control = openUnitControl({ address: labEnv().dbusAddress });
});

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await source?.close();
  await control?.close();
  if (paths) removeTestUnits();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('systemBusAddress: DBUS_SYSTEM_BUS_ADDRESS, else the well-known socket', () => {
  assert.equal(systemBusAddress({ DBUS_SYSTEM_BUS_ADDRESS: 'unix:path=/x' }), 'unix:path=/x');
  assert.equal(systemBusAddress({}), 'unix:path=/run/dbus/system_bus_socket');
  assert.equal(source.address, labEnv().dbusAddress);
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

test('an address with no socket fails at once, naming the address and the reason', async () => {
  const address = `unix:path=${tmp}/no-such-socket`;
  const missing = openSystemd({ address });
  const missingControl = openUnitControl({ address });
  try {
    const started = Date.now();
    await assert.rejects(missing.unit('kubelet.service'), {
      message: `systemd over D-Bus at ${address}: cannot connect (ENOENT: no such socket)`,
      reason: 'missing',
    });
    assert.ok(Date.now() - started < 1000);
    await assert.rejects(
      missingControl.restartUnit('kubelet.service'),
      /cannot connect \(ENOENT: no such socket\)/,
    );
    const recorder = new Recorder();
    missing.watchUnits(['kubelet.service'], recorder.onState, recorder.onError);
    const err = await recorder.waitForError('the watch to fail');
    assert.match(err.message, /cannot connect \(ENOENT: no such socket\)/);
  } finally {
    await missing.close();
    await missingControl.close();
  }
});

test('a socket that accepts and never speaks fails within the timeout', TEST_TIMEOUT, async () => {
  const socket = path.join(tmp, 'silent.sock');
  await silentServer(socket);
  const address = `unix:path=${socket}`;
  const silent = openSystemd({ address, timeoutMs: 1000 });
  const silentControl = openUnitControl({ address, timeoutMs: 1000 });
  try {
    let started = Date.now();
    await assert.rejects(silent.unit('kubelet.service'), {
      message: `systemd over D-Bus at ${address} did not answer within 1 s (the socket accepts connections but no D-Bus handshake came)`,
      reason: 'timeout',
    });
    const took = Date.now() - started;
    assert.ok(took >= 900 && took < 3000, `took ${took} ms`);

    started = Date.now();
    const recorder = new Recorder();
    silent.watchUnits(['kubelet.service'], recorder.onState, recorder.onError);
    assert.match((await recorder.waitForError('the watch to fail')).message, /did not answer within 1 s/);
    assert.ok(Date.now() - started < 3000);
    await assert.rejects(
      silentControl.stopUnit(SLEEP_UNIT, { timeoutMs: 1000 }),
      /did not answer within 1 s/,
    );
  } finally {
    const closing = Date.now();
    await silent.close();
    await silentControl.close();
    assert.ok(Date.now() - closing < 1000, 'close does not wait for the silent peer');
  }
});

test(
  'a broken connection ends the watch with one error; the next call connects again',
  TEST_TIMEOUT,
  async () => {
    const socket = path.join(tmp, 'proxy.sock');
    const labSocket = labEnv().dbusAddress.replace(/^unix:path=/, '');
    const proxy = await busProxy(socket, labSocket);
    const viaProxy = openSystemd({ address: `unix:path=${socket}` });
    try {
      const recorder = new Recorder();
      viaProxy.watchUnits(['kubelet.service'], recorder.onState, recorder.onError);
      const first = await recorder.waitFor('kubelet.service through the proxy', () => true);
      assert.equal(first.activeState, 'active');

      proxy.cut();
      const err = await recorder.waitForError('the watch to report the broken connection');
      assert.match(
        err.message,
        /^systemd over D-Bus at unix:path=.*proxy\.sock: the (bus closed the connection|connection broke)/,
      );
      assert.equal(err.reason, 'closed');
      await sleep(200);
      assert.equal(recorder.errors.length, 1, 'one error, then the watch is over');

      const again = await viaProxy.unit('kubelet.service');
      assert.equal(again.activeState, 'active');
      assert.equal(proxy.connections(), 1);
    } finally {
      await viaProxy.close();
    }
  },
);

test('close: calls and job waits fail as closed, watches end without an error', TEST_TIMEOUT, async () => {
  const own = openSystemd({ address: labEnv().dbusAddress });
  const ownControl = openUnitControl({ address: labEnv().dbusAddress });
  const recorder = new Recorder();
  const watch = own.watchUnits(['kubelet.service'], recorder.onState, recorder.onError);
  await recorder.waitFor('the first state', () => true);
  const waiting = ownControl.startUnit(SLOW_UNIT);
  await sleep(300);
  const closing = Date.now();
  await own.close();
  await own.close();
  await ownControl.close();
  await ownControl.close();
  await assert.rejects(waiting, {
    reason: 'closed',
    message:
      /^starting breakglass-dbus-slow\.service: stopped waiting for systemd's job \S+: .*the systemd source was closed$/,
  });
  assert.ok(Date.now() - closing < 1000);
  await sleep(100);
  assert.deepEqual(recorder.errors, []);
  watch.close();
  await assert.rejects(own.unit('kubelet.service'), {
    reason: 'closed',
    message: /the systemd source was closed$/,
  });
  await control.stopUnit(SLOW_UNIT);
});

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
