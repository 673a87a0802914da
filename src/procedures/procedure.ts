// A change of several steps, defined once: each step says what it will do (the plan the confirmation
// shows) and does it (run). The same definition is planned and run by the CLI and by the TUI, which
// runs it as a child `breakglass` and shows its events.
//
// A step either passes, or fails with a sentence that says why and what to do. After a failure the
// remaining steps are skipped, except those marked `always`: a step that puts back what an earlier step
// took away (a manifest moved out) runs whatever happened before it.
import type { NodeFacts } from '../model/facts.js';
import type { NodeModel } from '../model/node.js';
import type { NodeOps } from '../ops/node-ops.js';

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
}

export interface StepContext {
  node: NodeWatch;
  ops: NodeOps;
  signal: AbortSignal;
  /** A line of progress, shown as it happens. */
  say(text: string): void;
}

export type StepResult = { ok: true } | { ok: false; text: string };

export interface Step<P, S> {
  id: string;
  describe(params: P, plan: PlanContext): string;
  /** Runs even after an earlier step failed. */
  always?: boolean;
  /** Not part of this run (shown in no plan either), e.g. a health gate for a pod without a probe. */
  skip?(params: P): boolean;
  run(ctx: StepContext, params: P, state: S): Promise<StepResult>;
}

export interface Procedure<P, S> {
  /** The command that runs it: `breakglass <command> ...`. */
  command: string;
  title(params: P): string;
  steps: Step<P, S>[];
  /** The run's own state, made when it starts (e.g. the containers that ran before). */
  start(params: P, node: NodeWatch): S;
  notes?(params: P, plan: PlanContext): string[];
  warnings(params: P, plan: PlanContext): string[];
  /** The outcome's sentence when every step passed. */
  success(params: P, state: S): string;
}

export type ProcedureEvent =
  | { event: 'plan'; plan: Plan }
  | { event: 'step'; index: number; id: string; text: string }
  | { event: 'progress'; text: string }
  | { event: 'step-done'; index: number; id: string; ok: boolean; text?: string };

export interface Outcome {
  ok: boolean;
  text: string;
}

export function planOf<P, S>(procedure: Procedure<P, S>, params: P, plan: PlanContext): Plan {
  return {
    title: procedure.title(params),
    steps: procedure.steps.filter((s) => !s.skip?.(params)).map((s) => s.describe(params, plan)),
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
): Promise<Outcome & { state: S }> {
  const state = procedure.start(params, env.node);
  const ctx: StepContext = { ...env, say: (text) => emit({ event: 'progress', text }) };
  let failure: string | null = null;
  for (const [index, step] of procedure.steps.entries()) {
    if (step.skip?.(params) || (failure !== null && !step.always)) continue;
    const text = step.describe(params, planContextOf(env.node));
    emit({ event: 'step', index, id: step.id, text });
    let result: StepResult;
    try {
      result = await step.run(ctx, params, state);
    } catch (err) {
      result = { ok: false, text: err instanceof Error ? err.message : String(err) };
    }
    // A wait cut short by the operator fails, and says so rather than why waiting would have failed.
    if (!result.ok && env.signal.aborted)
      result = { ok: false, text: `stopped waiting (cancelled): ${text}` };
    emit({ event: 'step-done', index, id: step.id, ...result });
    // A step that puts something back and fails says the most urgent thing: it was not put back.
    if (!result.ok) failure = failure === null || step.always ? result.text : failure;
  }
  return failure === null
    ? { ok: true, text: procedure.success(params, state), state }
    : { ok: false, text: failure, state };
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
