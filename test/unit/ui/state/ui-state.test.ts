// The TUI's state machine: keys in (through the keymap, as intents), state and effects out. No
// terminal, no node.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LogBuffer } from '../../../../src/model/log-buffer.js';
import type { ProcedureEvent } from '../../../../src/procedures/procedure.js';
import { intentOf, type KeyPress } from '../../../../src/ui/state/keymap.js';
import {
  type Effect,
  initialUiState,
  keyMode,
  nextLogSource,
  reduceUi,
  type UiFacts,
  type UiState,
} from '../../../../src/ui/state/ui-state.js';

function context(overrides: Partial<UiFacts> = {}, log = new LogBuffer(100)): UiFacts {
  return {
    readOnly: false,
    pods: [
      { key: 'enabled/etcd.yaml', enabled: true },
      { key: 'enabled/kube-apiserver.yaml', enabled: true },
      { key: 'disabled/kube-scheduler.yaml', enabled: false },
    ],
    log,
    logPageSize: 10,
    viewLength: 100,
    viewPageSize: 20,
    kubeletUnit: 'kubelet.service',
    runtimeUnit: 'containerd.service',
    unfinishedRestart: null,
    ...overrides,
  };
}

function press(state: UiState, keys: (string | KeyPress)[], facts: UiFacts) {
  let s = state;
  let effect: Effect | null = null;
  for (const k of keys) {
    const intent = typeof k === 'string' ? intentOf(keyMode(s), k, {}) : intentOf(keyMode(s), '', k);
    if (!intent) continue;
    const r = reduceUi(s, { type: 'intent', intent, facts });
    s = r.state;
    effect = r.effect ?? effect;
  }
  return { state: s, effect };
}

/** The running change started and finished (the app reports both): its progress can be dismissed now. */
function finished(state: UiState): UiState {
  const request = { kind: 'disable' as const, target: 'enabled/etcd.yaml' };
  const started = reduceUi(state, {
    type: 'action-started',
    request,
    title: 't',
    podKey: null,
    at: 0,
    resumable: false,
  }).state;
  return reduceUi(started, { type: 'action-finished', outcome: { ok: true, text: 'done' } }).state;
}

test('j/k and arrows move the selection inside the rows', () => {
  const ctx = context();
  let { state } = press(initialUiState(), ['j', 'j', 'j', 'j'], ctx);
  assert.equal(state.selected, 2);
  ({ state } = press(state, [{ upArrow: true }, 'k', 'k'], ctx));
  assert.equal(state.selected, 0);
});

test('disable asks first; y runs it; n cancels with nothing done', () => {
  const ctx = context();
  const asked = press(initialUiState(), ['d'], ctx);
  assert.deepEqual(asked.state.overlay, {
    kind: 'confirm',
    request: { kind: 'disable', target: 'enabled/etcd.yaml' },
  });
  assert.equal(asked.effect, null);
  const ran = press(asked.state, ['y'], ctx);
  assert.deepEqual(ran.effect, { kind: 'run', request: { kind: 'disable', target: 'enabled/etcd.yaml' } });
  assert.equal(ran.state.overlay?.kind, 'progress');
  const cancelled = press(asked.state, ['n'], ctx);
  assert.equal(cancelled.state.overlay, null);
  assert.equal(cancelled.effect, null);
  assert.match(cancelled.state.message?.text ?? '', /nothing was changed/);
});

test('any other key leaves the confirmation open and runs nothing', () => {
  const ctx = context();
  const asked = press(initialUiState(), ['r'], ctx);
  const after = press(asked.state, ['d', 'j', { return: true }], ctx);
  assert.equal(after.state.overlay?.kind, 'confirm');
  assert.equal(after.effect, null);
});

test('--read-only: no action key opens a confirmation', () => {
  const ctx = context({ readOnly: true });
  for (const key of ['d', 'e', 'r', 'x', 'K', 'R']) {
    const r = press(initialUiState(), [key], ctx);
    assert.equal(r.state.overlay, null, key);
    assert.equal(r.effect, null, key);
    assert.match(r.state.message?.text ?? '', /read-only/);
  }
});

test('enable on an enabled pod and restart of a disabled one are explained, not run', () => {
  const ctx = context();
  assert.match(press(initialUiState(), ['e'], ctx).state.message?.text ?? '', /already enabled/);
  const onDisabled = press(initialUiState(), ['j', 'j', 'r'], ctx);
  assert.equal(onDisabled.state.overlay, null);
  assert.match(onDisabled.state.message?.text ?? '', /disabled pods do not run/);
  const enable = press(initialUiState(), ['j', 'j', 'e'], ctx);
  assert.deepEqual(enable.state.overlay, {
    kind: 'confirm',
    request: { kind: 'enable', target: 'disabled/kube-scheduler.yaml' },
  });
});

test('K restarts kubelet, R the runtime unit, with confirmation', () => {
  const ctx = context();
  assert.deepEqual(press(initialUiState(), ['K'], ctx).state.overlay, {
    kind: 'confirm',
    request: { kind: 'restart-kubelet', target: 'kubelet.service' },
  });
  assert.deepEqual(press(initialUiState(), ['R'], ctx).state.overlay, {
    kind: 'confirm',
    request: { kind: 'restart-runtime', target: 'containerd.service' },
  });
  assert.match(
    press(initialUiState(), ['R'], context({ runtimeUnit: null })).state.message?.text ?? '',
    /not known/,
  );
});

test('a running action cannot be dismissed, only told to stop waiting', () => {
  const { state } = press(initialUiState(), ['d', 'y'], context());
  assert.equal(press(state, [{ escape: true }], context()).state.overlay?.kind, 'progress');
  assert.deepEqual(press(state, ['c'], context()).effect, { kind: 'stop-waiting' });
  assert.equal(press(finished(state), [{ escape: true }], context()).state.overlay, null);
});

test('q quits from the main screen, and goes back from the other views', () => {
  const ctx = context();
  assert.deepEqual(press(initialUiState(), ['q'], ctx).effect, { kind: 'quit' });
  for (const key of ['l', 'm', 'c', 'a']) {
    const opened = press(initialUiState(), [key], ctx).state;
    assert.notEqual(opened.screen, 'main', key);
    const back = press(opened, ['q'], ctx);
    assert.equal(back.state.screen, 'main', key);
    assert.equal(back.effect, null, key);
  }
});

test('? opens help over any screen, esc closes it', () => {
  const ctx = context();
  const opened = press(initialUiState(), ['l', '?'], ctx).state;
  assert.equal(opened.overlay?.kind, 'help');
  const closed = press(opened, [{ escape: true }], ctx).state;
  assert.equal(closed.overlay, null);
  assert.equal(closed.screen, 'logs');
});

test('log viewer: pause, scroll, search, next error, wrap, follow again', () => {
  const log = new LogBuffer(1000);
  for (let i = 0; i < 200; i++)
    log.push({
      time: null,
      text: i === 50 ? 'E0101 boom' : i === 120 ? 'needle here' : `line ${i}`,
      origin: null,
    });
  const ctx = context({}, log);
  let { state } = press(initialUiState(), ['L'], ctx);
  assert.equal(state.screen, 'logs');
  assert.equal(state.log.follow, true);
  ({ state } = press(state, [' '], ctx));
  assert.equal(state.log.follow, false);
  assert.equal(state.log.anchor, 199);
  ({ state } = press(state, ['k', 'k'], ctx));
  assert.equal(state.log.anchor, 197);
  ({ state } = press(state, ['/', 'n', 'e', 'e', 'd', 'l', 'e', { return: true }], ctx));
  assert.equal(state.log.search, 'needle');
  assert.equal(state.log.mark, 120);
  ({ state } = press(state, ['E'], ctx));
  assert.equal(state.log.mark, 50, 'previous error from the match');
  ({ state } = press(state, ['e'], ctx));
  assert.match(state.message?.text ?? '', /no more errors/);
  ({ state } = press(state, ['w'], ctx));
  assert.equal(state.log.wrap, true);
  ({ state } = press(state, ['G'], ctx));
  assert.equal(state.log.follow, true);
});

test('a typed search keeps only printable characters (a pasted escape sequence is dropped)', () => {
  const ctx = context();
  const { state } = press(initialUiState(), ['L', '/', '\u001b[31mred', 'x'], ctx);
  assert.equal(state.log.searchInput, '[31mredx');
});

test('tab cycles the log source: journal, each pod, journal', () => {
  const keys = ['a', 'b'];
  let s = nextLogSource({ kind: 'journal' }, keys);
  assert.deepEqual(s, { kind: 'container', podKey: 'a' });
  s = nextLogSource(s, keys);
  assert.deepEqual(s, { kind: 'container', podKey: 'b' });
  assert.deepEqual(nextLogSource(s, keys), { kind: 'journal' });
});

/** A restart that ran and failed at its second step, as the child's events tell it. */
function failedRestart(state: UiState): UiState {
  const request = { kind: 'restart-control-plane' as const, target: '' };
  let s = reduceUi(state, {
    type: 'action-started',
    request,
    title: 'Restart',
    podKey: null,
    at: 0,
    resumable: true,
  }).state;
  const events: ProcedureEvent[] = [
    {
      event: 'plan',
      plan: {
        title: 'Restart 2 static pods',
        steps: ['etcd: …', 'kube-apiserver: …'],
        notes: [],
        warnings: [],
      },
    },
    { event: 'step', index: 0, id: 'restart:etcd', text: 'etcd: …' },
    { event: 'step-done', index: 0, id: 'restart:etcd', ok: true, detail: 'new container abc running' },
    { event: 'step', index: 1, id: 'restart:kube-apiserver', text: 'kube-apiserver: …' },
    { event: 'progress', text: 'probing https://127.0.0.1:6443/readyz' },
    {
      event: 'step-done',
      index: 1,
      id: 'restart:kube-apiserver',
      ok: false,
      text: 'no new container',
      evidence: ['container kube-apiserver exited (exit 1)'],
    },
  ];
  for (const [i, event] of events.entries())
    s = reduceUi(s, { type: 'action-event', event, at: 1000 * (i + 1) }).state;
  return reduceUi(s, { type: 'action-finished', outcome: { ok: false, text: 'no new container' } }).state;
}

test('P asks for the control-plane restart; a last one that did not finish is shown first instead', () => {
  const asked = press(initialUiState(), ['P'], context());
  assert.deepEqual(asked.state.overlay, {
    kind: 'confirm',
    request: { kind: 'restart-control-plane', target: '' },
  });
  const last = failedRestart(initialUiState()).action!;
  const shown = press(initialUiState(), ['P'], context({ unfinishedRestart: last }));
  assert.equal(shown.state.overlay?.kind, 'progress');
  assert.equal(shown.effect, null, 'showing it runs nothing');
  assert.equal(keyMode(shown.state), 'progress-done');
});

test("a restart's events become its steps: state, times, detail, the failed step's evidence", () => {
  const action = failedRestart(initialUiState()).action!;
  assert.deepEqual(
    action.steps.map((s) => [s.id, s.state, s.startedAt, s.endedAt, s.detail]),
    [
      ['restart:etcd', 'done', 2000, 3000, 'new container abc running'],
      ['restart:kube-apiserver', 'failed', 4000, 6000, 'no new container'],
    ],
  );
  assert.deepEqual(action.evidence, ['container kube-apiserver exited (exit 1)']);
  assert.ok(action.lines.some((l) => /probing https:\/\/127\.0\.0\.1:6443\/readyz/.test(l)));
});

test('after a failed restart: r asks to retry, b to roll back, esc leaves it; a finished one offers neither', () => {
  const failed = { ...initialUiState(), overlay: { kind: 'progress' as const } };
  const s = failedRestart(failed);
  assert.deepEqual(press(s, ['r'], context()).state.overlay, {
    kind: 'confirm',
    request: { kind: 'resume-restart', target: '' },
  });
  assert.deepEqual(press(s, ['b'], context()).state.overlay, {
    kind: 'confirm',
    request: { kind: 'rollback-restart', target: '' },
  });
  assert.deepEqual(press(s, ['n'], context()).state.overlay, {
    kind: 'confirm',
    request: { kind: 'restart-control-plane', target: '' },
  });
  assert.equal(press(s, [{ escape: true }], context()).state.overlay, null);
  const ok = { ...finished(failed), overlay: { kind: 'progress' as const } };
  assert.equal(press(ok, ['r'], context()).state.overlay?.kind, 'progress', 'nothing to retry');
});

test('a restart running when the screen opens is followed: the progress shows, the attach runs', () => {
  const r = reduceUi(initialUiState(), { type: 'attach' });
  assert.equal(r.state.overlay?.kind, 'progress');
  assert.deepEqual(r.effect, { kind: 'run', request: { kind: 'attach-restart', target: '' } });
});

test("S asks to reclaim etcd's space, the plan shown first; read-only refuses it", () => {
  const { state } = press(initialUiState(), ['S'], context());
  assert.deepEqual(state.overlay, { kind: 'confirm', request: { kind: 'etcd-reclaim', target: '' } });
  const ro = press(initialUiState(), ['S'], context({ readOnly: true })).state;
  assert.equal(ro.overlay, null);
  assert.match(ro.message?.text ?? '', /read-only/);
});
