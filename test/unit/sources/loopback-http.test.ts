// Which hosts are loopback, and so what a health probe may target (health.ts's probeTarget is built on it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { probeTarget } from '../../../src/sources/health.js';
import { isLoopbackHost } from '../../../src/sources/loopback-http.js';

test('loopback hosts, and what a probe targets', () => {
  for (const h of [
    '127.0.0.1',
    '127.1.2.3',
    '::1',
    '[::1]',
    '0:0:0:0:0:0:0:1',
    'localhost',
    '::ffff:127.0.0.1',
  ])
    assert.equal(isLoopbackHost(h), true, h);
  for (const h of ['10.0.0.1', '128.0.0.1', '::2', 'example.com', '0.0.0.0', '::', 'localhost.evil.com'])
    assert.equal(isLoopbackHost(h), false, h);
  const ep = { probe: 'liveness' as const, scheme: 'HTTPS' as const, port: 6443, path: 'livez' };
  assert.deepEqual(probeTarget({ ...ep, host: '10.0.0.5' }), {
    host: '127.0.0.1',
    replaced: true,
    path: '/livez',
  });
  assert.deepEqual(probeTarget({ ...ep, host: null }), {
    host: '127.0.0.1',
    replaced: false,
    path: '/livez',
  });
  assert.deepEqual(probeTarget({ ...ep, host: '::1' }), { host: '::1', replaced: false, path: '/livez' });
  assert.deepEqual(probeTarget({ ...ep, host: 'localhost' }), {
    host: '127.0.0.1',
    replaced: false,
    path: '/livez',
  });
});
