import assert from 'node:assert/strict';

/** Equal up to floating point rounding: quantiles and means computed by hand. */
export function assertClose(actual: number | null, expected: number, what = ''): void {
  assert.ok(actual !== null && Math.abs(actual - expected) < 1e-9, `${what} ${actual} != ${expected}`);
}
