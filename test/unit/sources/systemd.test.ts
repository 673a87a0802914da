// The systemd source's pure part: GetAll's answers as a UnitState.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unitStateFrom } from '../../../src/sources/systemd.js';

test('a running service: strings as they are, 64-bit µs timestamp as a Date, MainPID', () => {
  const state = unitStateFrom(
    'kubelet.service',
    {
      Id: 'kubelet.service',
      Description: 'kubelet: The Kubernetes Node Agent',
      LoadState: 'loaded',
      ActiveState: 'active',
      SubState: 'running',
      StateChangeTimestamp: 1_700_000_000_123_456n,
    },
    { Result: 'success', NRestarts: 3, MainPID: 124, ExecMainStatus: 0 },
  );
  assert.deepEqual(state, {
    name: 'kubelet.service',
    loadState: 'loaded',
    activeState: 'active',
    subState: 'running',
    result: 'success',
    since: new Date(1_700_000_000_123),
    nRestarts: 3,
    mainPid: 124,
    execMainStatus: 0,
    description: 'kubelet: The Kubernetes Node Agent',
  });
});

test('a stopped or missing unit: MainPID 0 and timestamp 0 read as null', () => {
  const state = unitStateFrom(
    'nope.service',
    {
      LoadState: 'not-found',
      ActiveState: 'inactive',
      SubState: 'dead',
      StateChangeTimestamp: 0n,
      Description: '',
    },
    { Result: 'success', NRestarts: 0, MainPID: 0, ExecMainStatus: 0 },
  );
  assert.equal(state.mainPid, null);
  assert.equal(state.since, null);
  assert.equal(state.nRestarts, 0);
  assert.equal(state.loadState, 'not-found');
});

test('a failed service keeps its result and exit status; a non-service has no service fields', () => {
  const failed = unitStateFrom(
    'x.service',
    { LoadState: 'loaded', ActiveState: 'failed', SubState: 'failed' },
    { Result: 'exit-code', NRestarts: 5, MainPID: 0, ExecMainStatus: 1 },
  );
  assert.equal(failed.result, 'exit-code');
  assert.equal(failed.execMainStatus, 1);
  const socket = unitStateFrom(
    'dbus.socket',
    { LoadState: 'loaded', ActiveState: 'active', SubState: 'running' },
    null,
  );
  assert.equal(socket.result, null);
  assert.equal(socket.nRestarts, null);
  assert.equal(socket.mainPid, null);
  assert.equal(socket.execMainStatus, null);
  assert.equal(socket.since, null);
  assert.equal(socket.description, '');
});

test('values of unexpected types do not throw: empty strings and nulls', () => {
  const state = unitStateFrom(
    'x.service',
    { LoadState: 42, StateChangeTimestamp: 'soon' },
    { MainPID: 'no' },
  );
  assert.equal(state.loadState, '');
  assert.equal(state.since, null);
  assert.equal(state.mainPid, null);
  assert.equal(state.result, null);
});
