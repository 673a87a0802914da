// The store's repaint throttle: what the operator acts on is on screen at once, log lines a few times
// a second, slow gauges every few seconds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { notifyDue } from '../../../src/store/notify.js';

test('a change to act on is due at once, or notifyMs after the last repaint', () => {
  assert.equal(notifyDue('now', 10_000, 0, 100), 10_000);
  assert.equal(notifyDue('now', 10_000, 9_950, 100), 10_050);
});

test('log lines are due at most 4 times a second', () => {
  assert.equal(notifyDue('log', 10_000, 0, 100), 10_000);
  assert.equal(notifyDue('log', 10_000, 9_900, 100), 10_150);
});

test('a new sample of a slow gauge waits for the next repaint, 5 s at most', () => {
  assert.equal(notifyDue('background', 10_000, 0, 100), 15_000);
});
