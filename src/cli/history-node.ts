// The manifest history from the command line: the node read once with its probes (for `history --record`,
// so a version is marked healthy), the quiet recording `status` does, and the TUI's recorder, which runs
// `history --record` as a child when the store shows new manifests or a probe turning, so the screen's
// event loop never waits on fsync or the history's lock.

import { spawn } from 'node:child_process';
import type { HealthView, NodeFacts } from '../model/facts.js';
import { SETTLED_MS } from '../model/manifest-history.js';
import { nodeModel } from '../model/node.js';
import type { NodeLayout } from '../node/discover.js';
import { recordNode } from '../procedures/history-record.js';
import { probe } from '../sources/health.js';
import type { NodeStore } from '../store/store.js';
import { type SelfCommand, selfArgs } from '../util/self.js';
import type { Flags } from './flags.js';

export function historyContext(layout: NodeLayout, flags: Flags) {
  return {
    stateDir: layout.stateDir.value,
    manifests: layout.manifests.value,
    root: layout.root,
    readOnly: flags.readOnly,
  };
}

/** Every enabled pod's probe, once, as the health feed would key it (by pod name). */
export async function probeOnce(facts: NodeFacts): Promise<NodeFacts> {
  const pods = facts.dirs.manifests.files.filter((f) => f.loadedByKubelet).flatMap((f) => f.pods);
  const results = await Promise.all(
    pods.flatMap((p) =>
      p.health
        ? [
            probe(p.health).then((r): [string, HealthView] => [
              p.name,
              { ok: r.ok, statusCode: r.statusCode, latencyMs: r.latencyMs, error: r.error, url: r.url },
            ]),
          ]
        : [],
    ),
  );
  return { ...facts, health: new Map(results) };
}

/**
 * What a reading command saw, kept in the history without a word: never with --read-only, never as
 * anyone but root (the state directory is root's), and a failure is not the command's.
 */
export function recordQuietly(facts: NodeFacts, flags: Flags): void {
  if (flags.readOnly || (process.geteuid && process.geteuid() !== 0)) return;
  try {
    recordNode(historyContext(facts.layout, flags), nodeModel(facts), { kubeadm: false });
  } catch {
    // the history is a convenience of a reading command: its failure is `history --record`'s to report
  }
}

/**
 * The TUI's recorder: when the manifests feed brings a new snapshot or a probe turns ok or not, one
 * `breakglass history --record` child (at most one at a time, one more if something changed meanwhile).
 */
export function recordFromStore(store: NodeStore, child: SelfCommand & { nodeFlags: string[] }): () => void {
  let last = '';
  let running = false;
  let again = false;
  let timer: NodeJS.Timeout | null = null;
  const run = () => {
    timer = null;
    if (running) {
      again = true;
      return;
    }
    running = true;
    const proc = spawn(child.node, selfArgs(child, ['history', '--record', ...child.nodeFlags]), {
      stdio: 'ignore',
    });
    const done = () => {
      running = false;
      if (again) {
        again = false;
        run();
      }
    };
    proc.on('error', done);
    proc.on('exit', done);
    proc.unref();
  };
  const check = () => {
    const now = signature(store.snapshot);
    if (now === last) return;
    last = now;
    timer ??= setTimeout(run, 500);
  };
  check();
  const unsubscribe = store.subscribe(check);
  return () => {
    unsubscribe();
    if (timer) clearTimeout(timer);
  };
}

/** What the history depends on: each file's bytes, and each pod's phase, probe and running containers. */
function signature(facts: NodeFacts): string {
  const files = [facts.dirs.manifests, facts.dirs.holding].flatMap((d) =>
    d.files.map((f) => `${f.path}:${f.sha256}`),
  );
  const now = Date.now();
  const pods = nodeModel(facts).pods.map((p) => {
    const running = p.containers.filter((c) => c.state === 'running');
    // A container that has run long enough to count as healthy is news too (see SETTLED_MS).
    const settled = running.map(
      (c) => `${c.id}${now - (c.startedAt?.getTime() ?? now) >= SETTLED_MS ? '=' : ''}`,
    );
    return `${p.key}:${p.phase}:${p.health?.ok}:${settled.join('+')}`;
  });
  return [...files, ...pods].join('\n');
}
