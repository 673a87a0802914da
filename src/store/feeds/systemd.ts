// kubelet's unit and the runtime's, live from systemd's signals over D-Bus. When the bus goes away (dbus
// restarted, systemd re-executed) the watch ends with one error in both slots, and starts again 5 s later.
import { openSystemd, type SystemdSource } from '../../sources/systemd.js';
import { errnoMessage } from '../../util/errors.js';
import type { Feed, FeedHost } from '../feed.js';

const RESUBSCRIBE_MS = 5_000;

export function startSystemdFeed(host: FeedHost, address: string): Feed {
  let systemd: SystemdSource;
  try {
    systemd = openSystemd({ address, timeoutMs: 5_000 });
  } catch (err) {
    setUnitError(host, errnoMessage(err));
    return { close: () => {} };
  }
  let watch: { close(): void } | null = null;
  const start = () => {
    if (host.closed) return;
    const s = host.snapshot;
    const names = [s.kubeletUnit.name, ...(s.runtimeUnit ? [s.runtimeUnit.name] : [])];
    watch = systemd.watchUnits(
      names,
      (state) =>
        host.update((s) => {
          const slot = { value: state, error: null, at: Date.now() };
          if (state.name === s.kubeletUnit.name) return { ...s, kubeletUnit: { ...s.kubeletUnit, ...slot } };
          if (s.runtimeUnit && state.name === s.runtimeUnit.name) {
            return { ...s, runtimeUnit: { ...s.runtimeUnit, ...slot } };
          }
          return s;
        }),
      (err) => {
        setUnitError(host, err.message);
        watch = null;
        host.later(start, RESUBSCRIBE_MS);
      },
    );
  };
  start();
  return {
    async close() {
      watch?.close();
      await systemd.close().catch(() => {});
    },
  };
}

function setUnitError(host: FeedHost, error: string): void {
  host.update((s) => ({
    ...s,
    kubeletUnit: { ...s.kubeletUnit, error, at: Date.now() },
    runtimeUnit: s.runtimeUnit ? { ...s.runtimeUnit, error, at: Date.now() } : null,
  }));
}
