import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mountOf, parseMountInfo, splitDev } from '../../../../src/sources/disk/device.js';

test('splitDev follows the kernel dev_t encoding, large majors and minors included', () => {
  const makedev = (major: bigint, minor: bigint) =>
    ((major & 0xfffn) << 8n) | ((major & ~0xfffn) << 32n) | (minor & 0xffn) | ((minor & ~0xffn) << 12n);
  assert.deepEqual(splitDev(1792n), { major: 7, minor: 0 }); // loop0 as stat(2) reports it
  for (const [major, minor] of [
    [7, 0],
    [8, 1],
    [259, 1],
    [253, 300],
    [4095, 1048575],
    [5000, 7],
  ] as const) {
    assert.deepEqual(splitDev(makedev(BigInt(major), BigInt(minor))), { major, minor });
  }
});

test('parseMountInfo unescapes names; mountOf takes the longest mount point holding the path', () => {
  const mounts = parseMountInfo(
    [
      '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
      '43 27 7:0 / /var/lib/breakglass-lab/node/var/lib/etcd rw,relatime - ext4 /dev/loop0 rw',
      '44 27 0:30 / /mnt/with\\040space rw shared:1 - btrfs /dev/mapper/vg-data rw',
      '45 27 0:31 / /var/lib/etcd-other rw - tmpfs tmpfs rw',
      'broken line',
    ].join('\n'),
  );
  assert.equal(mounts.length, 4);
  assert.equal(mounts[2]!.mountPoint, '/mnt/with space');
  assert.equal(mounts[2]!.source, '/dev/mapper/vg-data');
  assert.equal(mounts[2]!.fsType, 'btrfs');
  assert.equal(mountOf(mounts, '/var/lib/breakglass-lab/node/var/lib/etcd/member/wal')?.devNum, '7:0');
  assert.equal(mountOf(mounts, '/var/lib/breakglass-lab/node/var/lib/etcd')?.devNum, '7:0');
  // a common prefix is not a parent directory
  assert.equal(mountOf(mounts, '/var/lib/etcd')?.devNum, '254:0');
  assert.equal(mountOf(mounts, '/mnt/with space/x')?.devNum, '0:30');
});
