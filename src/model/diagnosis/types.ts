// What `breakglass doctor` says and the TUI shows at its top: findings, each a cause in the operator's
// words with the facts it rests on (and where each came from), what else fails because of it, and the
// fix. Ranked so that the first is the most likely root cause: a cascade is one finding, not five.
// Pure data.

import type { Fix } from '../alerts.js';
import type { EtcdView } from '../etcd-cluster.js';
import type { NodeFacts } from '../facts.js';
import type { NodeModel } from '../node.js';

export type DiagnosisCode =
  | 'interrupted-change'
  | 'kubelet-stopped'
  | 'kubelet-failing'
  | 'runtime-down'
  | 'runtime-not-its-unit'
  | 'disk-full'
  | 'disk-low'
  | 'etcd-nospace'
  | 'etcd-corrupt'
  | 'etcd-disk-full'
  | 'etcd-fsync-slow'
  | 'etcd-peers-down'
  | 'etcd-no-quorum'
  | 'certificate-expired'
  | 'certificate-not-yet-valid'
  | 'certificate-expiring'
  | 'manifest-unparsable'
  | 'manifest-invalid'
  | 'stray-copy'
  | 'duplicate-pod'
  | 'disabled-still-running'
  | 'certificate-key-mismatch'
  | 'no-manifest-running'
  | 'http-static-pods'
  | 'bad-flag'
  | 'crash-loop'
  | 'not-started'
  | 'unhealthy'
  | 'apiserver-down';

export type DiagnosisSeverity = 'error' | 'warning' | 'info';

/** One fact a finding rests on, and where it came from. Text from the node is already escaped. */
export interface Evidence {
  text: string;
  /** 'kube-apiserver container log', 'kube-apiserver.yaml', 'kubelet.service over D-Bus', 'statfs', ... */
  source: string;
  /** When the source said it (a log line's time, a sample's), ISO 8601; null when it has no time. */
  at: string | null;
  /** A line (and column) of the file named in source, 1-based. */
  line?: number;
  column?: number;
}

export interface DiagnosisFix {
  /** What to do, in words. */
  text: string;
  /** The exact command: a breakglass one where breakglass has the fix, the manual one otherwise. */
  command: string | null;
  /** The same as an action the TUI offers on a key; null when it has none. */
  action: Fix | null;
}

export interface Diagnosis {
  code: DiagnosisCode;
  severity: DiagnosisSeverity;
  /** One sentence in the operator's words. */
  title: string;
  /** The static pod (its name) or the unit it is about, so a view can mark it; null: node-wide. */
  subject: string | null;
  evidence: Evidence[];
  /** What else fails because of it. */
  consequences: string[];
  fix: DiagnosisFix;
}

/** One line of a log, as the sources give it (sanitized). */
export interface EvidenceLine {
  time: Date | null;
  text: string;
}

/** The newest lines of a failing pod's newest container: what it said before it exited. */
export interface CrashLog {
  /** The pod view's key. */
  podKey: string;
  container: string;
  containerId: string;
  lines: EvidenceLine[];
  /** Why its log could not be read; null when it was. */
  error: string | null;
}

/** etcd's own word on itself (Maintenance.Status: no quorum needed) and whether its peers answer. */
export interface EtcdWord {
  /** Everything the member said, judged (model/etcd-cluster.ts). */
  view: EtcdView;
  /** Alarms and errors the member reports ("NOSPACE", "CORRUPT", ...). */
  errors: string[];
  dbSizeBytes: number;
  /** The member's quota: --quota-backend-bytes, else etcd's default 2 GiB. */
  quotaBytes: number;
  /** Peers that did not answer, by name; empty for a single member. */
  peersDown: { name: string; error: string }[];
  members: number;
  /** This member's ID (decimal, as etcd's alarms write it), and every member's name by ID. */
  memberId: string;
  memberNames: Record<string, string>;
  /** How etcdctl reaches this member, for the fixes' commands. */
  access: { url: string; caFile: string; certFile: string; keyFile: string };
}

export interface DoctorInput {
  facts: NodeFacts;
  model: NodeModel;
  /** kubelet's newest journal lines, oldest first. */
  kubeletJournal: (EvidenceLine & { level: 'error' | 'warning' | 'info' })[];
  crashLogs: CrashLog[];
  /** null when etcd was not asked (not read yet, or no etcd pod here); else its answer or why none. */
  etcd: { word: EtcdWord | null; error: string | null; at: string } | null;
  now: number;
}

/** What the diagnosis reads beyond the node's facts, as the store keeps it. */
export interface DoctorEvidence {
  crashLogs: CrashLog[];
  etcd: DoctorInput['etcd'];
}
