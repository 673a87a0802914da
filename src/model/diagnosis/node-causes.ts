// The causes below the pods: breakglass's own interrupted change, kubelet, the container runtime and
// the disks the control plane writes to. Pure.
import type { FileSystemVitals } from '../../sources/vitals.js';
import { escapeName } from '../../util/sanitize.js';
import { type Cause, cause, evidence, fix, LAYER, logEvidence } from './cause.js';
import { flagProblem, lastErrorLine, plainWords } from './log-reasons.js';
import type { DoctorInput } from './types.js';

/** A change breakglass started and did not finish: put right before anything else. */
export function interruptedCauses({ model }: DoctorInput): Cause[] {
  return model.alerts
    .filter((a) => a.code === 'interrupted-change' || a.code === 'interrupted-procedure')
    .map((a) =>
      cause(LAYER.interrupted, [], {
        code: 'interrupted-change',
        severity: 'error',
        title: `${a.message}: a manifest may still be out of its directory`,
        subject: null,
        evidence: [evidence(a.message, "breakglass's records in its state directory")],
        fix: fix('finish or undo it first', 'breakglass recover', a.fix),
      }),
    );
}

export function kubeletCauses({ facts, kubeletJournal }: DoctorInput): Cause[] {
  const unit = facts.kubeletUnit.value;
  if (unit?.loadState !== 'loaded' || unit.activeState === 'active') return [];
  const state = `${unit.name} is ${unit.activeState}/${unit.subState}${unit.result && unit.result !== 'success' ? ` (result: ${unit.result})` : ''}`;
  const restarts = unit.nRestarts ?? 0;
  const crashLoop = unit.subState === 'auto-restart' || unit.activeState === 'failed' || restarts > 0;
  // Its last words: the minute before its state last changed and since; older lines are another story.
  const since = unit.since?.getTime() ?? null;
  const recent =
    since === null
      ? kubeletJournal
      : kubeletJournal.filter((l) => l.time === null || l.time.getTime() >= since - 60_000);
  const lastError = lastErrorLine(recent.filter((l) => l.level === 'error')) ?? lastErrorLine(recent);
  const flag = flagProblem(recent);
  const proof = [evidence(state, `${unit.name} over D-Bus`, unit.since)];
  if (restarts > 0)
    proof.push(evidence(`restarted ${restarts} time(s) by systemd`, `${unit.name} over D-Bus`));
  if (unit.execMainStatus !== null && unit.execMainStatus !== 0)
    proof.push(evidence(`its last exit status was ${unit.execMainStatus}`, `${unit.name} over D-Bus`));
  if (lastError) proof.push(logEvidence(lastError, `journal of ${unit.name}`));
  const what = 'no static pod is started, restarted or stopped until it runs (the running ones keep running)';
  if (!crashLoop) {
    return [
      cause(LAYER.kubelet, 'all', {
        code: 'kubelet-stopped',
        severity: 'error',
        title: `kubelet is stopped: ${what}`,
        subject: unit.name,
        evidence: proof,
        fix: fix('start it', `breakglass restart-unit ${unit.name}`, {
          action: 'restart-kubelet',
          target: unit.name,
        }),
      }),
    ];
  }
  return [
    cause(LAYER.kubelet, 'all', {
      code: 'kubelet-failing',
      severity: 'error',
      title: `kubelet ${unit.activeState === 'failed' ? 'failed' : 'crash-loops'}${flag ? `: it does not know the flag ${escapeName(flag.flag)} (systemctl cat ${unit.name} shows where it is set)` : lastError ? `: ${clipWords(plainWords(lastError.text))}` : ''}; ${what}`,
      subject: unit.name,
      evidence: proof,
      fix: fix(
        'fix what its journal names (a flag in a drop-in, swap on, the cgroup driver, the runtime socket), then restart it',
        `systemctl cat ${unit.name}; journalctl -u ${unit.name} -n 50; breakglass restart-unit ${unit.name}`,
        { action: 'restart-kubelet', target: unit.name },
      ),
    }),
  ];
}

export function runtimeCauses({ facts }: DoctorInput): Cause[] {
  const { runtime, runtimeUnit } = facts;
  const unit = runtimeUnit?.value ?? null;
  const unitWords = unit ? `${unit.name} is ${unit.activeState}/${unit.subState}` : null;
  const name = runtime.choice ? escapeName(runtime.choice.endpoint) : 'the container runtime';
  if (runtime.error === null && runtime.value) {
    if (!unit || (unit.activeState === 'active' && unit.loadState === 'loaded')) return [];
    // Answers on its socket, yet the unit breakglass expected does not run it: not a dead runtime.
    return [
      cause(LAYER.info, [], {
        code: 'runtime-not-its-unit',
        severity: 'info',
        title: `${runtime.value.info.name} answers on ${name} while ${unit.name} is ${unit.loadState === 'loaded' ? unit.activeState : unit.loadState}: the runtime is not run by that unit (k3s, RKE2, or started by hand)`,
        subject: unit.name,
        evidence: [
          evidence(`${runtime.value.info.name} ${runtime.value.info.version} answered`, name),
          evidence(unitWords!, `${unit.name} over D-Bus`, unit.since),
        ],
        fix: fix('nothing to do: restart the runtime the way this node runs it, not with this unit', null),
      }),
    ];
  }
  if (runtime.error === null) return []; // not read yet
  // The runtime clients word a call that never came back as "no answer to <call> in time".
  const hung = /no answer|did not answer|in time|hung|timed out|timeout/i.test(runtime.error);
  const proof = [evidence(runtime.error, name)];
  if (unitWords) proof.push(evidence(unitWords, `${unit!.name} over D-Bus`, unit!.since));
  const unitDown = unit !== null && unit.activeState !== 'active';
  const unitName = unit?.name ?? runtimeUnit?.name ?? null;
  return [
    cause(LAYER.runtime, 'all', {
      code: 'runtime-down',
      severity: 'error',
      title: `the container runtime ${hung ? 'hangs' : 'does not answer'} on ${name}${unitDown ? ` and ${unitWords}` : ''}: kubelet can start, stop or restart nothing (running containers keep running)`,
      subject: unitName,
      evidence: proof,
      fix: unitName
        ? fix(
            unitDown ? 'start it' : 'restart it (its containers keep running: their shims hold them)',
            `breakglass restart-unit ${unitName}`,
            { action: 'restart-unit', target: unitName },
          )
        : fix('start the runtime the way this node runs it', null),
    }),
  ];
}

const LOW_FREE_PCT = 10; // kubelet's default hard eviction threshold, nodefs.available<10%
const FULL_FREE_PCT = 5;
/** Less than two of etcd's WAL files (it preallocates 64 MB each): full whatever the percentage. */
const FULL_FREE_BYTES = 128 * 1024 * 1024;

/** File systems of /, /var/lib/etcd, /var/lib/kubelet, /var/log nearly full: one finding per device. */
export function diskCauses({ facts }: DoctorInput): Cause[] {
  const sample = facts.vitals.value;
  if (!sample) return [];
  const byDevice = new Map<string, { labels: string[]; fs: FileSystemVitals }>();
  for (const f of sample.filesystems) {
    if (!f.ok) continue;
    const entry = byDevice.get(f.devNum) ?? { labels: [], fs: f };
    entry.labels.push(f.label);
    byDevice.set(f.devNum, entry);
  }
  const out: Cause[] = [];
  for (const { labels, fs } of byDevice.values()) {
    const freePct = 100 - fs.usedPct;
    const inodesFreePct = fs.inodesUsedPct === null ? 100 : 100 - fs.inodesUsedPct;
    const full =
      freePct < FULL_FREE_PCT || fs.availableBytes < FULL_FREE_BYTES || inodesFreePct < FULL_FREE_PCT;
    if (!full && freePct >= LOW_FREE_PCT && inodesFreePct >= LOW_FREE_PCT) continue;
    const etcd = labels.includes('/var/lib/etcd');
    const where = labels.join(', ');
    const left = `${mib(fs.availableBytes)} free of ${mib(fs.totalBytes)} (${freePct.toFixed(1)} %)${inodesFreePct < LOW_FREE_PCT ? `, ${inodesFreePct.toFixed(1)} % of inodes free` : ''}`;
    const harm = etcd
      ? 'etcd cannot write its WAL and stops, and the API server with it'
      : labels.includes('/var/log')
        ? 'container logs and the journal cannot be written; kubelet evicts pods below 10 %'
        : 'kubelet evicts pods below 10 % and images cannot be pulled';
    out.push(
      cause(LAYER.disk, full && etcd ? ['etcd'] : [], {
        code: etcd ? 'etcd-disk-full' : full ? 'disk-full' : 'disk-low',
        severity: full ? 'error' : 'warning',
        title: `the file system of ${where} is ${full ? 'full' : 'nearly full'} (${left}): ${harm}`,
        subject: etcd ? 'etcd' : null,
        evidence: [evidence(left, `statfs of ${where}`, sample.at)],
        fix: fix(
          etcd
            ? "make room on it without touching etcd's member/ directory (never delete its WAL or snap files); upgrades leave full etcd copies in /etc/kubernetes/tmp/kubeadm-backup-etcd-*"
            : 'find what fills it and move it away (old kubeadm backups in /etc/kubernetes/tmp, the journal, unused images)',
          `du -xh --max-depth=2 ${labels[0]} | sort -h | tail -20${labels.includes('/var/log') ? '; journalctl --vacuum-size=500M' : ''}`,
        ),
      }),
    );
  }
  return out;
}

function mib(bytes: number): string {
  if (bytes >= 10 * 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(0)} GiB`;
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  return `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
}

/** The start of a log line, for a title. */
function clipWords(text: string): string {
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}
