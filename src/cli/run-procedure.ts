// A procedure from the command line: the node watched while it runs (a store with just the feeds its
// gates need), the plan shown and confirmed when asked for, every step and its progress printed as it
// happens (one JSON object per line with --json), the outcome last. The TUI runs these same commands
// as a child and reads the JSON lines.
import type { NodeFacts } from '../model/facts.js';
import { type NodeModel, nodeModel } from '../model/node.js';
import { type NodeOps, nodeOps } from '../ops/node-ops.js';
import {
  type Plan,
  type Procedure,
  type ProcedureEvent,
  planContextOf,
  planOf,
  runProcedure,
} from '../procedures/procedure.js';
import { type FeedName, NodeStore } from '../store/store.js';
import { storeWatch, waitFor } from '../store/watch.js';
import { BreakglassError } from '../util/errors.js';
import { sanitizeLine } from '../util/sanitize.js';
import type { CliArgs } from './args.js';
import { EXIT_OK, EXIT_PROBLEMS, type Io, jsonLine } from './io.js';
import { discover, storeOptions } from './node.js';

export interface ProcedureRun<P, S> {
  procedure: Procedure<P, S>;
  /** What the gates watch besides the manifests (always watched). */
  feeds: FeedName[];
  /** The parameters from the node as it is (throws a BreakglassError for an unknown NAME). */
  params(model: NodeModel, facts: NodeFacts): P;
  /** Ask before anything changes (unless --yes); without a terminal, refuse without --yes. */
  confirm: boolean;
  /** Asks in its own words instead of the plan and y/N; throws a BreakglassError when not confirmed. */
  ask?(io: Io, params: P, ops: NodeOps): Promise<void>;
  /** false: print only the outcome (and with --json its one line), not every step. */
  events?: boolean;
  /** Fields the result line carries besides ok and text. */
  result?(params: P, state: S): Record<string, unknown>;
}

/** How long to wait for the first word of the runtime, systemd and the API server's probe. */
const READY_SECONDS = 6;

export async function runProcedureCommand<P, S>(
  args: CliArgs,
  io: Io,
  run: ProcedureRun<P, S>,
): Promise<number> {
  const layout = await discover(args.flags);
  const store = new NodeStore({ ...storeOptions(args.flags, layout), notifyMs: 50 });
  const ops = nodeOps({ layout, readOnly: args.flags.readOnly, dbusAddress: store.snapshot.dbusAddress });
  const signal = io.signal ?? new AbortController().signal;
  try {
    store.start(run.feeds);
    await waitFor(store, (_, facts) => ready(facts, run.feeds), READY_SECONDS, signal);
    const node = storeWatch(store);
    const params = run.params(nodeModel(store.snapshot), store.snapshot);
    const plan = planOf(run.procedure, params, planContextOf(node));
    if (run.confirm && !args.flags.yes) {
      if (run.ask) await run.ask(io, params, ops);
      else await confirm(io, plan, args.flags.json);
    }
    const quiet = run.events === false;
    const emit = (e: ProcedureEvent) => {
      if (quiet) return;
      if (args.flags.json) jsonLine(io, e);
      else io.out(eventText(e));
    };
    if (args.flags.json) emit({ event: 'plan', plan });
    const outcome = await runProcedure(run.procedure, params, { node, ops, signal }, emit);
    if (args.flags.json) {
      jsonLine(io, { ok: outcome.ok, text: outcome.text, ...run.result?.(params, outcome.state) });
    } else if (outcome.ok) {
      io.out(`✓ ${sanitizeLine(outcome.text)}\n`);
    } else {
      io.err(`breakglass: ${sanitizeLine(outcome.text)}\n`);
    }
    return outcome.ok ? EXIT_OK : EXIT_PROBLEMS;
  } finally {
    await ops.close();
    await store.close();
  }
}

function ready(facts: NodeFacts, feeds: FeedName[]): boolean {
  if (feeds.includes('runtime') && facts.runtime.at === null) return false;
  if (feeds.includes('systemd') && facts.kubeletUnit.at === null) return false;
  if (feeds.includes('health') && !facts.health.has('kube-apiserver')) return false;
  return true;
}

async function confirm(io: Io, plan: Plan, json: boolean): Promise<void> {
  if (!io.ask || json) {
    throw new BreakglassError(
      `${plan.title} needs confirmation: pass --yes (no terminal to ask on)`,
      'confirm',
    );
  }
  io.err(planText(plan));
  const answer = await io.ask('Go ahead? [y/N] ');
  if (!/^y(es)?$/i.test(answer.trim()))
    throw new BreakglassError('not confirmed; nothing changed', 'confirm');
}

export function planText(plan: Plan): string {
  return [
    plan.title,
    ...plan.steps.map((s, i) => `  ${i + 1}. ${s}`),
    ...plan.notes.map((n) => `  (${n})`),
    ...plan.warnings.map((w) => `  ! ${w}`),
    '',
  ].join('\n');
}

function eventText(e: ProcedureEvent): string {
  switch (e.event) {
    case 'plan':
      return planText(e.plan);
    case 'step':
      return `${e.index + 1}. ${sanitizeLine(e.text)}\n`;
    case 'progress':
      return `   ${clock()} ${sanitizeLine(e.text)}\n`;
    case 'step-done':
      return e.ok ? '' : `   ✗ ${sanitizeLine(e.text ?? 'failed')}\n`;
  }
}

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}
