// What the diagnosis needs beyond the other feeds: the last words of each failing pod's newest container
// (read again only when that container changes), and etcd's own word on itself and its cluster (status,
// members, alarms, quorum: sources/etcd/cluster.ts), every 10 s, which the etcd panel and its alerts show
// too. Nothing else is read while nothing fails.
import * as fs from 'node:fs';
import { isFailing } from '../../model/diagnosis/cause.js';
import type { CrashLog, DoctorInput } from '../../model/diagnosis/types.js';
import { etcdProblems, etcdQuota, etcdView } from '../../model/etcd-cluster.js';
import { nodeModel } from '../../model/node.js';
import { etcdAccess, etcdFlagsOf, findEtcdPod } from '../../node/etcd.js';
import { EtcdSession } from '../../sources/etcd/session.js';
import { errnoMessage } from '../../util/errors.js';
import type { Feed, FeedHost } from '../feed.js';
import { readLogLines } from './pod-log.js';
import type { RuntimeFeed } from './runtime.js';

const CRASH_LOG_LINES = 40;
const CHECK_MS = 3_000;
const ETCD_MS = 10_000;

export interface EvidenceFeed extends Feed {
  /** Read everything now (the doctor's one look); resolves once it is in the snapshot. */
  readNow(): Promise<void>;
}

export function startEvidenceFeed(host: FeedHost, runtime: () => RuntimeFeed | null): EvidenceFeed {
  let etcdAt = 0;
  const etcdSession = new EtcdSession();
  let busy: Promise<void> | null = null;
  const read = async (forceEtcd: boolean) => {
    const logs = await readCrashLogs(host, runtime());
    if (logs) host.update((s) => ({ ...s, evidence: { ...s.evidence, crashLogs: logs } }), 'background');
    if (forceEtcd || Date.now() - etcdAt >= ETCD_MS) {
      etcdAt = Date.now();
      const etcd = await readEtcdWord(host, etcdSession);
      const view = etcd?.word?.view ?? null;
      // An alarm raised or gone, quorum or the leader lost or back: on screen at once; sizes can wait.
      const problems = (v: typeof view) =>
        v
          ? etcdProblems(v)
              .map((p) => p.code)
              .join(',')
          : 'none';
      const turned = problems(view) !== problems(host.snapshot.etcdCluster.value);
      host.update(
        (s) => ({
          ...s,
          evidence: { ...s.evidence, etcd },
          etcdCluster: { value: view, error: etcd?.error ?? null, at: Date.now() },
        }),
        turned ? 'now' : 'background',
      );
    }
  };
  const once = (forceEtcd: boolean) => {
    busy ??= read(forceEtcd).finally(() => {
      busy = null;
    });
    return busy;
  };
  const timer = setInterval(() => void once(false).catch(() => {}), CHECK_MS);
  timer.unref();
  return {
    readNow: async () => {
      await busy?.catch(() => {});
      await once(true);
    },
    close: () => {
      clearInterval(timer);
      etcdSession.close();
    },
  };
}

/** New crash logs when the failing containers changed; null when nothing changed. */
async function readCrashLogs(host: FeedHost, runtime: RuntimeFeed | null): Promise<CrashLog[] | null> {
  const s = host.snapshot;
  const failing = nodeModel(s).pods.filter((p) => isFailing(p) && p.podName && p.namespace);
  const wanted = failing.flatMap((p) => {
    const c = p.containers.find((x) => x.state !== 'running') ?? p.containers[0];
    return c ? [{ pod: p, container: c }] : [];
  });
  const have = s.evidence.crashLogs;
  const same =
    wanted.length === have.length &&
    wanted.every((w) => have.some((h) => h.podKey === w.pod.key && h.containerId === w.container.id));
  if (same) return null;
  return Promise.all(
    wanted.map(async ({ pod, container }): Promise<CrashLog> => {
      const kept = have.find((h) => h.podKey === pod.key && h.containerId === container.id);
      if (kept) return kept;
      const base = { podKey: pod.key, container: container.name, containerId: container.id };
      try {
        const ref = { podName: pod.podName!, namespace: pod.namespace! };
        return { ...base, lines: await readLogLines(s, runtime, ref, CRASH_LOG_LINES), error: null };
      } catch (err) {
        return { ...base, lines: [], error: errnoMessage(err) };
      }
    }),
  );
}

async function readEtcdWord(host: FeedHost, session: EtcdSession): Promise<DoctorInput['etcd']> {
  const s = host.snapshot;
  const holding = s.dirs.holding.error ? null : s.dirs.holding;
  const pod = findEtcdPod(s.dirs.manifests, holding);
  if (!pod) return null;
  const at = new Date().toISOString();
  const flags = etcdFlagsOf(pod);
  const quota = etcdQuota(flags['quota-backend-bytes']);
  try {
    const access = etcdAccess(pod, s.layout.pki.value, (f) => fs.existsSync(f));
    const cluster = await session.read(access);
    const view = etcdView(cluster, quota);
    const peersDown = cluster.peers
      .filter((p) => p.error !== null && !p.member.isLearner)
      .map((p) => ({ name: p.member.name || p.member.id, error: p.error! }));
    return {
      at,
      error: null,
      word: {
        view,
        errors: cluster.self.errors,
        dbSizeBytes: cluster.self.dbSize,
        quotaBytes: quota,
        peersDown,
        members: cluster.members.filter((m) => !m.isLearner).length,
        memberId: cluster.self.memberId,
        memberNames: Object.fromEntries(cluster.members.map((m) => [m.id, m.name || m.id])),
        access: {
          url: access.url,
          caFile: access.caFile,
          certFile: access.certFile,
          keyFile: access.keyFile,
        },
      },
    };
  } catch (err) {
    return { at, error: errnoMessage(err), word: null };
  }
}
