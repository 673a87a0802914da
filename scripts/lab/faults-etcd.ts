// etcd's own outages: its space quota exhausted (the NOSPACE alarm), and its data lost so it
// crash-loops. What heal needs (the manifest, etcd's member directory) is kept in the fault's directory.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { probe } from './controlplane.js';
import {
  backup,
  type Fault,
  type FaultContext,
  fault,
  manifest,
  restore,
  rewrite,
  withExtraFlag,
} from './fault-kit.js';
import { labPorts } from './node.js';

const QUOTA_BYTES = 16 * 1024 * 1024;
/** Every key the nospace fault writes is under this prefix, and heal deletes only those. */
export const NOSPACE_PREFIX = '/breakglass-lab/nospace/';
/** Below etcd's 1.5 MiB request limit. */
const FILL_VALUE = 'x'.repeat(1024 * 1024);
const WAIT_MS = 180_000;

export const ETCD_FAULTS: Fault[] = [
  fault(
    'etcd-nospace',
    'etcd\'s space quota exhausted (restarted with a 16 MiB quota, then one key rewritten until its old revisions fill it, as when nothing compacts): the NOSPACE alarm is raised and every write fails with "database space exceeded"',
    {
      async inject(ctx, dir) {
        const file = manifest(ctx, 'etcd.yaml');
        backup(dir, file);
        const original = fs.readFileSync(path.join(dir, 'etcd.yaml'), 'utf8');
        rewrite(file, withExtraFlag(original, `--quota-backend-bytes=${QUOTA_BYTES}`));
        await waitFor(ctx, 'etcd restarted with a 16 MiB quota', async () => {
          return (await quotaBytes(ctx)) === QUOTA_BYTES && etcdctl(ctx, ['endpoint', 'health']).ok;
        });
        const deadline = Date.now() + WAIT_MS;
        // One key rewritten: its old revisions fill the database, as when nothing compacts etcd (the API
        // server's compaction not running, or outrun by a writer). A compaction and a defragmentation
        // give the space back; live data over the quota would need deleting instead.
        for (;;) {
          const put = etcdctl(ctx, ['put', `${NOSPACE_PREFIX}history`], FILL_VALUE);
          if (!put.ok && /database space exceeded/.test(put.out)) break;
          // Anything else (etcd still electing itself leader, a timeout) is tried again.
          if (!put.ok) await sleep(500);
          if (Date.now() > deadline) throw new Error(`etcd never ran out of space: ${put.out.trim()}`);
        }
        const alarms = etcdctl(ctx, ['alarm', 'list']);
        if (!/alarm:NOSPACE/.test(alarms.out)) throw new Error(`no NOSPACE alarm: ${alarms.out.trim()}`);
      },
      async heal(ctx, dir) {
        // etcd's own manifest first, so etcd is back to its quota even if what follows fails; every
        // step may already have been done by whoever worked on the outage, and each is harmless again.
        restore(dir, manifest(ctx, 'etcd.yaml'));
        await waitFor(ctx, "etcd restarted with its manifest's quota", async () => {
          const quota = await quotaBytes(ctx);
          return quota !== null && quota !== QUOTA_BYTES && etcdctl(ctx, ['endpoint', 'status']).ok;
        });
        await etcdctlRetried(ctx, ['del', '--prefix', NOSPACE_PREFIX]);
        const status = JSON.parse(await etcdctlRetried(ctx, ['endpoint', 'status', '-w', 'json'])) as {
          Status: { header: { revision: number } };
        }[];
        const compact = etcdctl(ctx, ['compact', String(status[0]!.Status.header.revision)]);
        if (!compact.ok && !/required revision has been compacted/.test(compact.out))
          throw new Error(`etcdctl compact: ${compact.out.trim()}`);
        await etcdctlRetried(ctx, ['defrag']);
        await etcdctlRetried(ctx, ['alarm', 'disarm']);
        await waitHealthy(ctx);
      },
    },
  ),
  fault(
    'etcd-data-lost',
    "etcd's data lost (member/snap/db overwritten with zeros, the WAL kept): etcd crash-loops, kubelet restarting it again and again",
    {
      async inject(ctx, dir) {
        await stopEtcd(ctx, dir);
        const member = path.join(ctx.node.etcdDataDir, 'member');
        const partial = path.join(dir, 'member.partial');
        fs.rmSync(partial, { recursive: true, force: true });
        // A whole copy or none: heal puts back only what was copied to the end.
        execFileSync('cp', ['-a', member, partial]);
        fs.renameSync(partial, path.join(dir, 'member'));
        const db = path.join(member, 'snap/db');
        const size = fs.statSync(db).size;
        const fd = fs.openSync(db, 'r+');
        try {
          fs.writeSync(fd, Buffer.alloc(size), 0, size, 0);
          fs.fsyncSync(fd);
        } finally {
          fs.closeSync(fd);
        }
        restore(dir, manifest(ctx, 'etcd.yaml'));
        await waitFor(ctx, "etcd's first exit", async () =>
          (await ctx.ops.etcdContainers()).some((c) => !c.running),
        );
      },
      async heal(ctx, dir) {
        const saved = path.join(dir, 'member');
        if (fs.existsSync(saved)) {
          await stopEtcd(ctx, dir);
          const member = path.join(ctx.node.etcdDataDir, 'member');
          const incoming = path.join(ctx.node.etcdDataDir, '.member.breakglass-lab-heal');
          fs.rmSync(incoming, { recursive: true, force: true });
          // Whatever is there now (the damaged one, or a restored snapshot) goes into the fault's
          // directory, not away: mv across file systems is a copy, then a removal of the source.
          if (fs.existsSync(member))
            execFileSync('mv', [member, path.join(dir, `member.found-${Date.now()}`)]);
          execFileSync('cp', ['-a', saved, incoming]);
          fs.renameSync(incoming, member);
        }
        restore(dir, manifest(ctx, 'etcd.yaml'));
        await waitHealthy(ctx);
      },
    },
  ),
];

/**
 * Stops etcd as an operator does on a kubeadm master: its manifest out of the manifest directory
 * (the original saved first), then until kubelet has removed its pod, so nothing writes to its data.
 */
async function stopEtcd(ctx: FaultContext, dir: string): Promise<void> {
  const file = manifest(ctx, 'etcd.yaml');
  if (fs.existsSync(file)) {
    backup(dir, file);
    fs.renameSync(file, path.join(dir, 'etcd.yaml.taken-out'));
  }
  await waitFor(ctx, "etcd's pod removed", async () => (await ctx.ops.etcdContainers()).length === 0);
}

function etcdctl(ctx: FaultContext, args: string[], input?: string): { ok: boolean; out: string } {
  const pki = path.join(ctx.node.root, 'etc/kubernetes/pki/etcd');
  const result = spawnSync(
    'etcdctl',
    [
      `--endpoints=https://127.0.0.1:${labPorts(ctx.node.portOffset).etcdClient}`,
      `--cacert=${pki}/ca.crt`,
      `--cert=${pki}/healthcheck-client.crt`,
      `--key=${pki}/healthcheck-client.key`,
      '--command-timeout=20s',
      ...args,
    ],
    { encoding: 'utf8', timeout: 60_000, ...(input === undefined ? {} : { input }) },
  );
  return { ok: result.status === 0, out: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

/** An etcdctl command that must succeed: tried again while etcd restarts or elects itself. */
async function etcdctlRetried(ctx: FaultContext, args: string[]): Promise<string> {
  let last = { ok: false, out: '' };
  for (let attempt = 0; attempt < 10; attempt++) {
    last = etcdctl(ctx, args);
    if (last.ok) return last.out;
    await sleep(1_000);
  }
  throw new Error(`etcdctl ${args.join(' ')}: ${last.out.trim()}`);
}

/** etcd's quota as it reports it (etcd_server_quota_backend_bytes), or null when it does not answer. */
async function quotaBytes(ctx: FaultContext): Promise<number | null> {
  const url = `http://127.0.0.1:${labPorts(ctx.node.portOffset).etcdMetrics}/metrics`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    const line = /^etcd_server_quota_backend_bytes (\S+)$/m.exec(await response.text());
    return line ? Number(line[1]) : null;
  } catch {
    return null;
  }
}

/** etcd's /health and the API server's /readyz both answer 200. */
async function waitHealthy(ctx: FaultContext): Promise<void> {
  const ports = labPorts(ctx.node.portOffset);
  await waitFor(ctx, 'etcd and the API server healthy', async () => {
    const etcd = await probe(`http://127.0.0.1:${ports.etcdMetrics}/health`);
    const apiserver = await probe(`https://127.0.0.1:${ports.apiserver}/readyz`);
    return 'status' in etcd && etcd.status === 200 && 'status' in apiserver && apiserver.status === 200;
  });
}

async function waitFor(
  ctx: FaultContext,
  what: string,
  check: () => boolean | Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not after ${WAIT_MS / 1000} s`);
    await sleep(500);
  }
  ctx.log(what);
}
