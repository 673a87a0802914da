import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jobFailureMessage } from '../../../../src/ops/control/units.js';

test('job failures name the result and the unit state after it', () => {
  assert.equal(
    jobFailureMessage('x.service', 'start', 'failed', {
      name: 'x.service',
      loadState: 'loaded',
      activeState: 'failed',
      subState: 'failed',
      result: 'exit-code',
      since: null,
      nRestarts: 0,
      mainPid: null,
      execMainStatus: 1,
      description: '',
    }),
    'x.service: start failed (the unit failed: now failed/failed, result exit-code, exit status 1)',
  );
  assert.equal(
    jobFailureMessage('x.service', 'restart', 'dependency', null),
    'x.service: restart failed (a unit it depends on failed)',
  );
  assert.equal(
    jobFailureMessage('x.service', 'stop', 'weird', null),
    'x.service: stop failed (job result "weird")',
  );
});
