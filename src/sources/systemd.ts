// The systemd source: kubelet's and the runtime's units, read over D-Bus (clients/systemd-bus.ts).
// Read-only: starting, stopping and restarting are the write side, in src/ops/control/units.ts.
//
// Live state comes from signals only, nothing polls: PropertiesChanged on each unit's object path, after
// Manager.Subscribe and a match rule per unit.
import {
  type Link,
  PROPERTIES,
  propertiesChangedRule,
  SERVICE,
  SystemdBus,
  UNIT,
} from '../clients/systemd-bus.js';
import { oneLine, SystemdError } from '../clients/systemd-errors.js';

/** systemd sends a burst of PropertiesChanged per state change (Unit and Service): one re-read for all. */
const COALESCE_MS = 50;

/** One unit as systemd reports it. */
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
  /** Drops the connection: calls in flight fail, watches end without onError. Idempotent. */
  close(): Promise<void>;
}

/** Opens nothing yet: the connection is made by the first call (and again after it broke). */
export function openSystemd(opts: { address?: string; timeoutMs?: number } = {}): SystemdSource {
  const bus = new SystemdBus(opts);
  return {
    address: bus.address,
    async unit(name) {
      const l = bus.link();
      return readUnitAt(bus, l, name, await bus.unitPath(l, name, `reading ${name}`));
    },
    watchUnits: (names, onState, onError) => watchUnitsOn(bus, names, onState, onError),
    close: () => bus.close(),
  };
}

/** A unit's state at its object path: Unit's properties and, for a service, Service's. */
export async function readUnitAt(bus: SystemdBus, l: Link, name: string, path: string): Promise<UnitState> {
  const doing = `reading ${name}`;
  const [unit, service] = await Promise.all([
    bus.getAll(l, path, UNIT, doing, name),
    name.endsWith('.service') ? bus.getAll(l, path, SERVICE, doing, name) : Promise.resolve(null),
  ]);
  return unitStateFrom(name, unit, service);
}

function watchUnitsOn(
  bus: SystemdBus,
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
      const state = await readUnitAt(bus, l, slot.name, slot.path);
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
        bus
          .matchRule(l, 'RemoveMatch', propertiesChangedRule(slot.path), 'removing a match rule')
          .catch(() => {});
      }
    }
    l?.closeListeners.delete(onClose);
  };
  (async () => {
    const link_ = bus.link();
    l = link_;
    link_.closeListeners.add(onClose);
    await bus.subscribe(link_);
    for (const name of names) {
      if (closed) return;
      const path = await bus.unitPath(link_, name, `watching ${name}`);
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
      await bus.matchRule(link_, 'AddMatch', propertiesChangedRule(path), `watching ${name}`);
    }
    // Resync: whatever changed before the rules were in place is read now.
    for (const slot of slots) poke(slot, 0);
  })().catch((err) => {
    report(err);
    stop();
  });
  return { close: stop };
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
