import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type DiskStats,
  diskRates,
  findDevice,
  parseDiskstats,
} from '../../../../src/sources/disk/diskstats.js';

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
