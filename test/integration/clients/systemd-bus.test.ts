// The D-Bus connection to systemd when it fails, with real sockets: a path with no socket, a socket that
// accepts and never speaks, a proxy to the lab's bus whose connections are cut, and a close mid-call.
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemBusAddress } from '../../../src/clients/systemd-bus.js';
import { openUnitControl, type UnitControl } from '../../../src/ops/control/units.js';
import { openSystemd, type SystemdSource } from '../../../src/sources/systemd.js';
import { labEnv } from '../../helpers/lab.js';
import { silentSocket } from '../../helpers/loopback-servers.js';
import { Recorder, SLEEP_UNIT, SLOW_UNIT, withTestSystemd } from '../../helpers/systemd-test-units.js';

const TEST_TIMEOUT = { timeout: 60_000 };

let tmp: string;
let source: SystemdSource;
/** The write side (jobs), on its own connection as in breakglass. */
let control: UnitControl;
let cleanups: (() => unknown)[];

withTestSystemd((systemd) => {
  ({ tmp, source, control, cleanups } = systemd);
});

/** A unix socket server that accepts connections and never says a word, closed after the tests. */
async function silentServer(socket: string): Promise<void> {
  const server = await silentSocket(socket);
  cleanups.push(() => server.close());
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

test('systemBusAddress: DBUS_SYSTEM_BUS_ADDRESS, else the well-known socket', () => {
  assert.equal(systemBusAddress({ DBUS_SYSTEM_BUS_ADDRESS: 'unix:path=/x' }), 'unix:path=/x');
  assert.equal(systemBusAddress({}), 'unix:path=/run/dbus/system_bus_socket');
  assert.equal(source.address, labEnv().dbusAddress);
});

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
