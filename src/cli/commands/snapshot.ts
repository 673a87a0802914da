// `breakglass snapshot [--out FILE]`: an etcd snapshot on its own, through etcd's Maintenance API with
// the client certificate kubeadm leaves for health checks; the same one the control-plane restart takes
// before it touches etcd.
import * as fs from 'node:fs';
import { manifestDirsOf } from '../../node/discover.js';
import { etcdAccess, findEtcdPod } from '../../node/etcd.js';
import { DEFAULT_KEPT_SNAPSHOTS, takeEtcdSnapshot } from '../../ops/etcd-snapshot.js';
import { bytes } from '../../ops/snapshot-space.js';
import { scanBoth } from '../../sources/manifests/scan.js';
import { BreakglassError } from '../../util/errors.js';
import { escapeName } from '../../util/sanitize.js';
import type { CliArgs } from '../args.js';
import { EXIT_OK, type Io, jsonLine } from '../io.js';
import { discover } from '../node.js';

export async function snapshot(args: CliArgs, io: Io): Promise<number> {
  const layout = await discover(args.flags);
  const dirs = scanBoth(manifestDirsOf(layout));
  const pod = findEtcdPod(dirs.manifests, dirs.holding);
  if (!pod)
    throw new BreakglassError(
      `no etcd manifest in ${layout.manifests.value}: this node runs no local etcd to snapshot`,
      'etcd',
    );
  const access = etcdAccess(pod, layout.pki.value, (f) => fs.existsSync(f));
  const result = await takeEtcdSnapshot({
    access,
    stateDir: layout.stateDir.value,
    readOnly: args.flags.readOnly,
    out: args.flags.out ?? null,
    keep: args.flags.keepSnapshots ?? DEFAULT_KEPT_SNAPSHOTS,
    signal: io.signal ?? new AbortController().signal,
    say: (text) => {
      if (!args.flags.json) io.err(`${escapeName(text)}\n`);
    },
  });
  if (args.flags.json) {
    jsonLine(io, { ok: true, ...result, endpoint: access.url });
    return EXIT_OK;
  }
  for (const note of result.notes) io.err(`note: ${escapeName(note)}\n`);
  io.out(
    `✓ etcd snapshot ${escapeName(result.path)}: revision ${result.revision}, ${bytes(result.size)}, sha256 ${result.sha256}\n`,
  );
  if (result.removed.length > 0) io.out(`  removed older snapshots: ${result.removed.join(', ')}\n`);
  return EXIT_OK;
}
