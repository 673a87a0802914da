// A procedure from the command line: the node watched while it runs (a store with just the feeds its
// gates need), the plan shown and confirmed when asked for, every step and its progress printed as it
// happens (one JSON object per line with --json), the outcome last. The TUI runs these same commands
// as a child and reads the JSON lines.
//
// A durable procedure (the restart) runs detached (cli/detached.ts): this process plans, confirms,
// starts the run and follows its event log; the run itself (RUNNER_ENV set) holds the lock from before
// its plan to its result and writes its record before and after every step (ops/procedure-record.ts).
import type { NodeFacts } from '../model/facts.js';
import { type NodeModel, nodeModel } from '../model/node.js';
import type { NodeLayout } from '../node/discover.js';
import { checkMayChange, entryNotes, guardedChangeAsync } from '../ops/guard.js';
import { type NodeOps, nodeOps } from '../ops/node-ops.js';
import { eventsPathOf, ProcedureRecordWriter } from '../ops/procedure-record.js';
import {
  type Plan,
  type Procedure,
  type ProcedureEvent,
  planContextOf,
  planOf,
  runProcedure,
  stepsOf,
} from '../procedures/procedure.js';
import { type FeedName, NodeStore } from '../store/store.js';
import { storeWatch, waitFor } from '../store/watch.js';
import { BreakglassError } from '../util/errors.js';
import { sanitizeLine } from '../util/sanitize.js';
import type { CliArgs } from './args.js';
import { attach, launchRunner, RUNNER_ENV } from './detached.js';
import { EXIT_OK, EXIT_PROBLEMS, type Io, jsonLine } from './io.js';
import { discover, storeOptions } from './node.js';
import { eventText, planText } from './procedure-text.js';

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
  /** Run detached and durably (see above). */
  durable?: DurableSpec;
}

export interface DurableSpec {
  /** `breakglass <these>` starts the same run again (the node's flags included). */
  argv: string[];
  /** What the record keeps to plan the same run again for --resume: its names and its own flags. */
  recordArgs: string[];
  /** Step ids done by the run this one resumes; read under the lock, after recovery. */
  done?(): ReadonlySet<string>;
  /** Said when the change is refused for want of root: "restart static pods". */
  doing: string;
}

/** How long to wait for the first word of the runtime, systemd and the API server's probe. */
const READY_SECONDS = 6;

export async function runProcedureCommand<P, S>(
  args: CliArgs,
  io: Io,
  run: ProcedureRun<P, S>,
): Promise<number> {
  const layout = await discover(args.flags);
  const runnerId = process.env[RUNNER_ENV];
  if (run.durable && !runnerId)
    checkMayChange({ readOnly: args.flags.readOnly, stateDir: '' }, run.durable.doing);
  const store = new NodeStore({ ...storeOptions(args.flags, layout), notifyMs: 50 });
  const ops = nodeOps({ layout, readOnly: args.flags.readOnly, dbusAddress: store.snapshot.dbusAddress });
  const signal = io.signal ?? new AbortController().signal;
  let foreground: { plan: Plan } | null = null;
  try {
    store.start(run.feeds);
    await waitFor(store, (_, facts) => ready(facts, run.feeds), READY_SECONDS, signal);
    const node = storeWatch(store);
    const emit = emitter(args, io, run.events !== false);
    if (run.durable && runnerId) {
      return await runDurably(args, io, run, run.durable, { layout, store, ops, runnerId, emit });
    }
    const params = run.params(nodeModel(store.snapshot), store.snapshot);
    const plan = planOf(run.procedure, params, planContextOf(node), run.durable?.done?.());
    if (run.confirm && !args.flags.yes) {
      if (run.ask) await run.ask(io, params, ops);
      else await confirm(io, plan, args.flags.json);
    }
    if (run.durable) {
      foreground = { plan };
    } else {
      if (args.flags.json) emit({ event: 'plan', plan });
      const outcome = await runProcedure(run.procedure, params, { node, ops, signal }, emit);
      return report(args, io, outcome, run.result?.(params, outcome.state));
    }
  } finally {
    await ops.close();
    await store.close();
  }
  // The store is closed before the run starts: this process only follows it from here.
  if (!foreground || !run.durable) throw new Error('unreachable: a plain procedure returned above');
  const runner = launchRunner(layout.stateDir.value, run.procedure.command, [
    ...run.durable.argv,
    '--yes',
    '--json',
  ]);
  return attach(io, runner, {
    command: run.procedure.command,
    json: args.flags.json,
    fromStart: true,
    skipPlan: !args.flags.yes && !args.flags.json,
    cancel: () => runner.cancel(),
  });
}

interface RunnerEnv {
  layout: NodeLayout;
  store: NodeStore;
  ops: NodeOps;
  runnerId: string;
  emit: (e: ProcedureEvent) => void;
}

/** The detached run: the lock held from before the plan to the result, the record kept at each step. */
async function runDurably<P, S>(
  args: CliArgs,
  io: Io,
  run: ProcedureRun<P, S>,
  durable: DurableSpec,
  env: RunnerEnv,
): Promise<number> {
  const stateDir = env.layout.stateDir.value;
  const signal = io.signal ?? new AbortController().signal;
  const guard = { stateDir, readOnly: args.flags.readOnly };
  return guardedChangeAsync(guard, durable.doing, async (entry) => {
    for (const note of entryNotes(entry)) env.emit({ event: 'progress', text: `note: ${note}` });
    env.store.rescanManifests();
    const node = storeWatch(env.store);
    const params = run.params(nodeModel(env.store.snapshot), env.store.snapshot);
    const done = durable.done?.() ?? new Set<string>();
    const context = planContextOf(node);
    const plan = planOf(run.procedure, params, context, done);
    env.emit({ event: 'plan', plan });
    const eventsPath = eventsPathOf(stateDir, env.runnerId);
    const writer = new ProcedureRecordWriter(stateDir, {
      id: env.runnerId,
      command: run.procedure.command,
      args: durable.recordArgs,
      eventsPath,
      node: {
        manifests: env.layout.manifests.value,
        holding: env.layout.holding.value,
        nodeName: env.layout.nodeName.value,
      },
      steps: stepsOf(run.procedure, params).map((s) => ({ id: s.id, text: s.describe(params, context) })),
    });
    env.emit({
      event: 'started',
      id: env.runnerId,
      pid: process.pid,
      eventsPath,
      command: run.procedure.command,
    });
    const outcome = await runProcedure(run.procedure, params, { node, ops: env.ops, signal }, env.emit, {
      journal: writer,
      done,
    });
    writer.finish(outcome.ok, outcome.text);
    return report(args, io, outcome, { id: env.runnerId, ...run.result?.(params, outcome.state) });
  });
}

function emitter(args: CliArgs, io: Io, events: boolean): (e: ProcedureEvent) => void {
  return (e) => {
    if (!events) return;
    if (args.flags.json) jsonLine(io, e);
    else io.out(eventText(e));
  };
}

function report(
  args: CliArgs,
  io: Io,
  outcome: { ok: boolean; text: string },
  fields: Record<string, unknown> | undefined,
): number {
  if (args.flags.json) jsonLine(io, { ok: outcome.ok, text: outcome.text, ...fields });
  else if (outcome.ok) io.out(`✓ ${sanitizeLine(outcome.text)}\n`);
  else io.err(`breakglass: ${sanitizeLine(outcome.text)}\n`);
  return outcome.ok ? EXIT_OK : EXIT_PROBLEMS;
}

function ready(facts: NodeFacts, feeds: FeedName[]): boolean {
  if (feeds.includes('runtime') && facts.runtime.at === null) return false;
  if (feeds.includes('systemd') && facts.kubeletUnit.at === null) return false;
  if (feeds.includes('health') && !facts.health.has('kube-apiserver')) return false;
  if (feeds.includes('certs') && facts.certs.at === null) return false;
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

export { planText };
