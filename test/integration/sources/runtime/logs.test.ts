// Container logs read from real files in a temp dir laid out like /var/log/pods.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { findPodLogDirs, pickLogFile } from '../../../../src/sources/runtime/logs/files.js';
import { type FollowLogOptions, followContainerLog } from '../../../../src/sources/runtime/logs/follow.js';
import {
  readContainerLog,
  streamContainerLog,
  type TailCut,
} from '../../../../src/sources/runtime/logs/read.js';
import type { LogLine } from '../../../../src/sources/runtime/types.js';
import { makeTempDir } from '../../../helpers/node-root.js';
import { until } from '../../../helpers/wait.js';

const T = '2024-05-01T12:00:00.000000001Z';
let root: string;
let dir: string;

beforeEach(() => {
  root = makeTempDir('breakglass-logs-');
  dir = path.join(root, 'kube-system_etcd-master-1_0123abcd', 'etcd');
  fs.mkdirSync(dir, { recursive: true });
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const cri = (text: string, stream = 'stdout', tag = 'F') => `${T} ${stream} ${tag} ${text}\n`;
const texts = (lines: LogLine[]) => lines.map((l) => l.text);
const logFile = (name: string) => path.join(dir, name);

interface Following {
  seen: LogLine[];
  switches: string[];
  stop(): Promise<void>;
}

function follow(options: FollowLogOptions = {}): Following {
  const controller = new AbortController();
  const seen: LogLine[] = [];
  const switches: string[] = [];
  const done = (async () => {
    const lines = followContainerLog(dir, {
      ...options,
      signal: controller.signal,
      onSwitch: (file) => switches.push(file),
    });
    for await (const line of lines) seen.push(line);
  })();
  return {
    seen,
    switches,
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}

const SEEN = { timeoutMs: 10_000, intervalMs: 10 };

test('partial records are joined across P, P, F, per stream', async () => {
  fs.writeFileSync(
    logFile('0.log'),
    cri('first') +
      cri('out one ', 'stdout', 'P') +
      cri('err one ', 'stderr', 'P') +
      cri('out two ', 'stdout', 'P') +
      cri('err end', 'stderr', 'F') +
      cri('out end', 'stdout', 'F:more'),
  );
  const lines = await readContainerLog(dir, { tail: 10 });
  assert.deepEqual(
    lines.map((l) => `${l.stream}:${l.text}`),
    ['stdout:first', 'stderr:err one err end', 'stdout:out one out two out end'],
  );
  assert.deepEqual(texts(await readContainerLog(dir, { tail: 1 })), ['out one out two out end']);
});

test("Docker's json-file format, with a partial and escapes that must not reach the terminal", async () => {
  const json = (log: string, stream = 'stdout') => `${JSON.stringify({ log, stream, time: T })}\n`;
  fs.writeFileSync(
    logFile('0.log'),
    json('plain\n') +
      json('half ', 'stderr') +
      json('\x1b]52;c;ZXZpbA==\x07done\n', 'stderr') +
      json('\u009b2Jlast\n'),
  );
  const lines = await readContainerLog(dir, {});
  assert.deepEqual(
    lines.map((l) => [l.stream, l.text, l.time?.toISOString()]),
    [
      ['stdout', 'plain', '2024-05-01T12:00:00.000Z'],
      ['stderr', 'half done', '2024-05-01T12:00:00.000Z'],
      ['stdout', 'last', '2024-05-01T12:00:00.000Z'],
    ],
  );
});

test('the tail of a 50 MB file: the right last lines, a line split over chunks, a write in progress', async () => {
  const file = logFile('3.log');
  const fd = fs.openSync(file, 'w');
  let written = 0;
  let count = 0;
  while (written < 50 * 1024 * 1024) {
    let batch = '';
    for (let j = 0; j < 10_000; j++, count++) {
      batch += cri(`line ${count} ${'.'.repeat(count % 97)}`, count % 3 ? 'stdout' : 'stderr');
    }
    written += fs.writeSync(fd, batch);
  }
  const big = 'y'.repeat(100 * 1024); // more than a read chunk, and more than the line cap
  fs.writeSync(fd, cri('start ', 'stdout', 'P') + cri('interleaved', 'stderr') + cri(big, 'stdout', 'P'));
  fs.writeSync(fd, `${cri('end', 'stdout') + cri('dangling ', 'stderr', 'P')}${T} stdout F half-writt`);
  fs.closeSync(fd);
  assert.ok(fs.statSync(file).size > 50 * 1024 * 1024);

  const tail = await readContainerLog(dir, { tail: 5 });
  assert.deepEqual(
    tail.map((l) => [l.stream, l.text.split(' ')[0], l.text.length]),
    [
      [(count - 1) % 3 ? 'stdout' : 'stderr', 'line', `line ${count - 1} `.length + ((count - 1) % 97)],
      ['stderr', 'interleaved', 11],
      ['stdout', 'start', 64 * 1024], // the cap cut the joined line here
      ['stdout', `${'y'.repeat(big.length + 6 - 64 * 1024)}end`, big.length + 6 - 64 * 1024 + 3],
      ['stderr', 'dangling', 9], // a partial with no end yet is shown: its writer may be dead
    ],
  );
  assert.equal(tail[0]?.text.split(' ')[1], String(count - 1));

  const many = await readContainerLog(dir, { tail: 100_005 });
  assert.equal(many.length, 100_005);
  assert.equal(many[0]?.text.split(' ')[1], String(count - 100_001));
  assert.equal(many[100_000]?.text.split(' ')[1], String(count - 1));
  assert.deepEqual(await readContainerLog(dir, { tail: 0 }), []);

  // More lines asked than 16 MiB hold: fewer come, and the caller hears how many and from where.
  const cuts: TailCut[] = [];
  const most = await readContainerLog(dir, { tail: 1_000_000 }, (cut) => cuts.push(cut));
  assert.ok(most.length < 1_000_000 && most.length > 100_005, `${most.length} lines`);
  assert.deepEqual(cuts, [{ file, lines: most.length, fileBytes: fs.statSync(file).size }]);
  const fewer: TailCut[] = [];
  await readContainerLog(dir, { tail: 10 }, (cut) => fewer.push(cut));
  assert.deepEqual(fewer, [], 'a tail that got what it asked for says nothing');

  // The whole file, front to back, with nothing held back.
  let streamed = 0;
  let first: string | undefined;
  let last: string | undefined;
  for await (const batch of streamContainerLog(dir)) {
    if (batch.length === 0) continue;
    first ??= batch[0]!.text;
    last = batch.at(-1)!.text;
    streamed += batch.length;
  }
  assert.equal(first, 'line 0 ');
  assert.equal(last, 'dangling ');
  assert.ok(streamed >= count + 2, `${streamed} lines streamed of ${count} written`);
});

test('a file of one partial sequence, and one without any newline', async () => {
  fs.writeFileSync(logFile('0.log'), cri('a', 'stdout', 'P') + cri('b', 'stdout', 'P'));
  assert.deepEqual(texts(await readContainerLog(dir, { tail: 5 })), ['ab']);
  fs.writeFileSync(logFile('1.log'), `${T} stdout F no newline yet`);
  assert.deepEqual(await readContainerLog(dir, { tail: 5 }), []);
});

test('an empty <n>.log falls back to its newest rotation', async () => {
  fs.writeFileSync(logFile('2.log.20240501-110000'), cri('older'));
  fs.writeFileSync(logFile('2.log.20240501-120000'), cri('rotated 1') + cri('rotated 2'));
  fs.writeFileSync(logFile('2.log.20240501-100000.gz'), 'gzip bytes');
  fs.writeFileSync(logFile('1.log'), cri('previous container'));
  fs.writeFileSync(logFile('2.log'), '');
  assert.equal((await pickLogFile(dir))?.name, '2.log.20240501-120000');
  assert.deepEqual(texts(await readContainerLog(dir, { tail: 1 })), ['rotated 2']);
  fs.appendFileSync(logFile('2.log'), cri('live'));
  assert.deepEqual(texts(await readContainerLog(dir, { tail: 5 })), ['live']);
  assert.deepEqual(await readContainerLog(path.join(root, 'missing'), { tail: 5 }), []);
});

test('findPodLogDirs: every UID of the pod, newest first, containers and files in restart order', async () => {
  const make = (podDir: string, container: string, files: string[], mtime: Date) => {
    const containerDir = path.join(root, podDir, container);
    fs.mkdirSync(containerDir, { recursive: true });
    for (const f of files) fs.writeFileSync(path.join(containerDir, f), cri(f));
    fs.utimesSync(path.join(root, podDir), mtime, mtime);
  };
  make(
    'kube-system_etcd-master-1_0123abcd',
    'etcd',
    ['10.log', '2.log', '10.log.20240501-120000', 'notes'],
    new Date(1000),
  );
  make('kube-system_etcd-master-1_feedbeef', 'etcd', ['0.log'], new Date(5000));
  make('kube-system_etcd-master-1_feedbeef', 'sidecar', [], new Date(5000));
  make('kube-system_etcd-master-10_cafe', 'etcd', ['0.log'], new Date(9000));
  make('default_etcd-master-1_cafe', 'etcd', ['0.log'], new Date(9000));

  const dirs = await findPodLogDirs(root, 'kube-system', 'etcd-master-1');
  assert.deepEqual(
    dirs.map((d) => [d.podUid, d.containers.map((c) => c.name)]),
    [
      ['feedbeef', ['etcd', 'sidecar']],
      ['0123abcd', ['etcd']],
    ],
  );
  assert.deepEqual(
    dirs[1]?.containers[0]?.files.map((f) => [f.name, f.restartCount, f.rotatedAt]),
    [
      ['2.log', 2, null],
      ['10.log.20240501-120000', 10, '20240501-120000'],
      ['10.log', 10, null],
    ],
  );
  assert.deepEqual(await findPodLogDirs(path.join(root, 'nope'), 'kube-system', 'etcd-master-1'), []);
});

test('follow prints the tail, then lines as they are appended (a line written in two pieces too)', async () => {
  fs.writeFileSync(logFile('0.log'), cri('old 1') + cri('old 2') + cri('old 3'));
  const f = follow({ tail: 2 });
  try {
    await until('the tail', () => f.seen.length === 2, SEEN);
    assert.deepEqual(texts(f.seen), ['old 2', 'old 3']);
    fs.appendFileSync(logFile('0.log'), cri('new 1') + cri('part ', 'stdout', 'P'));
    await until('new 1', () => f.seen.length === 3, SEEN);
    fs.appendFileSync(logFile('0.log'), `${T} stdout F wri`);
    await new Promise((r) => setTimeout(r, 50));
    fs.appendFileSync(logFile('0.log'), 'tten\n');
    await until('the joined line', () => f.seen.length === 4, SEEN);
    assert.deepEqual(texts(f.seen).slice(2), ['new 1', 'part written']);
  } finally {
    await f.stop();
  }
});

test('follow without a tail reads the whole file; tail 0 only new lines', async () => {
  fs.writeFileSync(logFile('0.log'), cri('a') + cri('b'));
  const all = follow();
  const none = follow({ tail: 0 });
  try {
    await until('both lines', () => all.seen.length === 2, SEEN);
    fs.appendFileSync(logFile('0.log'), cri('c'));
    await until('c', () => all.seen.length === 3 && none.seen.length === 1, SEEN);
    assert.deepEqual(texts(none.seen), ['c']);
  } finally {
    await all.stop();
    await none.stop();
  }
});

test('follow moves from 0.log to 1.log when the container restarts, and says so', async () => {
  fs.writeFileSync(logFile('0.log'), cri('run 0 line'));
  const f = follow({ tail: 10 });
  try {
    await until('run 0', () => f.seen.length === 1, SEEN);
    fs.appendFileSync(logFile('0.log'), cri('last words ', 'stderr', 'P'));
    fs.writeFileSync(logFile('1.log'), cri('run 1 line'));
    await until('run 1', () => texts(f.seen).includes('run 1 line'), SEEN);
    assert.deepEqual(texts(f.seen), ['run 0 line', 'last words ', 'run 1 line']);
    assert.deepEqual(f.switches, [logFile('1.log')]);
    fs.appendFileSync(logFile('1.log'), cri('run 1 more'));
    await until('more', () => f.seen.length === 4, SEEN);
  } finally {
    await f.stop();
  }
});

test('follow starts over when the file is truncated in place (copytruncate)', async () => {
  fs.writeFileSync(logFile('0.log'), cri('before truncation, a long line to make the file big'));
  const f = follow({ tail: 5 });
  try {
    await until('first', () => f.seen.length === 1, SEEN);
    fs.truncateSync(logFile('0.log'), 0);
    fs.appendFileSync(logFile('0.log'), cri('after'));
    await until('after', () => f.seen.length === 2, SEEN);
    assert.deepEqual(texts(f.seen), ['before truncation, a long line to make the file big', 'after']);
  } finally {
    await f.stop();
  }
});

test("follow keeps going when kubelet's rotation renames the file away and a new one appears", async () => {
  fs.writeFileSync(logFile('0.log'), cri('one'));
  const f = follow({ tail: 5 });
  try {
    await until('one', () => f.seen.length === 1, SEEN);
    const rotated = logFile('0.log.20240501-120000');
    fs.renameSync(logFile('0.log'), rotated);
    fs.appendFileSync(rotated, cri('late write to the old file'));
    fs.writeFileSync(logFile('0.log'), cri('fresh file'));
    await until('fresh', () => f.seen.length === 3, SEEN);
    assert.deepEqual(texts(f.seen), ['one', 'late write to the old file', 'fresh file']);
    assert.deepEqual(f.switches, []);
    fs.appendFileSync(logFile('0.log'), cri('and on'));
    await until('and on', () => f.seen.length === 4, SEEN);
  } finally {
    await f.stop();
  }
});

test('follow works by polling alone, and waits for a log that does not exist yet', async () => {
  fs.rmSync(dir, { recursive: true });
  const f = follow({ tail: 5, watch: false, pollMs: 20 });
  try {
    await new Promise((r) => setTimeout(r, 60));
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(logFile('0.log'), cri('appeared'));
    await until('appeared', () => f.seen.length === 1, SEEN);
    fs.appendFileSync(logFile('0.log'), cri('polled'));
    fs.writeFileSync(logFile('1.log'), cri('restarted'));
    await until('restart', () => f.seen.length === 3, SEEN);
    assert.deepEqual(texts(f.seen), ['appeared', 'polled', 'restarted']);
  } finally {
    await f.stop();
  }
});

test('abort ends the iteration and leaves no watcher or timer behind', async () => {
  // A closed watcher's handle goes away on the next turn of the event loop.
  const watchers = async () => {
    await new Promise((r) => setImmediate(r));
    return process.getActiveResourcesInfo().filter((r) => r === 'FSEventWrap').length;
  };
  const before = await watchers();
  fs.writeFileSync(logFile('0.log'), cri('x'));
  const f = follow({ tail: 1 });
  await until('x', () => f.seen.length === 1, SEEN);
  assert.equal(await watchers(), before + 1);
  await f.stop();
  assert.equal(await watchers(), before);

  // Aborted while the consumer is not pulling: the next pull ends at once.
  const controller = new AbortController();
  const iterator = followContainerLog(dir, { tail: 1, signal: controller.signal });
  assert.equal((await iterator.next()).value?.text, 'x');
  controller.abort();
  assert.equal(await watchers(), before);
  assert.deepEqual(await iterator.next(), { done: true, value: undefined });

  // A consumer that breaks out closes everything too.
  for await (const line of followContainerLog(dir, { tail: 1 })) {
    assert.equal(line.text, 'x');
    break;
  }
  assert.equal(await watchers(), before);

  // Already aborted: nothing is opened.
  const none = followContainerLog(dir, { signal: AbortSignal.abort() });
  assert.deepEqual(await none.next(), { done: true, value: undefined });
});
