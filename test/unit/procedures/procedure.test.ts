// How a procedure runs: steps in order, each announced; after a failure only the steps that put things
// back; their failure is the outcome; a cancelled wait says so. The steps here are plain functions:
// what the runner does with their results is the logic under test.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NodeOps } from '../../../src/ops/node-ops.js';
import {
  type NodeWatch,
  type Procedure,
  type ProcedureEvent,
  planOf,
  rollbackOf,
  runProcedure,
  type Step,
  type StepResult,
} from '../../../src/procedures/procedure.js';

/** Only what the runner reads to describe a step: the directories and what answers. */
const NODE = {
  facts: () => ({
    layout: { manifests: { value: '/m' }, holding: { value: '/h' } },
    runtime: { choice: null },
  }),
  model: () => ({ apiServer: null }),
} as unknown as NodeWatch;
const OPS = {} as NodeOps;
const PLAN = { manifestsDir: '/m', holdingDir: '/h', apiServerAnswers: true, runtimeKind: 'cri' as const };

function step(id: string, result: StepResult, extra: Partial<Step<{ skipHealth: boolean }, string[]>> = {}) {
  return {
    id,
    describe: () => `do ${id}`,
    run: async (_ctx: unknown, _p: unknown, ran: string[]) => {
      ran.push(id);
      return result;
    },
    ...extra,
  } as Step<{ skipHealth: boolean }, string[]>;
}

function procedure(
  steps: Step<{ skipHealth: boolean }, string[]>[],
): Procedure<{ skipHealth: boolean }, string[]> {
  return {
    command: 'test',
    title: () => 'Test',
    steps,
    start: () => [],
    notes: () => ['a note'],
    warnings: () => ['a warning'],
    success: (_, ran) => `ran ${ran.join(', ')}`,
  };
}

async function run(p: Procedure<{ skipHealth: boolean }, string[]>, signal = new AbortController().signal) {
  const events: ProcedureEvent[] = [];
  const outcome = await runProcedure(p, { skipHealth: true }, { node: NODE, ops: OPS, signal }, (e) =>
    events.push(e),
  );
  return { outcome, events };
}

test('the plan is what the steps say they will do; a skipped step is not in it', () => {
  const p = procedure([
    step('move', { ok: true }),
    step('health', { ok: true }, { skip: (x) => x.skipHealth }),
    step('back', { ok: true }),
  ]);
  assert.deepEqual(planOf(p, { skipHealth: true }, PLAN), {
    title: 'Test',
    steps: ['do move', 'do back'],
    notes: ['a note'],
    warnings: ['a warning'],
  });
});

test('every step runs in order, each announced and reported, and the outcome is the success sentence', async () => {
  const { outcome, events } = await run(procedure([step('a', { ok: true }), step('b', { ok: true })]));
  assert.deepEqual(outcome, { ok: true, text: 'ran a, b', state: ['a', 'b'] });
  assert.deepEqual(
    events.map((e) => `${e.event}:${'id' in e ? e.id : ''}`),
    ['step:a', 'step-done:a', 'step:b', 'step-done:b'],
  );
});

test('after a failure only the steps that put things back run, and the first failure is the outcome', async () => {
  const { outcome } = await run(
    procedure([
      step('out', { ok: true }),
      step('wait', { ok: false, text: 'it did not stop' }),
      step('back', { ok: true }, { always: true }),
      step('gate', { ok: true }),
    ]),
  );
  assert.deepEqual(outcome, { ok: false, text: 'it did not stop', state: ['out', 'wait', 'back'] });
});

test('a step that puts things back and fails says so: that is the most urgent', async () => {
  const { outcome } = await run(
    procedure([
      step('wait', { ok: false, text: 'it did not stop' }),
      step('back', { ok: false, text: 'the manifest could not be moved back' }, { always: true }),
    ]),
  );
  assert.equal(outcome.text, 'the manifest could not be moved back');
});

test('a step that throws fails with its message; the runner itself never throws', async () => {
  const boom = {
    id: 'boom',
    describe: () => 'boom',
    run: async () => Promise.reject(new Error('disk full')),
  };
  const { outcome } = await run(procedure([boom as Step<{ skipHealth: boolean }, string[]>]));
  assert.deepEqual([outcome.ok, outcome.text], [false, 'disk full']);
});

test('a wait cut short by the operator says it was cancelled, and what puts things back still runs', async () => {
  const controller = new AbortController();
  controller.abort();
  const { outcome } = await run(
    procedure([step('wait', { ok: false, text: 'timed out' }), step('back', { ok: true }, { always: true })]),
    controller.signal,
  );
  assert.deepEqual(outcome, {
    ok: false,
    text: 'stopped waiting (cancelled): do wait',
    state: ['wait', 'back'],
  });
});

/** A journal that remembers what it was told, as a durable run's record would. */
function memoryJournal() {
  const told: string[] = [];
  return {
    told,
    journal: {
      takingAway: (f: string) => told.push(`away ${f}`),
      putBack: (f: string) => told.push(`back ${f}`),
      dataAside: (entry: unknown) => told.push(`aside ${JSON.stringify(entry)}`),
      stepStarted: (_: number, id: string) => told.push(`start ${id}`),
      stepEnded: (_: number, id: string, status: string) => told.push(`${status} ${id}`),
    },
  };
}

test('a durable run tells its journal before and after each step, and what a step takes away', async () => {
  const { told, journal } = memoryJournal();
  const away = {
    id: 'out',
    describe: () => 'take it away',
    run: async (ctx: { journal: { takingAway(f: string, d: string): void; putBack(f: string): void } }) => {
      ctx.journal.takingAway('etcd.yaml', 'etcd.yaml');
      ctx.journal.putBack('etcd.yaml');
      return { ok: true as const };
    },
  } as unknown as Step<{ skipHealth: boolean }, string[]>;
  const p = procedure([away, step('gate', { ok: false, text: 'no' }), step('later', { ok: true })]);
  await runProcedure(
    p,
    { skipHealth: true },
    { node: NODE, ops: OPS, signal: new AbortController().signal },
    () => {},
    {
      journal,
    },
  );
  assert.deepEqual(told, [
    'start out',
    'away etcd.yaml',
    'back etcd.yaml',
    'done out',
    'start gate',
    'failed gate',
    'skipped later',
  ]);
});

test('a resumed run skips the steps done before, says so, and runs the rest', async () => {
  const events: ProcedureEvent[] = [];
  const p = procedure([step('a', { ok: true }), step('b', { ok: true }), step('c', { ok: true })]);
  const outcome = await runProcedure(
    p,
    { skipHealth: true },
    { node: NODE, ops: OPS, signal: new AbortController().signal },
    (e) => events.push(e),
    { done: new Set(['a', 'b']) },
  );
  assert.deepEqual(outcome.state, ['c']);
  assert.deepEqual(
    events.filter((e) => e.event === 'step-done').map((e) => [e.id, e.resumed === true]),
    [
      ['a', true],
      ['b', true],
      ['c', false],
    ],
  );
  assert.match(planOf(p, { skipHealth: true }, PLAN, new Set(['a'])).steps[0]!, /\(done before: skipped\)$/);
});

test('a roll back undoes the steps that ran, newest first; steps without an undo are not in it', async () => {
  const undone: string[] = [];
  const undoable = (id: string) =>
    ({
      ...step(id, { ok: true }),
      undo: {
        describe: () => `undo ${id}`,
        run: async () => {
          undone.push(id);
          return { ok: true as const };
        },
      },
    }) as Step<{ skipHealth: boolean }, string[]>;
  const p = procedure([
    step('snapshot', { ok: true }),
    undoable('etcd'),
    undoable('apiserver'),
    undoable('scheduler'),
  ]);
  const back = rollbackOf(p, new Set(['snapshot', 'etcd', 'apiserver']));
  assert.deepEqual(planOf(back, { skipHealth: true }, PLAN).steps, ['undo apiserver', 'undo etcd']);
  const outcome = await runProcedure(
    back,
    { skipHealth: true },
    { node: NODE, ops: OPS, signal: new AbortController().signal },
    () => {},
  );
  assert.equal(outcome.ok, true);
  assert.deepEqual(undone, ['apiserver', 'etcd']);
});
