// A change as the screen follows it: each step of its plan with its state and times, the progress lines
// of the step that runs, the evidence of a step that failed, the outcome. Built from the procedure's
// events (the child's JSON lines), or from the record of a run that ended while no screen watched. Pure.
import type { ProcedureRecord } from '../../node/state-dir.js';
import type { Outcome, ProcedureEvent } from '../../procedures/procedure.js';
import { sanitizeLine } from '../../util/sanitize.js';

export type StepState = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export interface StepRow {
  id: string;
  text: string;
  state: StepState;
  startedAt: number | null;
  endedAt: number | null;
  /** What it made or said when it passed (a snapshot's path), or why it failed. */
  detail: string | null;
}

export interface ActionProgress {
  title: string;
  steps: StepRow[];
  /** Progress lines, each with the time it came; the newest 200. */
  lines: string[];
  /** What shows why the failed step failed: exit reason, last log lines. */
  evidence: string[];
  startedAt: number;
  outcome: Outcome | null;
  /** A durable restart: on failure it can be retried (--resume) or rolled back. */
  resumable: boolean;
}

export function startedProgress(title: string, at: number, resumable: boolean): ActionProgress {
  return { title, steps: [], lines: [], evidence: [], startedAt: at, outcome: null, resumable };
}

export function reduceProgress(p: ActionProgress, event: ProcedureEvent, at: number): ActionProgress {
  switch (event.event) {
    case 'plan':
      return {
        ...p,
        title: event.plan.title,
        steps: event.plan.steps.map((text, i) => ({
          id: String(i),
          text: sanitizeLine(text),
          state: 'pending',
          startedAt: null,
          endedAt: null,
          detail: null,
        })),
      };
    case 'started':
      return p;
    case 'step':
      return {
        ...p,
        steps: setStep(p.steps, event.index, {
          id: event.id,
          text: sanitizeLine(event.text),
          state: 'running',
          startedAt: at,
        }),
        lines: [...p.lines, `${clock(at)} ${event.index + 1}. ${sanitizeLine(event.text)}`].slice(-200),
      };
    case 'progress':
      return { ...p, lines: [...p.lines, `${clock(at)}    ${sanitizeLine(event.text)}`].slice(-200) };
    case 'step-done': {
      const state: StepState = event.resumed ? 'skipped' : event.ok ? 'done' : 'failed';
      const detail = event.resumed
        ? 'done before'
        : event.ok
          ? (event.detail ?? null)
          : (event.text ?? 'failed');
      return {
        ...p,
        steps: setStep(p.steps, event.index, { id: event.id, state, endedAt: at, detail }),
        evidence: event.ok ? p.evidence : (event.evidence ?? []).map((l) => sanitizeLine(l)),
      };
    }
  }
}

function setStep(steps: StepRow[], index: number, change: Partial<StepRow>): StepRow[] {
  const out = [...steps];
  while (out.length <= index) {
    out.push({
      id: String(out.length),
      text: '',
      state: 'pending',
      startedAt: null,
      endedAt: null,
      detail: null,
    });
  }
  out[index] = { ...out[index]!, ...change };
  return out;
}

/** How a run that no screen watched went, from its record. */
export function progressOfRecord(record: ProcedureRecord): ActionProgress {
  const time = (iso: string | null) => (iso ? Date.parse(iso) : null);
  return {
    title: `The last restart (${record.startedAt})`,
    steps: record.steps.map((s) => ({
      id: s.id,
      text: s.text,
      state:
        s.status === 'done'
          ? 'done'
          : s.status === 'failed' || s.status === 'interrupted'
            ? 'failed'
            : s.status === 'running'
              ? 'running'
              : s.status === 'skipped'
                ? 'skipped'
                : 'pending',
      startedAt: null,
      endedAt: time(s.at),
      detail: s.outcome ?? (s.status === 'interrupted' ? 'interrupted' : null),
    })),
    lines: [],
    evidence: [],
    startedAt: Date.parse(record.startedAt),
    outcome: record.end ? { ok: record.end.ok, text: record.end.text } : null,
    resumable: record.command === 'restart',
  };
}

function clock(at: number): string {
  return new Date(at).toTimeString().slice(0, 8);
}
