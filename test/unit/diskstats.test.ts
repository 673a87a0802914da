import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mountOf, parseMountInfo, splitDev } from '../../src/sources/disk/device.js';
import { type DiskStats, diskRates, findDevice, parseDiskstats } from '../../src/sources/disk/diskstats.js';
import { formatDuration, withTimeout } from '../../src/util/timeout.js';

// Real lines: a 6.x kernel (20 fields after major/minor/name: 17 counters), a 4.x one (11 counters).
const DISKSTATS = [
  '   7       0 loop0 1135 19 41494 78 10886 1701 65576 5088 0 25764 8887 0 0 0 0 6008 3719',
  ' 254       0 vda 683926 51188 19254434 864356 1033613 692567 143572800 997971 0 160668 1928532 572129 62 165518208 55412 233852 10791',
  ' 259       1 nvme0n1p1 10 0 80 1 20 0 160 3 0 4 4',
  ' 253       0 dm-0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15',
  'garbage line',
  '   8       0 sda x 0 0 0 0 0 0 0 0 0 0',
  '',
].join('\n');

function stats(overrides: Partial<DiskStats>): DiskStats {
  return {
    major: 7,
    minor: 0,
    name: 'loop0',
    readsCompleted: 0,
    readsMerged: 0,
    sectorsRead: 0,
    msReading: 0,
    writesCompleted: 0,
    writesMerged: 0,
    sectorsWritten: 0,
    msWriting: 0,
    iosInProgress: 0,
    ioTicksMs: 0,
    weightedIoMs: 0,
    flushesCompleted: 0,
    msFlushing: 0,
    ...overrides,
  };
}

test('parseDiskstats reads every field, flush counters only where the kernel has them', () => {
  const all = parseDiskstats(DISKSTATS);
  assert.deepEqual(
    all.map((s) => s.name),
    ['loop0', 'vda', 'nvme0n1p1', 'dm-0'],
  );
  const loop0 = findDevice(all, 7, 0)!;
  assert.equal(loop0.readsCompleted, 1135);
  assert.equal(loop0.sectorsRead, 41494);
  assert.equal(loop0.writesCompleted, 10886);
  assert.equal(loop0.sectorsWritten, 65576);
  assert.equal(loop0.msWriting, 5088);
  assert.equal(loop0.iosInProgress, 0);
  assert.equal(loop0.ioTicksMs, 25764);
  assert.equal(loop0.weightedIoMs, 8887);
  assert.equal(loop0.flushesCompleted, 6008);
  assert.equal(loop0.msFlushing, 3719);
  const old = findDevice(all, 259, 1)!;
  assert.equal(old.writesCompleted, 20);
  assert.equal(old.flushesCompleted, null);
  assert.equal(old.msFlushing, null);
  // 15 counters (discards, no flushes): kernel 4.18 - 5.4.
  assert.equal(findDevice(all, 253, 0)!.flushesCompleted, null);
  assert.equal(findDevice(all, 8, 0), undefined);
});

test('diskRates: hand-computed rates over two seconds', () => {
  const prev = stats({ writesCompleted: 1000, sectorsWritten: 10_000, msWriting: 2000, ioTicksMs: 5000 });
  const next = stats({
    readsCompleted: 10,
    sectorsRead: 2048, // 1 MiB
    msReading: 5,
    writesCompleted: 1100, // +100
    sectorsWritten: 10_000 + 204_800, // +100 MiB
    msWriting: 2300, // +300 ms
    ioTicksMs: 5500, // +500 ms
    iosInProgress: 3,
    flushesCompleted: 20,
    msFlushing: 40,
  });
  const r = diskRates(prev, next, 2000);
  assert.equal(r.writeIops, 50);
  assert.equal(r.writeMBps, 50);
  assert.equal(r.writeAwaitMs, 3);
  assert.equal(r.readIops, 5);
  assert.equal(r.readMBps, 0.5);
  assert.equal(r.readAwaitMs, 0.5);
  assert.equal(r.utilizationPct, 25);
  assert.equal(r.inFlight, 3);
  assert.equal(r.flushIops, 10);
  assert.equal(r.flushAwaitMs, 2);
  assert.equal(r.reset, false);
});

test('diskRates: no completed I/O means no await, not a division by zero', () => {
  const r = diskRates(stats({}), stats({}), 2000);
  assert.equal(r.writeIops, 0);
  assert.equal(r.writeAwaitMs, null);
  assert.equal(r.readAwaitMs, null);
  assert.equal(r.flushAwaitMs, null);
  assert.equal(r.flushIops, 0);
  assert.equal(r.utilizationPct, 0);
});

test('diskRates: flush rates are null on kernels without flush counters', () => {
  const r = diskRates(
    stats({ flushesCompleted: null, msFlushing: null }),
    stats({ flushesCompleted: null, msFlushing: null, writesCompleted: 1 }),
    1000,
  );
  assert.equal(r.flushIops, null);
  assert.equal(r.flushAwaitMs, null);
  assert.equal(r.writeIops, 1);
});

test('diskRates: a counter that went back (device re-created) gives zeros and says so', () => {
  const r = diskRates(stats({ writesCompleted: 500, ioTicksMs: 900 }), stats({ writesCompleted: 3 }), 1000);
  assert.equal(r.reset, true);
  assert.equal(r.writeIops, 0);
  assert.equal(r.utilizationPct, 0);
});

test('diskRates: utilization never exceeds 100 % (io_ticks is sampled coarsely)', () => {
  assert.equal(diskRates(stats({}), stats({ ioTicksMs: 2100 }), 2000).utilizationPct, 100);
});

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

test('formatDuration and withTimeout say how long they waited', async () => {
  assert.equal(formatDuration(3000), '3 s');
  assert.equal(formatDuration(2500), '2.5 s');
  assert.equal(formatDuration(800), '800 ms');
  await assert.rejects(withTimeout(new Promise(() => {}), 20, 'statfs of /x'), {
    message: 'statfs of /x timed out after 20 ms',
  });
  assert.equal(await withTimeout(Promise.resolve(7), 20, 'x'), 7);
});
