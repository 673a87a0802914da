import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, withTimeout } from '../../../src/util/timeout.js';

test('formatDuration and withTimeout say how long they waited', async () => {
  assert.equal(formatDuration(3000), '3 s');
  assert.equal(formatDuration(2500), '2.5 s');
  assert.equal(formatDuration(800), '800 ms');
  await assert.rejects(withTimeout(new Promise(() => {}), 20, 'statfs of /x'), {
    message: 'statfs of /x timed out after 20 ms',
  });
  assert.equal(await withTimeout(Promise.resolve(7), 20, 'x'), 7);
});
