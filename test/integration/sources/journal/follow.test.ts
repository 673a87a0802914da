// followJournal against the lab's real journal: a real systemd (PID 1 of a container) whose journald writes
// to <lab>/journal, read from the host with the real journalctl --directory. A throwaway unit of our own
// prints escape sequences, a flood and a line over 64 KiB; kubelet.service is only read, never touched.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type LabPaths, labPaths } from '../../../../scripts/lab/daemons/paths.js';
import { SYSTEMD_CONTAINER } from '../../../../scripts/lab/systemd/container.js';
import { installUnit, systemctl } from '../../../../scripts/lab/systemd/units.js';
import {
  BATCH_MS,
  followJournal,
  JOURNALCTL_MISSING,
  type JournalFollower,
  MAX_BATCH_ENTRIES,
  MAX_LINE_BYTES,
} from '../../../../src/sources/journal/follow.js';
import type { JournalEntry } from '../../../../src/sources/journal/parse.js';
import { journalctlProcesses, running, unitText } from '../../../helpers/journal-units.js';
import { labEnv } from '../../../helpers/lab.js';
import { until } from '../../../helpers/wait.js';

const UNIT = 'breakglass-journal-test.service';
const TOKEN = randomBytes(6).toString('hex');
/** A unit that has never run: following it must still miss nothing (journalctl's lazy tail, see journal.ts). */
const NEW_UNIT = `breakglass-journal-new-${TOKEN}.service`;
const UNITS = [UNIT, NEW_UNIT];
const FLOOD = 20_000;
const LONG_BYTES = 100_000;
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;
const WAIT = { timeoutMs: 60_000, intervalMs: 50 };

let paths: LabPaths;
let journalDir: string;
const followers: JournalFollower[] = [];
const tempDirs: string[] = [];

const FLOOD_SCRIPT = [
  `printf '\\033]0;owned\\007hello %s\\n' ${TOKEN}`,
  `printf 'osc52 \\033]52;c;b3duZWQ=\\007%s clip\\n' ${TOKEN}`,
  `printf 'csi \\033[31mred\\033[0m %s\\n' ${TOKEN}`,
  `seq -f 'flood ${TOKEN} %g' 1 ${FLOOD}`,
  // A message over 64 KiB through journald's native protocol (stdout lines are split at 48 KiB). logger
  // is gone before journald reads its cgroup, so the message names the unit itself (OBJECT_SYSTEMD_UNIT,
  // which journalctl -u matches for root's messages).
  'f=$(mktemp)',
  `printf 'OBJECT_SYSTEMD_UNIT=${UNIT}\\nMESSAGE=long ${TOKEN} ' > "$f"`,
  `head -c ${LONG_BYTES} /dev/zero | tr '\\0' x >> "$f"`,
  'echo >> "$f"',
  'logger --journald="$f"',
  'rm -f "$f"',
  `echo done ${TOKEN}`,
];

function journalTexts(unit: string): string[] {
  const result = spawnSync(
    'journalctl',
    [`--directory=${journalDir}`, `--unit=${unit}`, '--output=cat', '--no-pager'],
    {
      encoding: 'utf8',
      maxBuffer: 256 << 20,
    },
  );
  return result.stdout.split('\n');
}

function docker(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('/usr/bin/docker', ['-H', `unix://${labEnv().dockerSocket}`, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function track(follower: JournalFollower): JournalFollower {
  followers.push(follower);
  return follower;
}

before(async () => {
  const lab = labEnv();
  paths = labPaths(lab.dir);
  journalDir = lab.journalDir;
  // A first run, so the unit has history: the backlog then ends at a cursor that following starts after.
  installUnit(paths, UNIT, unitText('breakglass journal test unit (throwaway)', [`echo warmup ${TOKEN}`]));
  systemctl(paths, ['start', UNIT]);
  await until('the warm-up line in the journal', () => journalTexts(UNIT).includes(`warmup ${TOKEN}`), WAIT);
  installUnit(paths, UNIT, unitText('breakglass journal test unit (throwaway)', FLOOD_SCRIPT));
});

after(async () => {
  for (const follower of followers) follower.close();
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  if (!paths) return;
  for (const unit of UNITS) {
    try {
      systemctl(paths, ['stop', unit]);
    } catch {
      // Not loaded.
    }
    docker(['exec', SYSTEMD_CONTAINER, 'rm', '-f', `/etc/systemd/system/${unit}`]);
  }
  systemctl(paths, ['daemon-reload']);
  for (const unit of UNITS) {
    try {
      systemctl(paths, ['reset-failed', unit]);
    } catch {
      // Not loaded any more.
    }
  }
});

test("a unit's lines arrive: backlog, escapes gone, a 20 000-line flood in few batches and complete, a long line cut", {
  timeout: 120_000,
}, async () => {
  const batches: { at: number; size: number }[] = [];
  const mine: JournalEntry[] = [];
  const units = new Set<string | null>();
  const errors: Error[] = [];
  let backlog: JournalEntry[] | null = null;
  const follower = track(
    followJournal(
      { unit: UNIT, directory: journalDir, lines: 3 },
      (entries) => {
        backlog ??= entries;
        batches.push({ at: Date.now(), size: entries.length });
        for (const entry of entries) {
          units.add(entry.unit);
          if (entry.text.includes(TOKEN)) mine.push(entry);
        }
      },
      (error) => errors.push(error),
    ),
  );
  await until('the backlog', () => backlog, WAIT);
  // The last 3 entries of the warm-up run: its line and systemd's about it.
  assert.equal(backlog!.length, 3);
  assert.ok(
    backlog!.some((entry) => entry.text === `warmup ${TOKEN}`),
    backlog!.map((e) => e.text).join(' | '),
  );
  await until(
    'journalctl following',
    () => journalctlProcesses([UNIT]).some((pid) => pid === follower.pid),
    WAIT,
  );
  const started = Date.now();
  systemctl(paths, ['start', '--no-block', UNIT]);

  await until("the unit's last line", () => mine.some((entry) => entry.text === `done ${TOKEN}`), WAIT);
  const elapsed = Date.now() - started;
  assert.deepEqual(errors, []);

  // Escape sequences are gone, the text around them stays.
  const texts = mine.map((entry) => entry.text);
  assert.ok(texts.includes(`hello ${TOKEN}`), texts.slice(0, 5).join(' | '));
  assert.ok(texts.includes(`osc52 ${TOKEN} clip`));
  assert.ok(texts.includes(`csi red ${TOKEN}`));
  for (const entry of mine) assert.doesNotMatch(entry.text, RAW_CONTROL);

  // Every flood line, once, in order.
  const flood = texts
    .filter((text) => text.startsWith(`flood ${TOKEN} `))
    .map((text) => Number(text.split(' ')[2]));
  assert.equal(flood.length, FLOOD);
  assert.deepEqual(
    flood,
    Array.from({ length: FLOOD }, (_, i) => i + 1),
  );
  assert.equal(texts.filter((text) => text === `warmup ${TOKEN}`).length, 1, 'the backlog is not repeated');

  // In batches: far fewer callbacks than lines, never closer together than the batching interval.
  const total = batches.reduce((sum, batch) => sum + batch.size, 0);
  const largest = Math.max(...batches.map((batch) => batch.size));
  assert.ok(total >= FLOOD);
  assert.ok(batches.length <= FLOOD / 20, `${batches.length} callbacks for ${total} entries`);
  assert.ok(largest <= MAX_BATCH_ENTRIES);
  for (let i = 1; i < batches.length; i++) {
    const gap = batches[i]!.at - batches[i - 1]!.at;
    assert.ok(gap >= BATCH_MS - 5, `callbacks ${gap} ms apart`);
  }
  process.stderr.write(
    `journal: ${total} entries in ${batches.length} callbacks within ${elapsed} ms; largest batch ${largest}\n`,
  );

  // The 100 KB message: cut at 64 KiB of JSON, delivered as its beginning, marked truncated.
  const long = mine.find((entry) => entry.text.startsWith(`long ${TOKEN} `));
  assert.ok(long, 'the long message arrived');
  assert.equal(long.truncated, true);
  assert.ok(
    long.text.length < MAX_LINE_BYTES && long.text.length > MAX_LINE_BYTES / 2,
    `${long.text.length}`,
  );
  assert.match(long.text, new RegExp(`^long ${TOKEN} x+$`));
  assert.ok(follower.truncatedLines >= 1);
  assert.equal(follower.skippedLines, 0);

  // Only this unit's entries: its own, and systemd's (UNIT=) and logger's (OBJECT_SYSTEMD_UNIT=) about it.
  assert.deepEqual([...units], [UNIT]);
  const hello = mine.find((entry) => entry.text === `hello ${TOKEN}`)!;
  assert.ok(hello.time instanceof Date && Math.abs(hello.time.getTime() - started) < 30_000);
  assert.ok(hello.pid !== null && hello.cursor !== '' && hello.priority === 6);

  // close() kills journalctl.
  assert.deepEqual(journalctlProcesses([UNIT]), [follower.pid]);
  follower.close();
  await until('journalctl to end', () => journalctlProcesses([UNIT]).length === 0, {
    ...WAIT,
    timeoutMs: 5_000,
  });
});

test('following a unit with no entries yet misses none of its first lines', { timeout: 60_000 }, async () => {
  const texts: string[] = [];
  const errors: Error[] = [];
  const follower = track(
    followJournal(
      { unit: NEW_UNIT, directory: journalDir, lines: 5 },
      (entries) => texts.push(...entries.map((entry) => entry.text)),
      (error) => errors.push(error),
    ),
  );
  await until(
    'journalctl following',
    () =>
      journalctlProcesses([NEW_UNIT]).some(
        (pid) => pid === follower.pid && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--follow'),
      ),
    WAIT,
  );
  await sleep(500);
  installUnit(
    paths,
    NEW_UNIT,
    unitText('breakglass journal test unit, new (throwaway)', [`seq -f 'new ${TOKEN} %g' 1 3000`]),
  );
  systemctl(paths, ['start', '--no-block', NEW_UNIT]);
  await until('the last line', () => texts.includes(`new ${TOKEN} 3000`), WAIT);
  assert.deepEqual(errors, []);
  const lines = texts.filter((text) => text.startsWith(`new ${TOKEN} `));
  assert.deepEqual(
    lines,
    Array.from({ length: 3000 }, (_, i) => `new ${TOKEN} ${i + 1}`),
  );
  follower.close();
  await until('journalctl to end', () => journalctlProcesses([NEW_UNIT]).length === 0, {
    ...WAIT,
    timeoutMs: 5_000,
  });
});

test("kubelet.service's entries are read (the backlog), and aborting the signal stops journalctl", async () => {
  const controller = new AbortController();
  const entries: JournalEntry[] = [];
  const errors: Error[] = [];
  const follower = track(
    followJournal(
      { unit: 'kubelet.service', directory: journalDir, lines: 50, signal: controller.signal },
      (batch) => entries.push(...batch),
      (error) => errors.push(error),
    ),
  );
  await until("kubelet's entries", () => entries.length > 0, { ...WAIT, timeoutMs: 15_000 });
  await sleep(200);
  assert.deepEqual(errors, []);
  assert.ok(entries.length <= 50 + 5, `${entries.length} entries`);
  assert.ok(
    entries.some((entry) => entry.unit === 'kubelet.service' && entry.pid !== null && entry.text !== ''),
  );
  for (const entry of entries) {
    assert.equal(entry.unit, 'kubelet.service');
    assert.ok(entry.time instanceof Date);
    assert.doesNotMatch(entry.text, RAW_CONTROL);
  }
  const pid = follower.pid!;
  controller.abort();
  await until('journalctl to end', () => !running(pid), { ...WAIT, timeoutMs: 5_000 });
});

test('a missing journalctl binary gives the plain-words message', async () => {
  const errors: Error[] = [];
  let batches = 0;
  track(
    followJournal(
      { unit: 'kubelet', directory: journalDir, journalctl: '/nonexistent/bin/journalctl' },
      () => batches++,
      (error) => errors.push(error),
    ),
  );
  await until('the error', () => errors.length > 0, { ...WAIT, timeoutMs: 5_000 });
  await sleep(100);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.message, JOURNALCTL_MISSING);
  assert.equal(batches, 0);
});

test('a directory with no journal gives an error (or nothing), never a hang; a missing one an error', async () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'breakglass-journal-'));
  tempDirs.push(empty);
  for (const directory of [empty, path.join(empty, 'does-not-exist')]) {
    const errors: Error[] = [];
    const entries: JournalEntry[] = [];
    const follower = track(
      followJournal(
        { unit: 'kubelet', directory },
        (batch) => entries.push(...batch),
        (error) => errors.push(error),
      ),
    );
    await until('an error', () => errors.length > 0, { ...WAIT, timeoutMs: 5_000 }).catch(() => null);
    assert.deepEqual(entries, []);
    if (directory !== empty) assert.equal(errors.length, 1, `no error for ${directory}`);
    for (const error of errors) {
      assert.match(error.message, /^journalctl: \S/);
      assert.doesNotMatch(error.message, /[\n\r]/);
      assert.doesNotMatch(error.message, RAW_CONTROL);
    }
    process.stderr.write(`journal: ${directory}: ${errors[0]?.message ?? '(no error, no entries)'}\n`);
    follower.close();
    const pid = follower.pid!;
    await until('journalctl to end', () => !running(pid), { ...WAIT, timeoutMs: 5_000 });
  }
});

test('no journalctl started by these tests is left running', async () => {
  for (const follower of followers) follower.close();
  await until('every journalctl to end', () => journalctlProcesses(UNITS).length === 0, {
    ...WAIT,
    timeoutMs: 5_000,
  });
});

test('a journalctl flooding 200 000 lines and a 3 MB line: bounded batches, all delivered, the line cut, then its error', {
  timeout: 60_000,
}, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'breakglass-journalctl-'));
  tempDirs.push(dir);
  const fake = path.join(dir, 'journalctl');
  const count = 200_000;
  fs.writeFileSync(
    fake,
    `#!/bin/sh
case "$*" in *--follow*) ;; *) echo '{"__CURSOR":"b1","MESSAGE":"backlog"}'; exit 0;; esac
printf '{"MESSAGE":"args %s"}\\n' "$*"
echo 'not json'
seq 1 ${count} | awk '{printf "{\\"__CURSOR\\":\\"c%d\\",\\"MESSAGE\\":\\"m %d\\"}\\n", $1, $1}'
printf '{"__CURSOR":"big","PRIORITY":"3","MESSAGE":"big '
head -c 3000000 /dev/zero | tr '\\0' y
printf '"}\\n{"__CURSOR":"end","MESSAGE":"end"}\\n'
printf 'boom: \\033[31msomething failed\\nsecond line\\n' >&2
exit 3
`,
    { mode: 0o755 },
  );
  const batches: { at: number; size: number }[] = [];
  const texts: string[] = [];
  let big: JournalEntry | undefined;
  const errors: Error[] = [];
  const follower = track(
    followJournal(
      { unit: 'kubelet', journalctl: fake, lines: 10 },
      (entries) => {
        batches.push({ at: Date.now(), size: entries.length });
        for (const entry of entries) {
          if (entry.cursor === 'big') big = entry;
          else texts.push(entry.text);
        }
      },
      (error) => errors.push(error),
    ),
  );
  await until('the error', () => errors.length > 0, { ...WAIT, timeoutMs: 50_000 });
  assert.equal(errors[0]!.message, 'journalctl: boom: something failed');
  assert.equal(texts[0], 'backlog');
  assert.match(texts[1] ?? '', /--follow --after-cursor=b1$/);
  assert.equal(texts.length, 2 + count + 1);
  assert.equal(texts[2], 'm 1');
  assert.equal(texts[count + 1], `m ${count}`);
  assert.equal(texts.at(-1), 'end');
  assert.ok(
    big?.truncated && big.priority === 3 && /^big y+$/.test(big.text) && big.text.length < MAX_LINE_BYTES,
  );
  assert.equal(follower.skippedLines, 1);
  assert.equal(follower.truncatedLines, 1);
  assert.ok(Math.max(...batches.map((batch) => batch.size)) <= MAX_BATCH_ENTRIES);
  assert.ok(
    batches.length >= count / MAX_BATCH_ENTRIES && batches.length < count / 100,
    `${batches.length} callbacks`,
  );
  // The last callback is the flush before the error; the others keep their distance.
  for (let i = 1; i < batches.length - 1; i++) {
    const gap = batches[i]!.at - batches[i - 1]!.at;
    assert.ok(gap >= BATCH_MS - 5, `callbacks ${gap} ms apart`);
  }
  process.stderr.write(`journal: fake flood of ${count} lines in ${batches.length} callbacks\n`);
});
