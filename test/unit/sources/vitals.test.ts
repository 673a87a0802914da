import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpuPercents, parsePressure, parseProcStat } from '../../../src/sources/vitals.js';

const PROC_STAT = [
  'cpu  331686 0 182618 1393345 13083 0 2527 339 0 0',
  'cpu0 149911 0 85157 720995 4416 0 478 167 0 0',
  'cpu1 181774 0 97461 672349 8666 0 2048 172 0 0',
  'intr 123456 0 0',
  'ctxt 987654',
  'btime 1700000000',
  'processes 27072',
  'procs_running 3',
  'procs_blocked 2',
  'softirq 1 2 3',
  '',
].join('\n');

test('parseProcStat: the aggregate cpu line, the CPU count, running and blocked processes', () => {
  const s = parseProcStat(PROC_STAT);
  assert.deepEqual(s.cpu, {
    user: 331686,
    nice: 0,
    system: 182618,
    idle: 1393345,
    iowait: 13083,
    irq: 0,
    softirq: 2527,
    steal: 339,
    guest: 0,
    guestNice: 0,
  });
  assert.equal(s.cpuCount, 2);
  assert.equal(s.procsRunning, 3);
  assert.equal(s.procsBlocked, 2);
});

test('parseProcStat: an old kernel with fewer columns, and a text with no cpu line', () => {
  const s = parseProcStat('cpu 10 20 30 40\n');
  assert.equal(s.cpu.idle, 40);
  assert.equal(s.cpu.iowait, 0);
  assert.equal(s.cpu.steal, 0);
  assert.equal(s.procsBlocked, null);
  assert.throws(() => parseProcStat('intr 1\n'), /no cpu line/);
});

test('cpuPercents: hand-computed shares of 1000 ticks; guest is not counted twice', () => {
  const prev = parseProcStat('cpu 1000 0 500 10000 100 0 0 0 0 0\n').cpu;
  // +200 user, +50 nice, +100 system, +20 irq, +30 softirq, +400 idle, +150 iowait, +50 steal, +80 guest
  const next = parseProcStat('cpu 1200 50 600 10400 250 20 30 50 80 0\n').cpu;
  const p = cpuPercents(prev, next);
  assert.equal(p.userPct, 25);
  assert.equal(p.systemPct, 15);
  assert.equal(p.idlePct, 40);
  assert.equal(p.iowaitPct, 15);
  assert.equal(p.stealPct, 5);
  assert.equal(p.busyPct, 45);
});

test('cpuPercents: iowait going backwards (a known kernel quirk) counts as 0; no ticks, no NaN', () => {
  const prev = parseProcStat('cpu 100 0 0 100 50 0 0 0\n').cpu;
  const next = parseProcStat('cpu 150 0 0 150 40 0 0 0\n').cpu;
  const p = cpuPercents(prev, next);
  assert.equal(p.iowaitPct, 0);
  assert.equal(p.userPct, 50);
  const same = cpuPercents(prev, prev);
  assert.deepEqual(Object.values(same), [0, 0, 0, 0, 0, 0]);
});

test('parsePressure: avg10 of "some" and "full"; cpu has no full line on older kernels', () => {
  const io = parsePressure(
    'some avg10=12.50 avg60=3.00 avg300=1.00 total=123\nfull avg10=7.25 avg60=1.00 avg300=0.50 total=99\n',
  );
  assert.deepEqual(io, { someAvg10: 12.5, fullAvg10: 7.25 });
  assert.deepEqual(parsePressure('some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n'), {
    someAvg10: 0,
    fullAvg10: null,
  });
  assert.equal(parsePressure(''), null);
});
