// `breakglass doctor [--json]`: one look at every source (the manifests, the runtime, kubelet's unit and
// journal, the probes, etcd, the disks, the certificates), then what is wrong, the most likely root
// cause first, each with its evidence, its consequences and the fix. Exit 0 when nothing is wrong.

import { diagnose, somethingWrong } from '../../model/diagnosis/diagnose.js';
import { MIN_FSYNCS } from '../../model/diagnosis/etcd-causes.js';
import type { NodeFacts } from '../../model/facts.js';
import { nodeModel } from '../../model/node.js';
import { doctorInput } from '../../store/doctor.js';
import type { NodeSnapshot } from '../../store/snapshot.js';
import { ALL_FEEDS, NodeStore } from '../../store/store.js';
import { waitFor } from '../../store/watch.js';
import { terminalSafeJson } from '../../util/sanitize.js';
import type { CliArgs } from '../args.js';
import { EXIT_OK, EXIT_PROBLEMS, type Io } from '../io.js';
import { discover, storeOptions } from '../node.js';
import { doctorJson, doctorText } from '../render/doctor.js';

/** The longest the doctor waits for a source that does not answer: it then judges without it. */
const READ_SECONDS = 8;
/** The longest the doctor measures etcd's fsyncs itself, when its since-start figures look slow. */
const ETCD_MEASURE_MS = 3_000;

export async function doctor(args: CliArgs, io: Io): Promise<number> {
  const layout = await discover(args.flags);
  const store = new NodeStore({ ...storeOptions(args.flags, layout), notifyMs: 50 });
  const signal = io.signal ?? new AbortController().signal;
  try {
    store.start(ALL_FEEDS);
    // A slow fsync since etcd started may be its start-up: measured from now, while the rest is read.
    const measure = new AbortController();
    const abort = () => measure.abort();
    signal.addEventListener('abort', abort, { once: true });
    const measuring = store.measureEtcdNow(MIN_FSYNCS, ETCD_MEASURE_MS, measure.signal);
    await waitFor(store, (_, facts) => unread(facts as NodeSnapshot).length === 0, READ_SECONDS, signal);
    const first = store.snapshot.etcd.value;
    if (first?.walFsync.window === 'since-start' && first.walFsync.verdict === 'slow') await measuring;
    else measure.abort();
    signal.removeEventListener('abort', abort);
    // The failing pods' logs and etcd's status follow from what the other sources said.
    await store.readEvidenceNow();
    const snapshot = store.snapshot;
    const findings = diagnose(doctorInput(snapshot));
    const report = doctorJson(findings, unread(snapshot));
    io.out(args.flags.json ? `${terminalSafeJson(report, 2)}\n` : doctorText(report));
    return somethingWrong(findings) ? EXIT_PROBLEMS : EXIT_OK;
  } finally {
    await store.close();
  }
}

/** The sources that have not said anything yet (neither a value nor an error). */
function unread(s: NodeSnapshot): string[] {
  const out: string[] = [];
  const slot = (name: string, at: number | null) => {
    if (at === null) out.push(name);
  };
  slot('the container runtime', s.runtime.at);
  slot(`${s.kubeletUnit.name} over D-Bus`, s.kubeletUnit.at);
  if (s.runtimeUnit) slot(`${s.runtimeUnit.name} over D-Bus`, s.runtimeUnit.at);
  slot('free space (statfs)', s.vitals.at);
  slot('certificates', s.certs.at);
  // kubelet's journal: its backlog is what names why kubelet fails (journalctl says something, or why not).
  if (s.journal.total === 0) out.push(`${s.kubeletUnit.name}'s journal`);
  if (hasEtcd(s)) slot("etcd's metrics", s.etcd.at);
  const unprobed = nodeModel(s).pods.filter(
    (p) => p.enabled && p.staticPod?.pod?.health && !s.health.has(p.name),
  );
  for (const p of unprobed) out.push(`${p.name}'s health probe`);
  return out;
}

function hasEtcd(facts: NodeFacts): boolean {
  return nodeModel(facts).pods.some((p) => p.enabled && p.name === 'etcd');
}
