// `breakglass restart NAME... | --all`: the guided restart (procedures/restart-pods.ts), run detached and
// durably; `--attach` follows the one that runs, `--cancel` stops it, `--resume` continues the last one
// that did not finish, `--rollback` undoes what it did.
import { type Procedure, rollbackOf } from '../../procedures/procedure.js';
import { type RestartAsk, restartParams } from '../../procedures/restart-params.js';
import { type RestartParams, restartPods } from '../../procedures/restart-pods.js';
import { BreakglassError } from '../../util/errors.js';
import type { CliArgs } from '../args.js';
import { commandFlagArgs, type Flags, nodeFlagArgs, parseFlags } from '../flags.js';
import type { Io } from '../io.js';
import { discover } from '../node.js';
import { runProcedureCommand } from '../run-procedure.js';
import { attachCommand, cancelCommand, lastUnfinished } from './restart-control.js';

const MODES = ['attach', 'cancel', 'resume', 'rollback'] as const;
/** What the record keeps of the flags: those that shape the plan, not those that say how to ask. */
const NOT_RECORDED = ['yes', 'json', 'attach', 'cancel', 'resume', 'rollback'] as const;

export async function restart(args: CliArgs, io: Io): Promise<number> {
  const { flags } = args;
  const modes = MODES.filter((f) => flags[f]);
  if (modes.length > 1) throw new BreakglassError(`--${modes.join(' and --')} do not go together`, 'usage');
  const mode = modes[0];
  if (mode && (args.targets.length > 0 || flags.all))
    throw new BreakglassError(
      `--${mode} takes no NAME and no --all: it acts on the restart it finds`,
      'usage',
    );
  if (mode === 'attach') return attachCommand(args, io);
  if (mode === 'cancel') return cancelCommand(args, io);
  if (!mode && args.targets.length === 0 && !flags.all)
    throw new BreakglassError('restart takes one or more NAMEs, or --all', 'usage');
  if (!mode && args.targets.length > 0 && flags.all)
    throw new BreakglassError('restart takes NAMEs or --all, not both', 'usage');
  const run = mode ? await again(args, mode) : fresh(args);
  const code = await runProcedureCommand(args, io, {
    procedure: run.procedure,
    feeds: ['runtime', 'health'],
    confirm: true,
    params: (model, facts) => restartParams(model, facts, askOf(run.asked)),
    result: (p) => ({ pods: p.pods.map((x) => x.name) }),
    durable: {
      doing: 'restart static pods',
      // The detached run works out a --resume or --rollback again itself, under the lock.
      argv: [
        'restart',
        ...(mode ? [`--${mode}`] : [...args.targets, ...commandFlagArgs(flags, 'restart', NOT_RECORDED)]),
        ...nodeFlagArgs(flags),
      ],
      recordArgs: run.recordArgs,
      done: () => run.done,
    },
  });
  return code === 0 ? code : offerWayOut(args, io, code);
}

/** On a terminal, after a failed step: retry it (and go on), roll back what ran, or leave it. */
async function offerWayOut(args: CliArgs, io: Io, code: number): Promise<number> {
  const { flags } = args;
  if (!io.ask || flags.json || flags.yes || io.signal?.aborted) return code;
  const layout = await discover(flags);
  if (!lastUnfinished(layout.stateDir.value)) return code;
  const answer = (
    await io.ask('[r]etry from the step that failed, roll [b]ack what ran, or [l]eave it as it is? [l] ')
  )
    .trim()
    .toLowerCase();
  const next = answer.startsWith('r') ? 'resume' : answer.startsWith('b') ? 'rollback' : null;
  if (!next) {
    io.err(
      'left as it is: `breakglass restart --resume` retries, `breakglass restart --rollback` rolls back\n',
    );
    return code;
  }
  return restart({ ...args, targets: [], flags: { ...flags, all: false, [next]: true } }, io);
}

interface RestartRun {
  procedure: Procedure<RestartParams, unknown>;
  asked: { targets: string[]; flags: Flags; cordonedBefore?: boolean };
  recordArgs: string[];
  done: ReadonlySet<string>;
}

function fresh(args: CliArgs): RestartRun {
  return {
    procedure: restartPods,
    asked: { targets: args.targets, flags: args.flags },
    recordArgs: [...args.targets, ...commandFlagArgs(args.flags, 'restart', NOT_RECORDED)],
    done: new Set(),
  };
}

/** --resume and --rollback: the last run that did not finish, planned again from its own names and flags. */
async function again(args: CliArgs, mode: 'resume' | 'rollback'): Promise<RestartRun> {
  const layout = await discover(args.flags);
  const previous = lastUnfinished(layout.stateDir.value);
  if (!previous)
    throw new BreakglassError(
      `no unfinished restart to ${mode === 'resume' ? 'resume' : 'roll back'}`,
      'nothing',
    );
  const parsed = parseFlags(previous.args);
  const flags: Flags = {
    ...parsed.flags,
    yes: args.flags.yes,
    json: args.flags.json,
    readOnly: args.flags.readOnly,
  };
  // Whether that run had cordoned the node: its end (or its roll back) must make it schedulable again.
  const cordonedBefore = previous.steps.some(
    (s) => s.id === 'cordon' && s.status === 'done' && / cordoned$/.test(s.outcome ?? ''),
  );
  const asked = { targets: parsed.positionals, flags, cordonedBefore };
  const wasRollback = parsed.flags.rollback;
  const baseArgs = previous.args.filter((a) => a !== '--rollback');
  if (mode === 'resume' && !wasRollback) {
    const done = new Set(previous.steps.filter((s) => s.status === 'done').map((s) => s.id));
    return { procedure: restartPods, asked, recordArgs: baseArgs, done };
  }
  // A roll back undoes what the restart ran; a roll back resumed or asked again, what it was to undo.
  const ran = wasRollback
    ? previous.steps.map((s) => s.id.replace(/^undo:/, ''))
    : previous.steps.filter((s) => s.status !== 'pending' && s.status !== 'skipped').map((s) => s.id);
  const done =
    mode === 'resume'
      ? new Set(previous.steps.filter((s) => s.status === 'done').map((s) => s.id))
      : new Set<string>();
  return {
    procedure: rollbackOf(restartPods, new Set(ran)) as Procedure<RestartParams, unknown>,
    asked,
    recordArgs: [...baseArgs, '--rollback'],
    done,
  };
}

function askOf(asked: { targets: string[]; flags: Flags; cordonedBefore?: boolean }): RestartAsk {
  const { flags } = asked;
  return {
    names: asked.targets,
    all: flags.all,
    method: flags.method ?? 'auto',
    skipSnapshot: flags.skipSnapshot,
    keepSnapshots: flags.keepSnapshots,
    force: flags.force,
    gateSeconds: flags.gateTimeout,
    cordon: flags.cordon,
    cordonedBefore: asked.cordonedBefore ?? false,
  };
}
