// systemd's org.freedesktop.systemd1 on the system bus, over D-Bus (dbus-native), never the systemctl
// binary (it refuses to run where systemd is not this process tree's PID 1, and it may hang). The
// transport only: the read side (sources/systemd.ts) and the write side (ops/control/units.ts) are
// built on it.
//
// Raw method calls only, no introspection: Manager.GetUnit (LoadUnit for a unit that is not loaded, which
// then reads as LoadState "not-found" when there is no such unit file) gives the unit's object path, and
// Properties.GetAll on it reads org.freedesktop.systemd1.Unit and, for a service, .Service.
//
// systemd sends PropertiesChanged and JobRemoved on the system bus only while some client is subscribed
// (Manager.Subscribe, once per connection; systemd drops the subscription with the connection), and the
// bus delivers them to us only with a match rule.
//
// Every call has a deadline, the connect included: the client is made with dbus-native's own timeout off
// (0), because dbus-native's Hello call throws its TimeoutError from a timer when the socket accepts and
// never speaks, which would crash the process; each call passes its own timeout instead, and a call that
// times out before the D-Bus handshake completed drops the connection. Every failure is a SystemdError
// with one line an operator can act on.
import { createClient, type Message, type MessageBus } from 'dbus-native';
import { systemBusAddress } from './systemd-address.js';
import { connectionFailure, describeFailure, oneLine, SystemdError } from './systemd-errors.js';

export { DEFAULT_SYSTEM_BUS_ADDRESS, systemBusAddress } from './systemd-address.js';
export const SYSTEMD = 'org.freedesktop.systemd1';
export const MANAGER_PATH = '/org/freedesktop/systemd1';
export const MANAGER = 'org.freedesktop.systemd1.Manager';
export const UNIT = 'org.freedesktop.systemd1.Unit';
export const SERVICE = 'org.freedesktop.systemd1.Service';
export const PROPERTIES = 'org.freedesktop.DBus.Properties';
const BUS_NAME = 'org.freedesktop.DBus';
const BUS_PATH = '/org/freedesktop/DBus';
const DEFAULT_CALL_TIMEOUT_MS = 5000;
const JOB_REMOVED_RULE = `type='signal',sender='${SYSTEMD}',path='${MANAGER_PATH}',interface='${MANAGER}',member='JobRemoved'`;

export function propertiesChangedRule(path: string): string {
  return `type='signal',sender='${SYSTEMD}',path='${path}',interface='${PROPERTIES}',member='PropertiesChanged'`;
}

export type JobListener = (job: string, result: string) => void;

/** One D-Bus connection; a new one is made on the next call after it is gone. */
export interface Link {
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
  /** Told when the connection ends; byOwner when the bus was closed by its owner. */
  closeListeners: Set<(err: SystemdError, byOwner: boolean) => void>;
  done: Promise<void>;
}

/** Opens nothing yet: the connection is made by the first call (and again after it broke). */
export class SystemdBus {
  readonly address: string;
  readonly timeoutMs: number;
  /** "systemd over D-Bus at <address>", the start of most messages. */
  readonly label: string;
  private current: Link | null = null;
  private closed = false;

  constructor(opts: { address?: string; timeoutMs?: number } = {}) {
    this.address = opts.address ?? systemBusAddress();
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.label = `systemd over D-Bus at ${this.address}`;
  }

  /** The live connection, or a new one. */
  link(): Link {
    if (this.closed) throw new SystemdError(`${this.label}: the systemd source was closed`, 'closed');
    if (!this.current || this.current.closed) this.current = this.connect();
    return this.current;
  }

  async call<T>(l: Link, msg: Message, doing: string, unit?: string, signal?: AbortSignal): Promise<T> {
    const timeoutMs = this.timeoutMs;
    try {
      return await l.bus.invoke<T>(
        { destination: SYSTEMD, ...msg },
        signal ? { timeout: timeoutMs, signal } : { timeout: timeoutMs },
      );
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ECONNCLOSED' && l.failure && !l.closedByOwner)
        throw l.failure;
      const failure = describeFailure(err, {
        address: this.address,
        doing,
        unit,
        timeoutMs,
        handshaken: l.handshaken,
        cause: l.cause,
        closedByOwner: l.closedByOwner,
      });
      // A connection that never finished its handshake is of no further use; the next call dials again.
      if (failure.reason === 'timeout' && !l.handshaken) void this.drop(l, false, failure);
      throw failure;
    }
  }

  /** AddMatch / RemoveMatch on the bus itself. */
  matchRule(l: Link, member: 'AddMatch' | 'RemoveMatch', rule: string, doing: string): Promise<void> {
    return this.call(
      l,
      { destination: BUS_NAME, path: BUS_PATH, interface: BUS_NAME, member, signature: 's', body: [rule] },
      doing,
    );
  }

  /** Manager.Subscribe, once per connection. */
  subscribe(l: Link): Promise<void> {
    l.subscribed ??= this.call<void>(
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

  /** JobRemoved signals delivered to l.jobListeners, once per connection. */
  watchJobs(l: Link): Promise<void> {
    if (!l.jobSignals) {
      l.jobSignals = (async () => {
        await this.matchRule(l, 'AddMatch', JOB_REMOVED_RULE, "watching systemd's jobs");
        await this.subscribe(l);
      })().catch((err) => {
        l.jobSignals = null;
        throw err;
      });
    }
    return l.jobSignals;
  }

  /** A unit's object path; a unit that is not loaded is loaded (a missing one reads as not-found). */
  async unitPath(l: Link, name: string, doing: string): Promise<string> {
    const ask = (member: 'GetUnit' | 'LoadUnit') =>
      this.call<string>(
        l,
        { path: MANAGER_PATH, interface: MANAGER, member, signature: 's', body: [name] },
        doing,
        name,
      );
    try {
      return await ask('GetUnit');
    } catch (err) {
      if ((err as SystemdError).reason === 'not-found') return ask('LoadUnit');
      throw err;
    }
  }

  /** Properties.GetAll of one interface at an object path. */
  getAll(
    l: Link,
    path: string,
    iface: string,
    doing: string,
    unit: string,
  ): Promise<Record<string, unknown>> {
    return this.call<Record<string, unknown>>(
      l,
      { path, interface: PROPERTIES, member: 'GetAll', signature: 's', body: [iface] },
      doing,
      unit,
    );
  }

  /** Drops the connection: calls in flight fail, watches end without an error. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.current) await this.drop(this.current, true);
    this.current = null;
  }

  private drop(l: Link, byOwner: boolean, failure?: SystemdError): Promise<void> {
    l.closedByOwner ||= byOwner;
    l.failure ??= failure;
    if (this.current === l) this.current = null;
    if (!l.closed) l.bus.connection.stream.destroy();
    return l.done;
  }

  private connect(): Link {
    let client: MessageBus;
    try {
      client = createClient({ busAddress: this.address, timeout: 0 });
    } catch (err) {
      // A malformed address fails synchronously ("unknown address type").
      throw new SystemdError(`${this.label}: cannot connect (${oneLine((err as Error).message)})`, 'refused');
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
    // JobRemoved(id, job, unit, result) goes to whoever waits for a job; delivered once watchJobs added
    // the match rule.
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
      if (this.current === link) this.current = null;
      const err = link.closedByOwner
        ? new SystemdError(`${this.label}: the systemd source was closed`, 'closed')
        : (link.failure ?? connectionFailure(this.label, link.cause, link.handshaken));
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
}
