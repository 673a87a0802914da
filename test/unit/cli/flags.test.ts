// The flag table: what is parsed, what the usage shows, what a child breakglass is given.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FLAGS, nodeFlagArgs, parseFlags, UsageError } from '../../../src/cli/flags.js';
import { parseCli, usage } from '../../../src/cli/main.js';

test('every flag of the table is in the usage, with its value name', () => {
  const text = usage();
  for (const spec of Object.values(FLAGS)) {
    const arg = 'arg' in spec ? ` ${spec.arg}` : '';
    assert.ok(text.includes(`--${spec.flag}${arg}`), `--${spec.flag} missing from the usage`);
  }
});

test('values are parsed as the table says: numbers checked, units completed, booleans false when absent', () => {
  const { flags } = parseFlags(['--tail', '20', '--kubelet-unit', 'kubelet', '-f']);
  assert.equal(flags.tail, 20);
  assert.equal(flags.kubeletUnit, 'kubelet.service');
  assert.equal(flags.follow, true);
  assert.equal(flags.yes, false);
  assert.throws(() => parseFlags(['--tail', 'ten']), UsageError);
  assert.throws(() => parseFlags(['--no-such-flag']), UsageError);
});

test('a child breakglass gets exactly the flags that point at the node, as they were given', () => {
  const { flags } = parseFlags([
    '--root',
    '/lab/node',
    '--dbus',
    'unix:path=/lab/dbus',
    '--read-only',
    '--json',
    '--tail',
    '5',
  ]);
  assert.deepEqual(nodeFlagArgs(flags), [
    '--root',
    '/lab/node',
    '--dbus',
    'unix:path=/lab/dbus',
    '--read-only',
  ]);
});

test('a command takes what the command table says', () => {
  assert.deepEqual(parseCli(['restart', 'kube-scheduler']).targets, ['kube-scheduler']);
  assert.deepEqual(parseCli(['restart', 'etcd', 'kube-scheduler']).targets, ['etcd', 'kube-scheduler']);
  assert.throws(() => parseCli(['logs']), /logs takes one NAME/);
  assert.throws(() => parseCli(['restart', '--method', 'reboot']), /--method is auto, runtime or move/);
  assert.throws(() => parseCli(['status', 'extra']), /status takes no argument/);
  assert.throws(() => parseCli(['frobnicate']), /unknown command "frobnicate"/);
});
