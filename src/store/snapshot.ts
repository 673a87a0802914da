// What the store holds: the node's facts (a slot per source), plus what only a screen needs: kubelet's
// journal, the followed pod's container log, and the file a view shows. Replaced, never mutated, on
// every change of a fact; the log buffers are bounded rings that grow in place (their versions count).
import type { AuditLine } from '../model/audit.js';
import type { DoctorEvidence } from '../model/diagnosis/types.js';
import type { NodeFacts, Slot } from '../model/facts.js';
import type { LogBuffer } from '../model/log-buffer.js';

export interface PodLogView {
  /** The pod (its view's key) whose container log is followed; null: none. */
  key: string | null;
  buffer: LogBuffer;
  /** The latest note about the stream ("the container restarted", why it cannot be read). */
  note: string | null;
}

export interface ShownManifest {
  /** The pod view's key. */
  key: string;
  /** The file's lines, sanitized; a note line at the end when it was cut. */
  lines: string[];
  /** The diff from the last version its pod ran healthy on to this one (sanitized lines); null: none kept. */
  healthyDiff: { sha256: string; at: string; lines: string[] } | null;
  /** Why there is no diff to show, in words (this is the last healthy version, none is known). */
  healthyNote: string | null;
}

export interface NodeSnapshot extends NodeFacts {
  journal: LogBuffer;
  podLog: PodLogView;
  /** The manifest the manifest view shows, read when it opens (again when the file changes). */
  manifestText: Slot<ShownManifest>;
  /** The newest audit records, read when the audit view opens. */
  audit: Slot<AuditLine[]>;
  /** What only the diagnosis reads: failing pods' last log lines, etcd's word on itself. */
  evidence: DoctorEvidence;
  /** Bumped on every change of a fact. */
  version: number;
}
