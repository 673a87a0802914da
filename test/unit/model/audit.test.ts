import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAuditLine } from '../../../src/model/audit.js';

test('audit view: records as columns, a line that is not JSON shown as it is', () => {
  const line = parseAuditLine(
    JSON.stringify({
      time: '2026-11-22T10:00:00.000Z',
      user: 'root',
      sudoUser: 'alice',
      action: 'disable',
      file: 'kube-scheduler.yaml',
      outcome: 'ok',
    }),
    3,
  );
  assert.deepEqual(line, {
    seq: 3,
    time: '2026-11-22 10:00:00',
    user: 'alice',
    action: 'disable',
    file: 'kube-scheduler.yaml',
    outcome: 'ok',
    message: '',
  });
  assert.equal(parseAuditLine('garbage{', 4).message, 'garbage{');
});
