import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RuntimeError } from '../../../../src/clients/runtime-error.js';
import { criRuntimeInfo } from '../../../../src/sources/runtime/cri.js';

test('CRI: only runtime.v1 is spoken', () => {
  const v = {
    version: '0.1.0',
    runtimeName: 'containerd',
    runtimeVersion: '1.5.9',
    runtimeApiVersion: 'v1alpha2',
  };
  assert.throws(
    () => criRuntimeInfo('unix:///run/containerd/containerd.sock', v),
    (err: unknown) =>
      err instanceof RuntimeError &&
      err.reason === 'unsupported' &&
      /v1alpha2 is not supported/.test(err.message),
  );
  assert.equal(criRuntimeInfo('e', { ...v, runtimeApiVersion: 'v1' }).name, 'containerd');
});
