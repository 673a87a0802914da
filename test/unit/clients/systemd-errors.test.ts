// D-Bus and systemd failures as one line each.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  connectionFailure,
  describeFailure,
  type FailureContext,
} from '../../../src/clients/systemd-errors.js';

const ADDRESS = 'unix:path=/run/dbus/system_bus_socket';

const BUS = `systemd over D-Bus at ${ADDRESS}`;

const CTX: FailureContext = {
  address: ADDRESS,
  doing: 'reading kubelet.service',
  unit: 'kubelet.service',
  timeoutMs: 5000,
  handshaken: true,
};

function errno(code: string, message = `connect ${code} /x`): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

/** Shaped as dbus-native's errors: TimeoutError, ConnectionClosedError, an error reply's DBusError. */
function timeoutError(ms: number): Error {
  return Object.assign(new Error(`No reply within ${ms}ms`), { code: 'ETIMEDOUT', timeout: ms });
}

function replyError(dbusName: string, message: string): Error {
  return Object.assign(new Error(message), { name: 'DBusError', dbusName });
}

function closedError(cause?: unknown): Error {
  return Object.assign(new Error('Connection closed before a reply'), { code: 'ECONNCLOSED', cause });
}

test('cannot connect: the errno, in plain words', () => {
  const ctx = { ...CTX, handshaken: false };
  assert.equal(
    describeFailure(closedError(errno('ENOENT')), ctx).message,
    `${BUS}: cannot connect (ENOENT: no such socket)`,
  );
  assert.equal(describeFailure(closedError(errno('ENOENT')), ctx).reason, 'missing');
  assert.equal(
    describeFailure(closedError(), { ...ctx, cause: errno('ECONNREFUSED') }).message,
    `${BUS}: cannot connect (ECONNREFUSED: nothing listens on the socket; is dbus running?)`,
  );
  assert.equal(describeFailure(closedError(errno('EACCES')), ctx).reason, 'permission');
  assert.equal(
    describeFailure(closedError(), { ...ctx, cause: new Error('No authentication methods left to try') })
      .message,
    `${BUS}: the D-Bus handshake failed (No authentication methods left to try)`,
  );
  assert.equal(
    describeFailure(closedError(), ctx).message,
    `${BUS}: the bus closed the connection during the D-Bus handshake`,
  );
});

test('a connection that broke after the handshake', () => {
  assert.equal(connectionFailure(BUS, undefined, true).message, `${BUS}: the bus closed the connection`);
  assert.equal(
    connectionFailure(BUS, errno('ECONNRESET'), true).message,
    `${BUS}: the connection broke (ECONNRESET: reset by the peer)`,
  );
  assert.equal(connectionFailure(BUS, errno('ECONNRESET'), true).reason, 'closed');
});

test('timeouts: with and without a handshake', () => {
  const timeout = timeoutError(5000);
  assert.equal(
    describeFailure(timeout, CTX).message,
    `${BUS} did not answer within 5 s (reading kubelet.service)`,
  );
  assert.equal(
    describeFailure(timeout, { ...CTX, handshaken: false, timeoutMs: 1500 }).message,
    `${BUS} did not answer within 1.5 s (the socket accepts connections but no D-Bus handshake came)`,
  );
  assert.equal(describeFailure(timeout, CTX).reason, 'timeout');
});

test("systemd's and the bus's error replies", () => {
  const reply = replyError;
  assert.equal(
    describeFailure(reply('org.freedesktop.systemd1.NoSuchUnit', 'Unit kubelet.service not found.'), CTX)
      .message,
    'kubelet.service: unit not found',
  );
  assert.equal(
    describeFailure(reply('org.freedesktop.DBus.Error.ServiceUnknown', 'The name is not activatable'), CTX)
      .message,
    `${BUS}: systemd (org.freedesktop.systemd1) is not on this bus`,
  );
  const denied = describeFailure(reply('org.freedesktop.DBus.Error.AccessDenied', 'Access denied'), {
    ...CTX,
    doing: 'restarting kubelet.service',
  });
  assert.equal(denied.message, 'restarting kubelet.service: refused by systemd: Access denied; run as root');
  assert.equal(denied.reason, 'permission');
  assert.equal(
    describeFailure(reply('org.freedesktop.systemd1.UnitMasked', 'Unit kubelet.service is masked.'), {
      ...CTX,
      doing: 'starting kubelet.service',
    }).message,
    'starting kubelet.service: Unit kubelet.service is masked. (org.freedesktop.systemd1.UnitMasked)',
  );
  assert.equal(describeFailure(new Error('two\nlines'), CTX).message, 'reading kubelet.service: two lines');
  assert.equal(describeFailure(new Error('x'), { ...CTX, closedByOwner: true }).reason, 'closed');
});
