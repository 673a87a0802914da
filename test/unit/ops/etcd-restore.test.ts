import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { criLogText } from '../../../src/ops/control/run-once.js';
import { restoreStamp } from '../../../src/ops/etcd-member-back.js';
import { findRestoreTool } from '../../../src/ops/etcd-restore.js';

test('the restore tool: etcdutl before etcdctl, wherever each is on PATH; executables only', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bg-tool-'));
  try {
    const [a, b] = [path.join(dir, 'a'), path.join(dir, 'b')];
    fs.mkdirSync(a);
    fs.mkdirSync(b);
    assert.equal(findRestoreTool(`${a}:${b}`), null);
    fs.writeFileSync(path.join(a, 'etcdctl'), '#!/bin/sh\n', { mode: 0o755 });
    assert.deepEqual(findRestoreTool(`${a}:${b}`), {
      where: 'host',
      path: path.join(a, 'etcdctl'),
      kind: 'etcdctl',
    });
    fs.writeFileSync(path.join(b, 'etcdutl'), 'not executable', { mode: 0o644 });
    assert.equal(findRestoreTool(`${a}:${b}`)?.kind, 'etcdctl', 'a file that cannot run is not a tool');
    fs.chmodSync(path.join(b, 'etcdutl'), 0o755);
    assert.deepEqual(findRestoreTool(`${a}:${b}`), {
      where: 'host',
      path: path.join(b, 'etcdutl'),
      kind: 'etcdutl',
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('names beside etcd data sort by time and carry no colon', () => {
  assert.equal(restoreStamp(new Date('2026-12-01T18:33:12.345Z')), '20261201T183312Z');
});

test('a CRI log file back to what the tool wrote: partial lines joined, both streams, the rest dropped', () => {
  const log = [
    '2026-12-01T18:44:55.1Z stdout P {"hash":1,',
    '2026-12-01T18:44:55.2Z stdout F "revision":172}',
    '2026-12-01T18:44:55.3Z stderr F Deprecated: use etcdutl',
    'garbage',
    '',
  ].join('\n');
  assert.equal(criLogText(log), '{"hash":1,"revision":172}\nDeprecated: use etcdutl\n');
});
