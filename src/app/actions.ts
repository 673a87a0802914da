// Carries out what the operator confirmed, through the ops layer, and narrates it. Manifest moves and
// runtime stops run in a child `breakglass` process: the same locked, fsynced, audited, crash-safe code
// the CLI uses, and the screen never blocks on a slow disk or a lock wait. Waiting for kubelet and the
// runtime to follow is done here, from the live store.
import { spawn } from 'node:child_process';
import { WAIT_RUNNING_SECONDS, WAIT_STOPPED_SECONDS } from '../model/plans.js';
import type { PodRow } from '../model/pod-rows.js';
import type { ActionRequest } from '../model/ui.js';
import { restartUnit } from '../ops/units.js';
import { errnoMessage } from '../util/errors.js';
import { sanitizeLine } from '../util/sanitize.js';
import { rowsOf } from './derive.js';
import type { NodeSnapshot, NodeStore } from './node-store.js';

export interface Progress {
  step(text: string): void;
}

export interface Outcome {
  ok: boolean;
  text: string;
}

export interface ActionEnv {
  store: NodeStore;
  /** The node: executable and script that run this very breakglass. */
  cli: { node: string; script: string };
  /** Flags that point a child breakglass at the same node. */
  nodeFlags: string[];
  readOnly: boolean;
  stateDir: string;
}

export async function runAction(
  env: ActionEnv,
  request: ActionRequest,
  progress: Progress,
  signal: AbortSignal,
): Promise<Outcome> {
  try {
    switch (request.kind) {
      case 'disable':
        return await disable(env, rowFor(env, request.target), progress, signal);
      case 'enable':
        return await enable(env, rowFor(env, request.target), progress, signal);
      case 'restart-pod':
        return await restartPod(env, rowFor(env, request.target), progress, signal);
      case 'stop-pod':
        return await stop(env, rowFor(env, request.target), progress);
      case 'restart-kubelet':
      case 'restart-runtime':
        return await restartUnitAction(env, request.target, progress, signal);
    }
  } catch (err) {
    return { ok: false, text: errnoMessage(err) };
  }
}

function rowFor(env: ActionEnv, key: string): PodRow {
  const row = rowsOf(env.store.snapshot).find((r) => r.key === key);
  if (!row)
    throw new Error('that static pod is gone from the screen (the directory changed); nothing was done');
  return row;
}

async function disable(
  env: ActionEnv,
  row: PodRow,
  progress: Progress,
  signal: AbortSignal,
): Promise<Outcome> {
  await moveManifest(env, 'disable', row, progress);
  const stopped = await waitForPod(env, row, 'stopped', WAIT_STOPPED_SECONDS, progress, signal);
  return stopped
    ? { ok: true, text: `${row.name} disabled; the runtime shows it stopped` }
    : {
        ok: false,
        text: `${row.name} disabled, but it still runs after ${WAIT_STOPPED_SECONDS} s: kubelet is not acting on the removal (restarted while the API server was down?). x stops it through the runtime.`,
      };
}

async function enable(
  env: ActionEnv,
  row: PodRow,
  progress: Progress,
  signal: AbortSignal,
): Promise<Outcome> {
  await moveManifest(env, 'enable', row, progress);
  const running = await waitForPod(env, row, 'running', WAIT_RUNNING_SECONDS, progress, signal);
  return running
    ? { ok: true, text: `${row.name} enabled; a container runs` }
    : {
        ok: false,
        text: `${row.name} enabled, but no container runs after ${WAIT_RUNNING_SECONDS} s: is kubelet running? (see its journal)`,
      };
}

async function restartPod(
  env: ActionEnv,
  row: PodRow,
  progress: Progress,
  signal: AbortSignal,
): Promise<Outcome> {
  const before = new Set(row.containers.map((c) => c.id));
  await moveManifest(env, 'disable', row, progress);
  const stopped = await waitForPod(env, row, 'stopped', WAIT_STOPPED_SECONDS, progress, signal);
  if (!stopped)
    progress.step(`still running after ${WAIT_STOPPED_SECONDS} s: moving the manifest back anyway`);
  const disabledRow = rowsOf(env.store.snapshot).find(
    (r) => r.fileName === row.fileName && r.enabled === false,
  );
  await moveManifest(env, 'enable', disabledRow ?? { ...row, enabled: false }, progress);
  if (!stopped) {
    return {
      ok: false,
      text: `${row.name} did not stop within ${WAIT_STOPPED_SECONDS} s, so kubelet ignored the removal; the manifest is back in place. x stops the containers through the runtime.`,
    };
  }
  const fresh = await waitForPod(env, row, 'running-new', WAIT_RUNNING_SECONDS, progress, signal, before);
  if (!fresh)
    return {
      ok: false,
      text: `${row.name} is enabled again but no new container runs after ${WAIT_RUNNING_SECONDS} s`,
    };
  if (!row.staticPod?.pod?.health) return { ok: true, text: `${row.name} restarted: a new container runs` };
  const healthy = await waitForPod(env, row, 'healthy', WAIT_RUNNING_SECONDS, progress, signal, before);
  return healthy
    ? { ok: true, text: `${row.name} restarted: a new container runs and its health probe answers` }
    : { ok: false, text: `${row.name} restarted, but its health probe does not answer yet: watch its log` };
}

async function stop(env: ActionEnv, row: PodRow, progress: Progress): Promise<Outcome> {
  const name = row.podName ?? row.name;
  progress.step(`asking the runtime to stop ${name}'s containers and sandbox`);
  const result = await runCli(env, ['stop', name, '--yes', '--force', '--json']);
  if (!result.ok) return { ok: false, text: result.error };
  const stopped = (result.json.stoppedContainers as string[] | undefined)?.length ?? 0;
  return {
    ok: true,
    text: `stopped ${stopped} container(s) of ${name}${row.enabled ? '; kubelet starts it again' : ''}`,
  };
}

async function restartUnitAction(
  env: ActionEnv,
  unit: string,
  progress: Progress,
  signal: AbortSignal,
): Promise<Outcome> {
  const systemd = env.store.systemdSource;
  if (!systemd)
    return {
      ok: false,
      text: `systemd is not reachable over D-Bus (${env.store.snapshot.dbusAddress}); nothing done`,
    };
  progress.step(`RestartUnit ${unit} (D-Bus ${env.store.snapshot.dbusAddress})`);
  await restartUnit(systemd, unit, { stateDir: env.stateDir, readOnly: env.readOnly, signal });
  progress.step(`${unit}: the restart job is done`);
  const active = await waitFor(
    env.store,
    (s) => {
      const slot = s.kubeletUnit.name === unit ? s.kubeletUnit : s.runtimeUnit;
      return slot?.value?.activeState === 'active';
    },
    30,
    signal,
  );
  return active
    ? { ok: true, text: `${unit} restarted and active` }
    : { ok: false, text: `${unit} restarted but is not active after 30 s: see its journal` };
}

async function moveManifest(
  env: ActionEnv,
  action: 'disable' | 'enable',
  row: PodRow,
  progress: Progress,
): Promise<void> {
  if (!row.fileName) throw new Error(`${row.name} has no manifest file to move`);
  progress.step(`${action}: moving ${row.file}`);
  const result = await runCli(env, [action, row.fileName, '--json']);
  if (!result.ok) throw new Error(`${action} ${row.file}: ${result.error}`);
  for (const note of (result.json.notes as string[] | undefined) ?? [])
    progress.step(`note: ${sanitizeLine(note)}`);
  progress.step(`${action}: ${row.file} is now in ${sanitizeLine(String(result.json.to ?? '?'))}`);
  env.store.rescanManifests();
}

type PodGoal = 'stopped' | 'running' | 'running-new' | 'healthy';

async function waitForPod(
  env: ActionEnv,
  row: PodRow,
  goal: PodGoal,
  seconds: number,
  progress: Progress,
  signal: AbortSignal,
  oldContainers: Set<string> = new Set(),
): Promise<boolean> {
  const words: Record<PodGoal, string> = {
    stopped: 'until the runtime shows it stopped',
    running: 'until a container runs',
    'running-new': 'for a new container running',
    healthy: 'for the health probe to answer',
  };
  progress.step(`waiting ${words[goal]} (at most ${seconds} s)`);
  if (goal === 'healthy') env.store.probeNow();
  let last = '';
  return waitFor(
    env.store,
    (s) => {
      const now = rowsOf(s).find(
        (r) => r.podName === row.podName && r.namespace === row.namespace && r.enabled !== null,
      );
      const running = now?.containers.filter((c) => c.state === 'running') ?? [];
      const summary =
        goal === 'stopped'
          ? `${running.length} container(s) still running`
          : `${running.length} container(s) running${now ? `, ${now.stateText}` : ''}`;
      if (summary !== last) {
        last = summary;
        progress.step(summary);
        if (goal === 'healthy' && running.length > 0) env.store.probeNow();
      }
      switch (goal) {
        case 'stopped':
          return running.length === 0 && !now?.containers.some((c) => c.state === 'created');
        case 'running':
          return running.length > 0;
        case 'running-new':
          return running.some((c) => !oldContainers.has(c.id));
        case 'healthy':
          return (
            running.some((c) => !oldContainers.has(c.id)) &&
            s.health.get(row.staticPod?.name ?? row.name)?.ok === true
          );
      }
    },
    seconds,
    signal,
  );
}

/** Resolves true once `done` holds for the store's snapshot, false after `seconds` or on abort. */
export function waitFor(
  store: NodeStore,
  done: (s: NodeSnapshot) => boolean,
  seconds: number,
  signal: AbortSignal,
): Promise<boolean> {
  return new Promise((resolve) => {
    if (done(store.snapshot)) return resolve(true);
    const finish = (value: boolean) => {
      unsubscribe();
      clearTimeout(timeout);
      clearInterval(tick);
      signal.removeEventListener('abort', onAbort);
      resolve(value);
    };
    const check = () => {
      if (done(store.snapshot)) finish(true);
    };
    const onAbort = () => finish(false);
    const unsubscribe = store.subscribe(check);
    const timeout = setTimeout(() => finish(false), seconds * 1000);
    // Health results and slow runtimes: look again each second even without an event.
    const tick = setInterval(check, 1_000);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

interface CliResult {
  ok: boolean;
  json: Record<string, unknown>;
  error: string;
}

function runCli(env: ActionEnv, args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(env.cli.node, [env.cli.script, ...args, ...env.nodeFlags], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BREAKGLASS_DEBUG: '' },
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (out.length < 1_000_000) out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (err.length < 100_000) err += d;
    });
    child.on('error', (e) =>
      resolve({ ok: false, json: {}, error: `could not run breakglass: ${e.message}` }),
    );
    child.on('close', (code) => {
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(out.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
      } catch {
        // Not JSON: the error is on stderr.
      }
      const error = sanitizeLine(String(json.error ?? (err.trim() || `exited with ${code}`)));
      resolve({ ok: code === 0 && json.ok !== false, json, error });
    });
  });
}
