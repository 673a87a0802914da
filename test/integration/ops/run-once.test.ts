// One command in an image, through the lab's real dockerd and containerd (CRI): its output and exit code
// back, the directory it was given mounted at its own path (read-only when asked), and nothing of it
// left in the runtime after (docker ps -a, ctr containers ls, the CRI's sandboxes).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { criImageName } from '../../../scripts/lab/images.js';
import { runOnce } from '../../../src/ops/control/run-once.js';
import type { RuntimeChoice } from '../../../src/sources/runtime/detect.js';
import { labOrNull } from '../../helpers/lab.js';
import { runOnceLeft } from '../../helpers/node-runtime.js';

const lab = labOrNull();

describe('runOnce on the lab runtimes', {
  skip: lab ? false : 'needs the lab (npm test)',
  timeout: 180_000,
}, () => {
  const l = lab!;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bg-run-once-'));
  const shared = path.join(dir, 'shared');
  fs.mkdirSync(shared);
  fs.writeFileSync(path.join(shared, 'in.txt'), 'from the host\n');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const runtimes: { name: string; choice: RuntimeChoice; image: string }[] = [
    {
      name: 'containerd (CRI)',
      choice: { kind: 'cri', endpoint: l.containerdSocket, source: 'test' },
      image: criImageName(l.images.busybox),
    },
    {
      name: 'dockerd',
      choice: { kind: 'docker', endpoint: l.dockerSocket, source: 'test' },
      image: l.images.busybox,
    },
  ];
  const left = (choice: RuntimeChoice) => runOnceLeft({ kind: choice.kind, socket: choice.endpoint });

  for (const rt of runtimes) {
    test(`${rt.name}: output, exit code and mounts; nothing left after`, async () => {
      const r = await runOnce(rt.choice, {
        image: rt.image,
        argv: ['sh', '-c', `cat ${shared}/in.txt; echo to-stderr >&2; touch ${shared}/out.txt; exit 3`],
        mounts: [{ path: shared, readonly: false }],
        logDir: path.join(dir, `logs-${rt.choice.kind}`),
        timeoutMs: 60_000,
      });
      assert.equal(r.exitCode, 3);
      assert.match(r.output, /from the host\n/);
      assert.match(r.output, /to-stderr\n/);
      assert.ok(fs.existsSync(path.join(shared, 'out.txt')), 'it wrote through the mount');
      assert.deepEqual(left(rt.choice), [], 'no container of it left');

      const ro = await runOnce(rt.choice, {
        image: rt.image,
        argv: ['sh', '-c', `touch ${shared}/refused.txt`],
        mounts: [{ path: shared, readonly: true }],
        logDir: path.join(dir, `logs-ro-${rt.choice.kind}`),
        timeoutMs: 60_000,
      });
      assert.notEqual(ro.exitCode, 0, 'a read-only mount refuses the write');
      assert.ok(!fs.existsSync(path.join(shared, 'refused.txt')));
    });
  }
});
