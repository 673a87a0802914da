// The diagnosis of what the store holds: its facts, kubelet's journal and the evidence feed's reads,
// as the pure diagnosis takes them. Memoized per snapshot and journal version, so a repaint that
// changed nothing costs nothing.
import { diagnose } from '../model/diagnosis/diagnose.js';
import type { Diagnosis, DoctorInput } from '../model/diagnosis/types.js';
import { nodeModel } from '../model/node.js';
import type { NodeSnapshot } from './snapshot.js';

const JOURNAL_LINES = 200;

export function doctorInput(s: NodeSnapshot, now = Date.now()): DoctorInput {
  const journal = s.journal.tail(JOURNAL_LINES);
  return {
    facts: s,
    model: nodeModel(s),
    kubeletJournal: journal.map((e) => ({ time: e.time, text: e.text, level: e.level })),
    crashLogs: s.evidence.crashLogs,
    etcd: s.evidence.etcd,
    now,
  };
}

const cache = new WeakMap<NodeSnapshot, { journalVersion: number; findings: Diagnosis[] }>();

export function diagnoseSnapshot(s: NodeSnapshot): Diagnosis[] {
  const hit = cache.get(s);
  if (hit && hit.journalVersion === s.journal.version) return hit.findings;
  const findings = diagnose(doctorInput(s));
  cache.set(s, { journalVersion: s.journal.version, findings });
  return findings;
}
