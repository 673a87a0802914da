// The block device under the lab's etcd data dir, on its loop-mounted ext4 disk: the device, its I/O in
// /proc/diskstats and in the watcher's samples, and its free space. Read-only against the lab: the only
// write is a temp file in etcd's file system, removed.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { deviceOf } from '../../../src/sources/disk/device.js';
import { DISKSTATS_PATH, findDevice, parseDiskstats } from '../../../src/sources/disk/diskstats.js';
import { freeSpace } from '../../../src/sources/disk/free-space.js';
import { type DiskSample, watchDisk } from '../../../src/sources/disk/watch.js';
import { labEnv } from '../../helpers/lab.js';
import { labEtcdDataDir } from '../../helpers/lab-manifests.js';

const lab = labEnv();

describe('disk: the block device under etcd and its I/O', () => {
  const dataDir = labEtcdDataDir();

  test("etcd's data dir is on the lab's loop device, ext4, with its backing file", async () => {
    const device = await deviceOf(dataDir);
    assert.equal(device.kind, 'loop');
    assert.match(device.name, /^loop\d+$/);
    assert.equal(device.major, 7);
    assert.equal(device.fsType, 'ext4');
    assert.equal(device.mountPoint, dataDir);
    assert.equal(device.mountSource, `/dev/${device.name}`);
    assert.equal(device.loopBackingFile, path.join(lab.dir, 'etcd-disk.img'));
    // Its parent directory is on another device.
    assert.notEqual((await deviceOf(path.dirname(dataDir))).name, device.name);
  });

  test('a path with no block device below it says so in words', async () => {
    await assert.rejects(deviceOf('/proc/self'), /is on a proc file system .*not a block device/);
    await assert.rejects(
      deviceOf(path.join(dataDir, 'no-such-file')),
      /cannot stat .*no such file or directory/,
    );
  });

  test('writing and fsyncing 8 MiB in etcd file system shows in diskstats and in the next sample', async () => {
    const device = await deviceOf(dataDir);
    const scratch = path.join(dataDir, `.breakglass-node-signals-${process.pid}`);
    const read = () =>
      findDevice(parseDiskstats(fs.readFileSync(DISKSTATS_PATH, 'utf8')), device.major, device.minor)!;
    const samples: DiskSample[] = [];
    let firstSample: () => void = () => {};
    const gotFirst = new Promise<void>((resolve) => {
      firstSample = resolve;
    });
    let sawWrites: (s: DiskSample) => void = () => {};
    const writesSeen = new Promise<DiskSample>((resolve) => {
      sawWrites = resolve;
    });
    let wrote = false;
    const errors: Error[] = [];
    const watcher = watchDisk(
      dataDir,
      250,
      (sample) => {
        samples.push(sample);
        firstSample();
        if (wrote && sample.rates && sample.rates.writeIops > 0) sawWrites(sample);
      },
      (error) => errors.push(error),
    );
    try {
      await gotFirst;
      assert.equal(samples[0]!.rates, null, 'the first sample has no rates yet');
      assert.equal(samples[0]!.device.name, device.name);
      const before = read();
      const fd = fs.openSync(scratch, 'w', 0o600);
      try {
        const chunk = Buffer.alloc(1024 * 1024, 0x5a);
        for (let i = 0; i < 8; i++) fs.writeSync(fd, chunk);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      const afterWrite = read();
      wrote = true;
      const sectors = afterWrite.sectorsWritten - before.sectorsWritten;
      assert.ok(sectors * 512 >= 8 * 1024 * 1024, `8 MiB written, diskstats saw ${sectors * 512} bytes`);
      assert.ok(afterWrite.writesCompleted > before.writesCompleted);
      const sample = await Promise.race([
        writesSeen,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('no sample with writes in 5 s')), 5000),
        ),
      ]);
      assert.ok(sample.rates!.writeIops > 0);
      assert.ok(sample.rates!.writeMBps > 0);
      assert.ok(sample.rates!.utilizationPct >= 0 && sample.rates!.utilizationPct <= 100);
      assert.ok(sample.rates!.elapsedMs > 0);
      assert.deepEqual(errors, []);
    } finally {
      watcher.close();
      fs.rmSync(scratch, { force: true });
    }
  });

  test("free space of etcd's disk: the 512 MiB image, minus what is used", async () => {
    const space = await freeSpace(dataDir);
    assert.ok(
      space.totalBytes > 400 * 1024 * 1024 && space.totalBytes <= 512 * 1024 * 1024,
      `${space.totalBytes}`,
    );
    assert.ok(space.availableBytes > 0 && space.availableBytes < space.totalBytes);
    assert.ok(space.usedPct > 0 && space.usedPct < 100);
    await assert.rejects(freeSpace(path.join(dataDir, 'missing')), /does not exist/);
  });
});
