// The systemd source: org.freedesktop.systemd1 on the system bus, over D-Bus (dbus-native), never the
// systemctl binary (it refuses to run where systemd is not this process tree's PID 1, and it may hang).
//
// Raw method calls only, no introspection: Manager.GetUnit (LoadUnit for a unit that is not loaded, which
// then reads as LoadState "not-found" when there is no such unit file) gives the unit's object path, and
// Properties.GetAll on it reads org.freedesktop.systemd1.Unit and, for a service, .Service.
//
// Live state comes from signals only, nothing polls: systemd sends PropertiesChanged and JobRemoved on the
// system bus only while some client is subscribed (Manager.Subscribe, once per connection; systemd drops
// the subscription with the connection), and the bus delivers them to us only with a match rule.
//
// Every call has a deadline, the connect included: the client is made with dbus-native's own timeout off
// (0), because dbus-native's Hello call throws its TimeoutError from a timer when the socket accepts and
// never speaks, which would crash the process; each call passes its own timeout instead, and a call that
// times out before the D-Bus handshake completed drops the connection. Every failure is a SystemdError
// with one line an operator can act on.
import { createClient, type Message, type MessageBus } from 'dbus-native';

export const DEFAULT_SYSTEM_BUS_ADDRESS = 'unix:path=/run/dbus/system_bus_socket';
const SYSTEMD = 'org.freedesktop.systemd1';
const MANAGER_PATH = '/org/freedesktop/systemd1';
const MANAGER = 'org.freedesktop.systemd1.Manager';
const UNIT = 'org.freedesktop.systemd1.Unit';
const SERVICE = 'org.freedesktop.systemd1.Service';
const PROPERTIES = 'org.freedesktop.DBus.Properties';
const BUS_NAME = 'org.freedesktop.DBus';
const BUS_PATH = '/org/freedesktop/DBus';
const DEFAULT_CALL_TIMEOUT_MS = 5000;
const DEFAULT_JOB_TIMEOUT_MS = 90_000;
/** systemd sends a burst of PropertiesChanged per state change (Unit and Service): one re-read for all. */
const COALESCE_MS = 50;

/** One unit as systemd reports it. */
export interface UnitState {
  /** The name asked for, e.g. 'kubelet.service'. */
  name: string;
  /** loaded | not-found | bad-setting | error | masked ... */
  loadState: string;
  /** active | reloading | inactive | failed | activating | deactivating */
  activeState: string;
  /** running | auto-restart | dead | exited | start | failed ... (type-specific) */
  subState: string;
  /** Service.Result: success | exit-code | signal | core-dump | timeout | start-limit-hit ...; null if not a service. */
  result: string | null;
  /** When ActiveState/SubState last changed (StateChangeTimestamp); null if never. */
  since: Date | null;
  /** Service.NRestarts: automatic restarts (Restart=) since the last manual start; null if not a service. */
  nRestarts: number | null;
  /** Service.MainPID, null when there is none. PIDs are in systemd's PID namespace (the lab's container's). */
  mainPid: number | null;
  /** Service.ExecMainStatus: the main process's last exit status (or signal number); null if not a service. */
  execMainStatus: number | null;
  description: string;
}

export interface JobOptions {
  /** How long to wait for systemd's job to finish; default 90 s. The job is not cancelled on timeout. */
  timeoutMs?: number;
  /** Stop waiting (the job itself carries on in systemd). */
  signal?: AbortSignal;
}

export interface UnitWatch {
  close(): void;
}

export interface SystemdSource {
  /** The D-Bus address, e.g. 'unix:path=/run/dbus/system_bus_socket'. */
  readonly address: string;
  /** The unit's state now; a unit with no unit file reads as loadState 'not-found' (not an error). */
  unit(name: string): Promise<UnitState>;
  /**
   * Live unit state, from signals: subscribes to systemd (once per connection), adds a match rule for
   * PropertiesChanged on each unit's object path, and re-reads a unit (coalescing a burst within 50 ms)
   * on each signal, calling onState with the fresh state. Every unit is read once as soon as the
   * subscription is in place. onError gets a SystemdError: a failed re-read (the watch goes on), a failed
   * setup or a broken connection (the watch is over: start a new one). Not called after close(), nor when
   * the source is closed. Idle, a watch costs nothing but the open socket.
   */
  watchUnits(
    names: string[],
    onState: (state: UnitState) => void,
    onError: (err: SystemdError) => void,
  ): UnitWatch;
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
  /** Drops the connection: calls in flight fail, watches end without onError. Idempotent. */
  close(): Promise<void>;
}

export type SystemdErrorReason =
  | 'missing' // no socket, or systemd is not on this bus
  | 'refused' // nothing listens, or the handshake failed
  | 'permission'
  | 'timeout'
  | 'not-found' // no such unit
  | 'job-failed'
  | 'aborted'
  | 'closed' // the connection broke, or the source was closed
  | 'failed';

export class SystemdError extends Error {
  constructor(
    message: string,
    readonly reason: SystemdErrorReason,
  ) {
    super(message);
    this.name = 'SystemdError';
  }
}

/** DBUS_SYSTEM_BUS_ADDRESS, else the well-known system bus socket. */
export function systemBusAddress(env: NodeJS.ProcessEnv = process.env): string {
  return env.DBUS_SYSTEM_BUS_ADDRESS || DEFAULT_SYSTEM_BUS_ADDRESS;
}

// ---------------------------------------------------------------------------------------------
// Pure helpers

/** GetAll's answers (Unit, and Service or null for other unit types) as a UnitState. */
export function unitStateFrom(
  name: string,
  unit: Record<string, unknown>,
  service: Record<string, unknown> | null,
): UnitState {
  const since = integer(unit.StateChangeTimestamp);
  const mainPid = integer(service?.MainPID);
  return {
    name,
    loadState: text(unit.LoadState),
    activeState: text(unit.ActiveState),
    subState: text(unit.SubState),
    result: service ? text(service.Result) || null : null,
    since: since ? new Date(Math.floor(since / 1000)) : null,
    nRestarts: integer(service?.NRestarts),
    mainPid: mainPid ? mainPid : null,
    execMainStatus: integer(service?.ExecMainStatus),
    description: text(unit.Description),
  };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function integer(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'bigint') return Number(value);
  return null;
}

/** What a failed call or a broken connection was about, for the message. */
export interface FailureContext {
  address: string;
  /** e.g. 'reading kubelet.service' */
  doing: string;
  /** The unit concerned, for "kubelet.service: unit not found". */
  unit?: string;
  timeoutMs: number;
  /** Whether the D-Bus handshake had completed. */
  handshaken: boolean;
  /** The transport or handshake error that ended the connection, if any. */
  cause?: unknown;
  /** The source was closed by its owner. */
  closedByOwner?: boolean;
}

const ERRNO_WORDS: Record<string, string> = {
  ENOENT: 'no such socket',
  ECONNREFUSED: 'nothing listens on the socket; is dbus running?',
  EACCES: 'permission denied; run as root',
  EPERM: 'operation not permitted; run as root',
  ENOTSOCK: 'not a socket',
  ECONNRESET: 'reset by the peer',
  EPIPE: 'broken pipe',
  ETIMEDOUT: 'timed out',
};

const ERRNO_REASON: Record<string, SystemdErrorReason> = {
  ENOENT: 'missing',
  ENOTSOCK: 'missing',
  ECONNREFUSED: 'refused',
  EACCES: 'permission',
  EPERM: 'permission',
};

/** Any failure of a call (dbus-native's errors, systemd's error replies) as one line for an operator. */
export function describeFailure(err: unknown, ctx: FailureContext): SystemdError {
  const bus = `systemd over D-Bus at ${ctx.address}`;
  const e = (err ?? {}) as { code?: unknown; dbusName?: unknown; message?: unknown; cause?: unknown };
  const message = oneLine(typeof e.message === 'string' ? e.message : String(err));
  if (err instanceof SystemdError) return err;
  if (ctx.closedByOwner) return new SystemdError(`${ctx.doing}: the systemd source was closed`, 'closed');
  if (e.code === 'ETIMEDOUT') {
    return ctx.handshaken
      ? new SystemdError(`${bus} did not answer within ${seconds(ctx.timeoutMs)} (${ctx.doing})`, 'timeout')
      : new SystemdError(
          `${bus} did not answer within ${seconds(ctx.timeoutMs)} (the socket accepts connections but no D-Bus handshake came)`,
          'timeout',
        );
  }
  if (e.code === 'ABORT_ERR') return new SystemdError(`${ctx.doing}: cancelled`, 'aborted');
  if (e.code === 'ECONNCLOSED') return connectionFailure(bus, ctx.cause ?? e.cause, ctx.handshaken);
  switch (e.dbusName) {
    case 'org.freedesktop.systemd1.NoSuchUnit':
      return new SystemdError(`${ctx.unit ?? ctx.doing}: unit not found`, 'not-found');
    case 'org.freedesktop.DBus.Error.ServiceUnknown':
    case 'org.freedesktop.DBus.Error.NameHasNoOwner':
      return new SystemdError(`${bus}: systemd (${SYSTEMD}) is not on this bus`, 'missing');
    case 'org.freedesktop.DBus.Error.AccessDenied':
    case 'org.freedesktop.DBus.Error.InteractiveAuthorizationRequired':
    case 'org.freedesktop.DBus.Error.AuthFailed':
      return new SystemdError(`${ctx.doing}: refused by systemd: ${message}; run as root`, 'permission');
  }
  if (typeof e.dbusName === 'string') {
    return new SystemdError(`${ctx.doing}: ${message} (${e.dbusName})`, 'failed');
  }
  return new SystemdError(`${ctx.doing}: ${message}`, 'failed');
}

/** The connection ended: cannot connect (before the handshake), or broke (after). */
export function connectionFailure(bus: string, cause: unknown, handshaken: boolean): SystemdError {
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
    const words = ERRNO_WORDS[code] ?? oneLine((cause as Error).message ?? '');
    return handshaken
      ? new SystemdError(`${bus}: the connection broke (${code}: ${words})`, 'closed')
      : new SystemdError(`${bus}: cannot connect (${code}: ${words})`, ERRNO_REASON[code] ?? 'refused');
  }
  if (cause instanceof Error) {
    return handshaken
      ? new SystemdError(`${bus}: the connection broke (${oneLine(cause.message)})`, 'closed')
      : new SystemdError(`${bus}: the D-Bus handshake failed (${oneLine(cause.message)})`, 'refused');
  }
  return handshaken
    ? new SystemdError(`${bus}: the bus closed the connection`, 'closed')
    : new SystemdError(`${bus}: the bus closed the connection during the D-Bus handshake`, 'refused');
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

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

function propertiesChangedRule(path: string): string {
  return `type='signal',sender='${SYSTEMD}',path='${path}',interface='${PROPERTIES}',member='PropertiesChanged'`;
}

const JOB_REMOVED_RULE = `type='signal',sender='${SYSTEMD}',path='${MANAGER_PATH}',interface='${MANAGER}',member='JobRemoved'`;

// ---------------------------------------------------------------------------------------------
// The connection

type JobListener = (job: string, result: string) => void;

/** One D-Bus connection; a new one is made on the next call after it is gone. */
interface Link {
  bus: MessageBus;
  handshaken: boolean;
  closed: boolean;
  closedByOwner: boolean;
  cause: Error | undefined;
  /** Why this side dropped the connection (a handshake that never came): what its other calls report. */
  failure: SystemdError | undefined;
  subscribed: Promise<void> | null;
  jobSignals: Promise<void> | null;
  jobListeners: Set<JobListener>;
  /** Told when the connection ends; byOwner when the source was closed. */
  closeListeners: Set<(err: SystemdError, byOwner: boolean) => void>;
  done: Promise<void>;
}

/** Opens nothing yet: the connection is made by the first call (and again after it broke). */
export function openSystemd(opts: { address?: string; timeoutMs?: number } = {}): SystemdSource {
  const address = opts.address ?? systemBusAddress();
  const timeoutMs = opts.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  const bus = `systemd over D-Bus at ${address}`;
  let current: Link | null = null;
  let sourceClosed = false;

  function connect(): Link {
    let client: MessageBus;
    try {
      client = createClient({ busAddress: address, timeout: 0 });
    } catch (err) {
      // A malformed address fails synchronously ("unknown address type").
      throw new SystemdError(`${bus}: cannot connect (${oneLine((err as Error).message)})`, 'refused');
    }
    let markDone: () => void = () => {};
    const link: Link = {
      bus: client,
      handshaken: false,
      closed: false,
      closedByOwner: false,
      cause: undefined,
      failure: undefined,
      subscribed: null,
      jobSignals: null,
      jobListeners: new Set(),
      closeListeners: new Set(),
      done: new Promise((resolve) => {
        markDone = resolve;
      }),
    };
    const conn = client.connection;
    client.signals.setMaxListeners(0);
    // JobRemoved(id, job, unit, result) goes to whoever waits for a job (runJob); delivered once watchJobs
    // added the match rule.
    client.signals.on(client.mangle(MANAGER_PATH, MANAGER, 'JobRemoved'), (body: unknown[]) => {
      const [, job, , result] = body;
      if (typeof job !== 'string' || typeof result !== 'string') return;
      for (const listener of [...link.jobListeners]) listener(job, result);
    });
    conn.on('connect', () => {
      link.handshaken = true;
    });
    // Never unhandled: a transport or handshake error ends this connection, and the calls in flight fail
    // with it as the cause. (A failed handshake leaves the socket open otherwise.)
    conn.on('error', (err: Error) => {
      link.cause ??= err;
      conn.stream.destroy();
    });
    conn.on('handlerError', () => {
      // Our own signal handlers catch everything; nothing to do.
    });
    const ended = () => {
      if (link.closed) return;
      link.closed = true;
      if (current === link) current = null;
      const err = link.closedByOwner
        ? new SystemdError(`${bus}: the systemd source was closed`, 'closed')
        : (link.failure ?? connectionFailure(bus, link.cause, link.handshaken));
      for (const listener of [...link.closeListeners]) listener(err, link.closedByOwner);
      link.closeListeners.clear();
    };
    conn.on('end', ended);
    conn.on('close', () => {
      ended();
      markDone();
    });
    return link;
  }

  function link(): Link {
    if (sourceClosed) throw new SystemdError(`${bus}: the systemd source was closed`, 'closed');
    if (!current || current.closed) current = connect();
    return current;
  }

  function drop(l: Link, byOwner: boolean, failure?: SystemdError): Promise<void> {
    l.closedByOwner ||= byOwner;
    l.failure ??= failure;
    if (current === l) current = null;
    if (!l.closed) l.bus.connection.stream.destroy();
    return l.done;
  }

  async function call<T>(
    l: Link,
    msg: Message,
    doing: string,
    unit?: string,
    signal?: AbortSignal,
  ): Promise<T> {
    try {
      return await l.bus.invoke<T>(
        { destination: SYSTEMD, ...msg },
        signal ? { timeout: timeoutMs, signal } : { timeout: timeoutMs },
      );
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ECONNCLOSED' && l.failure && !l.closedByOwner)
        throw l.failure;
      const failure = describeFailure(err, {
        address,
        doing,
        unit,
        timeoutMs,
        handshaken: l.handshaken,
        cause: l.cause,
        closedByOwner: l.closedByOwner,
      });
      // A connection that never finished its handshake is of no further use; the next call dials again.
      if (failure.reason === 'timeout' && !l.handshaken) void drop(l, false, failure);
      throw failure;
    }
  }

  function busCall(l: Link, member: 'AddMatch' | 'RemoveMatch', rule: string, doing: string): Promise<void> {
    return call(
      l,
      { destination: BUS_NAME, path: BUS_PATH, interface: BUS_NAME, member, signature: 's', body: [rule] },
      doing,
    );
  }

  function subscribe(l: Link): Promise<void> {
    l.subscribed ??= call<void>(
      l,
      { path: MANAGER_PATH, interface: MANAGER, member: 'Subscribe' },
      "subscribing to systemd's signals",
    ).catch((err: SystemdError) => {
      if (/already subscribed/i.test(err.message)) return;
      l.subscribed = null;
      throw err;
    });
    return l.subscribed;
  }

  function watchJobs(l: Link): Promise<void> {
    if (!l.jobSignals) {
      l.jobSignals = (async () => {
        await busCall(l, 'AddMatch', JOB_REMOVED_RULE, "watching systemd's jobs");
        await subscribe(l);
      })().catch((err) => {
        l.jobSignals = null;
        throw err;
      });
    }
    return l.jobSignals;
  }

  async function unitPath(l: Link, name: string, doing: string): Promise<string> {
    const ask = (member: 'GetUnit' | 'LoadUnit') =>
      call<string>(
        l,
        { path: MANAGER_PATH, interface: MANAGER, member, signature: 's', body: [name] },
        doing,
        name,
      );
    try {
      return await ask('GetUnit');
    } catch (err) {
      // Not loaded: LoadUnit loads it (or gives a not-found unit), so a missing unit reads as not-found.
      if ((err as SystemdError).reason === 'not-found') return ask('LoadUnit');
      throw err;
    }
  }

  async function readAt(l: Link, name: string, path: string): Promise<UnitState> {
    const doing = `reading ${name}`;
    const getAll = (iface: string) =>
      call<Record<string, unknown>>(
        l,
        { path, interface: PROPERTIES, member: 'GetAll', signature: 's', body: [iface] },
        doing,
        name,
      );
    const [unit, service] = await Promise.all([
      getAll(UNIT),
      name.endsWith('.service') ? getAll(SERVICE) : Promise.resolve(null),
    ]);
    return unitStateFrom(name, unit, service);
  }

  async function unit(name: string): Promise<UnitState> {
    const l = link();
    return readAt(l, name, await unitPath(l, name, `reading ${name}`));
  }

  async function runJob(
    member: 'RestartUnit' | 'StopUnit' | 'StartUnit',
    verb: string,
    name: string,
    opts: JobOptions = {},
  ): Promise<void> {
    const doing = `${verb === 'stop' ? 'stopping' : `${verb}ing`} ${name}`;
    const signal = opts.signal;
    const jobTimeoutMs = opts.timeoutMs ?? DEFAULT_JOB_TIMEOUT_MS;
    if (signal?.aborted) throw new SystemdError(`${doing}: cancelled`, 'aborted');
    const l = link();
    await watchJobs(l);
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
      const job = await call<string>(
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
    const state = await readAt(l, name, await unitPath(l, name, `reading ${name}`)).catch(() => null);
    throw new SystemdError(jobFailureMessage(name, verb, result, state), 'job-failed');
  }

  function watchUnits(
    names: string[],
    onState: (state: UnitState) => void,
    onError: (err: SystemdError) => void,
  ): UnitWatch {
    interface Slot {
      name: string;
      path: string;
      timer: NodeJS.Timeout | null;
      reading: boolean;
      again: boolean;
      key: string;
      handler: (body: unknown[]) => void;
    }
    let closed = false;
    let l: Link | null = null;
    const slots: Slot[] = [];
    const report = (err: unknown) => {
      if (closed) return;
      try {
        onError(err instanceof SystemdError ? err : new SystemdError(oneLine(String(err)), 'failed'));
      } catch {
        // The caller's own handler; nothing sensible to do with its failure here.
      }
    };
    const onClose = (err: SystemdError, byOwner: boolean) => {
      if (!byOwner) report(err);
      stop();
    };
    const poke = (slot: Slot, delay: number) => {
      if (closed) return;
      if (slot.reading) slot.again = true;
      else slot.timer ??= setTimeout(() => void read(slot), delay);
    };
    const read = async (slot: Slot) => {
      slot.timer = null;
      if (closed || !l) return;
      slot.reading = true;
      try {
        const state = await readAt(l, slot.name, slot.path);
        if (!closed) onState(state);
      } catch (err) {
        report(err);
      } finally {
        slot.reading = false;
        if (slot.again) {
          slot.again = false;
          poke(slot, COALESCE_MS);
        }
      }
    };
    const stop = () => {
      if (closed) return;
      closed = true;
      for (const slot of slots) {
        if (slot.timer) clearTimeout(slot.timer);
        l?.bus.signals.removeListener(slot.key, slot.handler);
        if (l && !l.closed) {
          busCall(l, 'RemoveMatch', propertiesChangedRule(slot.path), 'removing a match rule').catch(
            () => {},
          );
        }
      }
      l?.closeListeners.delete(onClose);
    };
    (async () => {
      const link_ = link();
      l = link_;
      link_.closeListeners.add(onClose);
      await subscribe(link_);
      for (const name of names) {
        if (closed) return;
        const path = await unitPath(link_, name, `watching ${name}`);
        const slot: Slot = {
          name,
          path,
          timer: null,
          reading: false,
          again: false,
          key: link_.bus.mangle(path, PROPERTIES, 'PropertiesChanged'),
          handler: (body) => {
            const iface = body?.[0];
            if (iface === UNIT || iface === SERVICE) poke(slot, COALESCE_MS);
          },
        };
        link_.bus.signals.on(slot.key, slot.handler);
        slots.push(slot);
        await busCall(link_, 'AddMatch', propertiesChangedRule(path), `watching ${name}`);
      }
      // Resync: whatever changed before the rules were in place is read now.
      for (const slot of slots) poke(slot, 0);
    })().catch((err) => {
      report(err);
      stop();
    });
    return { close: stop };
  }

  return {
    address,
    unit,
    watchUnits,
    restartUnit: (name, opts) => runJob('RestartUnit', 'restart', name, opts),
    stopUnit: (name, opts) => runJob('StopUnit', 'stop', name, opts),
    startUnit: (name, opts) => runJob('StartUnit', 'start', name, opts),
    async close() {
      sourceClosed = true;
      if (current) await drop(current, true);
      current = null;
    },
  };
}
