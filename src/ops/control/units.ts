// systemd's write side: start, stop and restart a unit as systemd jobs, over the same D-Bus transport
// the read side uses. Only src/ops reaches it; a change goes through ops/units.ts (guarded, audited).
import { type JobListener, MANAGER, MANAGER_PATH, SystemdBus } from '../../clients/systemd-bus.js';
import { SystemdError, seconds } from '../../clients/systemd-errors.js';
import { readUnitAt, type UnitState } from '../../sources/systemd.js';

const DEFAULT_JOB_TIMEOUT_MS = 90_000;

export interface JobOptions {
  /** How long to wait for systemd's job to finish; default 90 s. The job is not cancelled on timeout. */
  timeoutMs?: number;
  /** Stop waiting (the job itself carries on in systemd). */
  signal?: AbortSignal | undefined;
}

export interface UnitControl {
  /**
   * Manager.RestartUnit(name, "replace"), resolving once systemd's job finished with result "done"; any
   * other result rejects with a SystemdError naming it and the unit's state after it. For Type=simple,
   * "done" means the new process was started, not that it stays up: watch the state for that.
   */
  restartUnit(name: string, opts?: JobOptions): Promise<void>;
  /** Manager.StopUnit(name, "replace"), resolving once the job is done. */
  stopUnit(name: string, opts?: JobOptions): Promise<void>;
  /** Manager.StartUnit(name, "replace"), resolving once the job is done. */
  startUnit(name: string, opts?: JobOptions): Promise<void>;
  /** Manager.Reload: systemd reads its unit files again (systemctl daemon-reload). */
  reload(): Promise<void>;
  /** Manager.EnableUnitFiles(names, runtime false, force true): their [Install] links made. */
  enableUnitFiles(names: string[]): Promise<void>;
  /** Manager.LinkUnitFiles(paths, runtime false, force true): unit files outside systemd's directories linked in. */
  linkUnitFiles(paths: string[]): Promise<void>;
  /** Manager.DisableUnitFiles(names, runtime false): their [Install] links removed. */
  disableUnitFiles(names: string[]): Promise<void>;
  /** Drops the connection; jobs in systemd carry on. */
  close(): Promise<void>;
}

export function openUnitControl(opts: { address?: string; timeoutMs?: number } = {}): UnitControl {
  const bus = new SystemdBus(opts);
  return {
    restartUnit: (name, o) => runJob(bus, 'RestartUnit', 'restart', name, o),
    stopUnit: (name, o) => runJob(bus, 'StopUnit', 'stop', name, o),
    startUnit: (name, o) => runJob(bus, 'StartUnit', 'start', name, o),
    reload: () => manager(bus, 'Reload', '', [], 'reloading unit files'),
    enableUnitFiles: (names) =>
      manager(bus, 'EnableUnitFiles', 'asbb', [names, false, true], `enabling ${names.join(', ')}`),
    linkUnitFiles: (paths) =>
      manager(bus, 'LinkUnitFiles', 'asbb', [paths, false, true], `linking ${paths.join(', ')}`),
    disableUnitFiles: (names) =>
      manager(bus, 'DisableUnitFiles', 'asb', [names, false], `disabling ${names.join(', ')}`),
    close: () => bus.close(),
  };
}

async function manager(
  bus: SystemdBus,
  member: string,
  signature: string,
  body: unknown[],
  doing: string,
): Promise<void> {
  const msg = signature
    ? { path: MANAGER_PATH, interface: MANAGER, member, signature, body }
    : { path: MANAGER_PATH, interface: MANAGER, member };
  await bus.call<unknown>(bus.link(), msg, doing);
}

async function runJob(
  bus: SystemdBus,
  member: 'RestartUnit' | 'StopUnit' | 'StartUnit',
  verb: string,
  name: string,
  opts: JobOptions = {},
): Promise<void> {
  const doing = `${verb === 'stop' ? 'stopping' : `${verb}ing`} ${name}`;
  const signal = opts.signal;
  const jobTimeoutMs = opts.timeoutMs ?? DEFAULT_JOB_TIMEOUT_MS;
  if (signal?.aborted) throw new SystemdError(`${doing}: cancelled`, 'aborted');
  const l = bus.link();
  await bus.watchJobs(l);
  // JobRemoved can come in the same read as the call's reply, before the reply's promise settles:
  // everything removed meanwhile is kept until the job's path is known.
  const removed = new Map<string, string>();
  let waiting: JobListener | null = null;
  const listener: JobListener = (job, result) => {
    if (waiting) waiting(job, result);
    else removed.set(job, result);
  };
  l.jobListeners.add(listener);
  let result: string;
  try {
    const job = await bus.call<string>(
      l,
      { path: MANAGER_PATH, interface: MANAGER, member, signature: 'ss', body: [name, 'replace'] },
      doing,
      name,
      signal,
    );
    result =
      removed.get(job) ??
      (await new Promise<string>((resolve, reject) => {
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          l.closeListeners.delete(onClose);
          waiting = null;
          settle();
        };
        const timer = setTimeout(
          () =>
            finish(() =>
              reject(
                new SystemdError(
                  `${name}: ${verb} did not finish within ${seconds(jobTimeoutMs)} (systemd's job ${job} carries on)`,
                  'timeout',
                ),
              ),
            ),
          jobTimeoutMs,
        );
        const onAbort = () =>
          finish(() =>
            reject(
              new SystemdError(`${doing}: stopped waiting (systemd's job ${job} carries on)`, 'aborted'),
            ),
          );
        const onClose = (err: SystemdError) =>
          finish(() =>
            reject(
              new SystemdError(
                `${doing}: stopped waiting for systemd's job ${job}: ${err.message}`,
                err.reason,
              ),
            ),
          );
        signal?.addEventListener('abort', onAbort, { once: true });
        l.closeListeners.add(onClose);
        waiting = (j, r) => {
          if (j === job) finish(() => resolve(r));
        };
      }));
  } finally {
    l.jobListeners.delete(listener);
  }
  if (result === 'done') return;
  const state = await readUnitAt(bus, l, name, await bus.unitPath(l, name, `reading ${name}`)).catch(
    () => null,
  );
  throw new SystemdError(jobFailureMessage(name, verb, result, state), 'job-failed');
}

const JOB_RESULT_WORDS: Record<string, string> = {
  canceled: 'the job was cancelled before it finished',
  timeout: "systemd's own timeout for it expired",
  failed: 'the unit failed',
  dependency: 'a unit it depends on failed',
  skipped: 'skipped: a condition was not met',
  invalid: 'not applicable to this unit',
  assert: 'an assertion of the unit failed',
  unsupported: 'not supported for this unit type',
  collected: 'the job was garbage-collected',
  once: 'the unit may be started only once',
};

/** "x.service: start failed (the unit failed: failed/failed, result exit-code, exit status 1)" */
export function jobFailureMessage(
  unit: string,
  verb: string,
  result: string,
  state: UnitState | null,
): string {
  const words = JOB_RESULT_WORDS[result] ?? `job result "${result}"`;
  const details: string[] = [];
  if (state) {
    details.push(`${state.activeState}/${state.subState}`);
    if (state.result && state.result !== 'success') details.push(`result ${state.result}`);
    if (state.execMainStatus) details.push(`exit status ${state.execMainStatus}`);
  }
  return `${unit}: ${verb} failed (${words}${details.length ? `: now ${details.join(', ')}` : ''})`;
}
