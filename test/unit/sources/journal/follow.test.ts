import assert from 'node:assert/strict';
import { test } from 'node:test';
import { journalctlBacklogArgs, journalctlFollowArgs } from '../../../../src/sources/journal/follow.js';

const CURSOR =
  's=babdf2178aac4a3092f5da7f1b5f91d7;i=44;b=76647a31fa124fa28580bbdda4475546;m=23bb87978;t=660d74797fb7e';

test("journalctl's arguments: the backlog, then following after its cursor or from a time", () => {
  const backlog = journalctlBacklogArgs({ unit: 'kubelet' });
  assert.deepEqual(backlog.slice(0, 3), ['--unit=kubelet', '--output=json', '--all']);
  assert.ok(backlog.includes('--lines=200') && backlog.includes('--no-pager'));
  assert.ok(!backlog.includes('--follow'));
  assert.ok(!backlog.some((arg) => arg.startsWith('--directory')));
  assert.ok(journalctlBacklogArgs({ unit: 'kubelet', directory: '/j', lines: 5 }).includes('--directory=/j'));
  assert.ok(journalctlBacklogArgs({ unit: '-evil', lines: 0 }).includes('--unit=-evil'));
  assert.throws(() => journalctlBacklogArgs({ unit: 'kubelet', lines: -1 }), RangeError);
  assert.throws(() => journalctlBacklogArgs({ unit: 'kubelet', lines: 1.5 }), RangeError);
  const afterCursor = journalctlFollowArgs({ unit: 'kubelet' }, { cursor: CURSOR });
  assert.ok(afterCursor.includes('--follow') && afterCursor.includes(`--after-cursor=${CURSOR}`));
  assert.ok(!afterCursor.some((arg) => arg.startsWith('--lines')));
  const since = journalctlFollowArgs({ unit: 'kubelet' }, { since: new Date(1795327595641) });
  assert.ok(since.includes('--since=@1795327595.641'));
});
