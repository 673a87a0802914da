// A change of several steps, defined once: each step says what it will do (the plan the confirmation
// shows) and does it (run). The same definition is planned and run by the CLI and by the TUI, which
// runs it as a child `breakglass` and shows its events.
//
// A step either passes, or fails with a sentence that says why and what to do. After a failure the
// remaining steps are skipped, except those marked `always`: a step that puts back what an earlier step
// took away (a manifest moved out) runs whatever happened before it. A step that passed can say how
// to undo it, for a roll back; a durable run (procedures/durable.ts) writes each step down as it goes.
import type { NodeFacts } from '../model/facts.js';
import type { NodeModel } from '../model/node.js';
import type { DataAside } from '../node/state-dir.js';
import type { NodeOps } from '../ops/node-ops.js';
import type { HealthResult } from '../sources/health.js';
import type { HealthEndpoint } from '../sources/manifests/types.js';

/** What a plan depends on, read from the node when it is made. */
export interface PlanContext {
  manifestsDir: string;
  holdingDir: string;
  /** Whether the API server answered its last probe; null when unknown. */
  apiServerAnswers: boolean | null;
  runtimeKind: 'docker' | 'cri' | null;
}

export interface Plan {
  title: string;
  /** What each step will do, in order. */
  steps: string[];
  /** What else to know: what happens on failure. */
  notes: string[];
  /** What could go wrong right now, on this node. */
  warnings: string[];
}

/** The node while a procedure runs: as it is now, and waiting for it to change. */
export interface NodeWatch {
  facts(): NodeFacts;
  model(): NodeModel;
  /** Resolves true once `done` holds, false after `seconds` or when aborted. */
  waitFor(
    done: (model: NodeModel, facts: NodeFacts) => boolean,
    seconds: number,
    signal: AbortSignal,
  ): Promise<boolean>;
  /** Read the manifest directories again now (after a move). */
  rescan(): void;
  /** Probe the health endpoints now. */
  probeNow(): void;
  /** One probe of an endpoint now, the way the health feed probes it. */
  probe(endpoint: HealthEndpoint): Promise<HealthResult>;
  /** The last lines of a pod's log (its newest container), for the evidence of a failed gate. */
  lastLogLines(pod: { podName: string; namespace: string }, lines: number): Promise<string[]>;
}

/**
 * What a durable run remembers across a crash (ops/procedure-record.ts): what a step is about to take
 * away (a manifest moved out) and what it has put back. A plain run forgets nothing because it records
 * nothing; recovery then has nothing of it to put back.
 */
export interface StepJournal {
  takingAway(fileName: string, displayName: string): void;
  putBack(fileName: string): void;
  /** etcd's data moved aside (or null: back, or nothing aside): recovery puts it back until it is restored. */
  dataAside(entry: DataAside | null): void;
}

export interface StepContext {
  node: NodeWatch;
  ops: NodeOps;
  signal: AbortSignal;
  journal: StepJournal;
  /** A line of progress, shown as it happens. */
  say(text: string): void;
}

export type StepResult =
  | { ok: true; detail?: string }
  /** `evidence`: what shows why (the component's last log lines, its exit reason). */
  | { ok: false; text: string; evidence?: string[] };

export interface Step<P, S> {
  /** Stable across runs of the same command: --resume skips the steps done under these ids. */
  id: string;
  describe(params: P, plan: PlanContext): string;
  /** Runs even after an earlier step failed. */
  always?: boolean;
  /** Not part of this run (shown in no plan either), e.g. a health gate for a pod without a probe. */
  skip?(params: P): boolean;
  run(ctx: StepContext, params: P, state: S): Promise<StepResult>;
  /** How a roll back undoes it once it has passed; none: nothing to undo (a snapshot stays). */
  undo?: {
    describe(params: P, plan: PlanContext): string;
    run(ctx: StepContext, params: P): Promise<StepResult>;
  };
}

export interface Procedure<P, S> {
  /** The command that runs it: `breakglass <command> ...`. */
  command: string;
  title(params: P): string;
  /** Its steps, in order; a function when they depend on what it is asked (the pods to restart). */
  steps: Step<P, S>[] | ((params: P) => Step<P, S>[]);
  /** The run's own state, made when it starts (e.g. the containers that ran before). */
  start(params: P, node: NodeWatch): S;
  notes?(params: P, plan: PlanContext): string[];
  warnings(params: P, plan: PlanContext): string[];
  /** The outcome's sentence when every step passed. */
  success(params: P, state: S): string;
}

export type ProcedureEvent =
  | { event: 'plan'; plan: Plan }
  /** A detached run began: its id, pid and where its events go (re-attach reads them there). */
  | { event: 'started'; id: string; pid: number; eventsPath: string; command?: string }
  | { event: 'step'; index: number; id: string; text: string }
  | { event: 'progress'; text: string }
  | {
      event: 'step-done';
      index: number;
      id: string;
      ok: boolean;
      text?: string;
      detail?: string;
      evidence?: string[];
      /** Done by the run this one resumes: not run again. */
      resumed?: boolean;
    };

export interface Outcome {
  ok: boolean;
  text: string;
}

/** Told before and after each step: a durable run writes it down (ops/procedure-record.ts). */
export interface RunJournal extends StepJournal {
  stepStarted(index: number, id: string): void;
  stepEnded(index: number, id: string, status: 'done' | 'failed' | 'skipped', text: string | null): void;
}

export interface RunOptions {
  journal?: RunJournal;
  /** Step ids an earlier run of the same procedure completed: not run again (--resume). */
  done?: ReadonlySet<string>;
}

const NO_JOURNAL: RunJournal = {
  takingAway: () => {},
  putBack: () => {},
  dataAside: () => {},
  stepStarted: () => {},
  stepEnded: () => {},
};

export function stepsOf<P, S>(procedure: Procedure<P, S>, params: P): Step<P, S>[] {
  const steps = typeof procedure.steps === 'function' ? procedure.steps(params) : procedure.steps;
  return steps.filter((s) => !s.skip?.(params));
}

export function planOf<P, S>(
  procedure: Procedure<P, S>,
  params: P,
  plan: PlanContext,
  done: ReadonlySet<string> = new Set(),
): Plan {
  return {
    title: procedure.title(params),
    steps: stepsOf(procedure, params).map(
      (s) => `${s.describe(params, plan)}${done.has(s.id) ? ' (done before: skipped)' : ''}`,
    ),
    notes: procedure.notes?.(params, plan) ?? [],
    warnings: procedure.warnings(params, plan),
  };
}

/** Runs the steps in order, each announced and reported through `emit`; never throws. */
export async function runProcedure<P, S>(
  procedure: Procedure<P, S>,
  params: P,
  env: { node: NodeWatch; ops: NodeOps; signal: AbortSignal },
  emit: (event: ProcedureEvent) => void,
  options: RunOptions = {},
): Promise<Outcome & { state: S }> {
  const journal = options.journal ?? NO_JOURNAL;
  const state = procedure.start(params, env.node);
  const ctx: StepContext = { ...env, journal, say: (text) => emit({ event: 'progress', text }) };
  let failure: string | null = null;
  for (const [index, step] of stepsOf(procedure, params).entries()) {
    const text = step.describe(params, planContextOf(env.node));
    if (options.done?.has(step.id) && failure === null) {
      emit({ event: 'step', index, id: step.id, text });
      emit({ event: 'step-done', index, id: step.id, ok: true, resumed: true });
      journal.stepEnded(index, step.id, 'done', 'done by the run this one resumes');
      continue;
    }
    if (failure !== null && !step.always) {
      journal.stepEnded(index, step.id, 'skipped', null);
      continue;
    }
    emit({ event: 'step', index, id: step.id, text });
    journal.stepStarted(index, step.id);
    let result: StepResult;
    try {
      result = await step.run(ctx, params, state);
    } catch (err) {
      result = { ok: false, text: err instanceof Error ? err.message : String(err) };
    }
    // A wait cut short by the operator fails, and says so rather than why waiting would have failed.
    if (!result.ok && env.signal.aborted)
      result = { ok: false, text: `stopped waiting (cancelled): ${text}` };
    journal.stepEnded(
      index,
      step.id,
      result.ok ? 'done' : 'failed',
      result.ok ? (result.detail ?? null) : result.text,
    );
    emit({ event: 'step-done', index, id: step.id, ...result });
    // A step that puts something back and fails says the most urgent thing: it was not put back.
    if (!result.ok) failure = failure === null || step.always ? result.text : failure;
  }
  return failure === null
    ? { ok: true, text: procedure.success(params, state), state }
    : { ok: false, text: failure, state };
}

/**
 * The roll back of a run that stopped: the undo of each step it ran (`ran`: their ids), newest first.
 * Steps without an undo (a snapshot, a check) have nothing to take back and are not in it. Every undo
 * runs even when one before it failed: each puts back something of its own.
 */
export function rollbackOf<P, S>(procedure: Procedure<P, S>, ran: ReadonlySet<string>): Procedure<P, null> {
  const undoable = (p: P) =>
    stepsOf(procedure, p)
      .filter((s) => ran.has(s.id) && s.undo)
      .reverse();
  return {
    command: procedure.command,
    title: (p) => `Roll back: ${procedure.title(p)}`,
    steps: (p) =>
      undoable(p).map((s) => ({
        id: `undo:${s.id}`,
        always: true,
        describe: (params: P, plan: PlanContext) => s.undo!.describe(params, plan),
        run: (ctx: StepContext, params: P) => s.undo!.run(ctx, params),
      })),
    start: () => null,
    notes: () => ['every step that ran is undone, the newest first; a snapshot taken is kept'],
    warnings: () => [],
    success: (p) =>
      undoable(p).length === 0
        ? 'nothing to roll back: no step that changed the node had run'
        : 'rolled back: every manifest is in place and its pod runs',
  };
}

/** The plan's context from the node as it is now. */
export function planContextOf(node: Pick<NodeWatch, 'facts' | 'model'>): PlanContext {
  const facts = node.facts();
  const api = node.model().apiServer;
  return {
    manifestsDir: facts.layout.manifests.value,
    holdingDir: facts.layout.holding.value,
    apiServerAnswers: api ? api.ok : null,
    runtimeKind: facts.runtime.choice?.kind ?? null,
  };
}
