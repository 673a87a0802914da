import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ChangeContext, disableStaticPod, enableStaticPod } from '../../src/ops/staticpods.js';
import type { ManifestDirs } from '../../src/sources/manifests/scan.js';
import { watchManifestDirs } from '../../src/sources/manifests/watch.js';
import { sha256 } from '../../src/util/fsx.js';
import { kubeadmManifest, makeNodeRoot, type NodeRoot } from '../../test/helpers/node-root.js';
import { ms, type Summary, summarize, table } from '../bench-lib.js';
import { changeContext, NODE_NAME } from './node-costs.js';

const REQUIREMENT_MS = 250;
export const WATCH_CHANGES = 200;
/** Longer than the watcher's 20 s re-list, so a change missed by inotify still shows up as a (slow) sample. */
const WATCH_TIMEOUT_MS = 30_000;
/** Pause between watched changes, longer than the 25 ms debounce, so each change is seen on its own. */
const SETTLE_MS = 60;

interface Waiter {
  accept: (dirs: ManifestDirs) => boolean;
  resolve: (at: number) => void;
}

interface WatchedChange {
  kind: string;
  /** The file system call (or op) that makes the change. */
  run: () => void;
  /** True once a snapshot reflects the change. */
  seen: (dirs: ManifestDirs) => boolean;
}

function has(dirs: ManifestDirs, key: 'manifests' | 'holding', name: string): boolean {
  return dirs[key].files.some((f) => f.name === name);
}

/** The repeating sequence: a stray copy appears, goes away, a manifest is rewritten, a pod disabled and enabled. */
function changeSequence(node: NodeRoot, ctx: ChangeContext): ((i: number) => WatchedChange)[] {
  const stray = 'kube-apiserver.yaml.bak';
  const rewritten = 'kube-apiserver.yaml';
  const moved = 'kube-scheduler.yaml';
  const original = kubeadmManifest(rewritten);
  return [
    () => ({
      kind: 'write stray file',
      run: () => fs.writeFileSync(path.join(node.manifests, stray), original, { mode: 0o600 }),
      seen: (d) => has(d, 'manifests', stray),
    }),
    () => ({
      kind: 'remove stray file',
      run: () => fs.unlinkSync(path.join(node.manifests, stray)),
      seen: (d) => !has(d, 'manifests', stray),
    }),
    (i) => {
      const text = `${original}# bench rewrite ${i}\n`;
      const hash = sha256(text);
      return {
        kind: 'rewrite manifest',
        run: () => fs.writeFileSync(path.join(node.manifests, rewritten), text),
        seen: (d) => d.manifests.files.some((f) => f.name === rewritten && f.sha256 === hash),
      };
    },
    () => ({
      kind: 'disable (op)',
      run: () => void disableStaticPod(ctx, 'kube-scheduler'),
      seen: (d) => has(d, 'holding', moved) && !has(d, 'manifests', moved),
    }),
    () => ({
      kind: 'enable (op)',
      run: () => void enableStaticPod(ctx, 'kube-scheduler'),
      seen: (d) => has(d, 'manifests', moved) && !has(d, 'holding', moved),
    }),
  ];
}

interface LatencyResult {
  all: number[];
  byKind: Map<string, number[]>;
  missed: number;
}

export async function benchWatchLatency(): Promise<LatencyResult> {
  const node = makeNodeRoot();
  const ctx = changeContext(node);
  let waiter: Waiter | null = null;
  const watcher = watchManifestDirs(
    { manifests: node.manifests, holding: node.holding, nodeName: NODE_NAME },
    (dirs) => {
      const at = performance.now();
      if (waiter?.accept(dirs)) {
        const w = waiter;
        waiter = null;
        w.resolve(at);
      }
    },
  );
  /** Latency of one change in ms, or null when it never reached the model within the timeout. */
  const measure = async (change: WatchedChange): Promise<number | null> => {
    let timer: NodeJS.Timeout | undefined;
    const seenAt = new Promise<number | null>((resolve) => {
      waiter = { accept: change.seen, resolve };
      timer = setTimeout(() => resolve(null), WATCH_TIMEOUT_MS);
    });
    const start = performance.now();
    change.run();
    const at = await seenAt;
    clearTimeout(timer);
    waiter = null;
    return at === null ? null : at - start;
  };

  const result: LatencyResult = { all: [], byKind: new Map(), missed: 0 };
  try {
    await sleep(500); // chokidar sets its inotify watches up asynchronously
    const sequence = changeSequence(node, ctx);
    // One unmeasured round: the first disable creates the holding directory, which is then added to the watch.
    for (const make of sequence) {
      await measure(make(-1));
      await sleep(SETTLE_MS * 5);
    }
    for (let i = 0; i < WATCH_CHANGES; i++) {
      const change = sequence[i % sequence.length]!(i);
      const latency = await measure(change);
      if (latency === null) result.missed++;
      else {
        result.all.push(latency);
        const list = result.byKind.get(change.kind) ?? [];
        list.push(latency);
        result.byKind.set(change.kind, list);
      }
      await sleep(SETTLE_MS);
    }
  } finally {
    await watcher.close();
    node.cleanup();
  }
  return result;
}

export function latencyReport(r: LatencyResult): string {
  const s = summarize(r.all);
  const verdict = (v: number) => (v <= REQUIREMENT_MS ? 'meets' : '**does not meet**');
  const rows = [['all', ...summaryCells(s)]];
  for (const [kind, samples] of r.byKind) rows.push([kind, ...summaryCells(summarize(samples))]);
  return [
    `## 1. Watch latency (${WATCH_CHANGES} changes)`,
    '',
    'From just before the file system call (or the disable/enable op, which includes its lock, fsyncs and',
    `audit) to the \`onChange\` callback whose snapshot shows the change. Debounce 25 ms; ${SETTLE_MS} ms pause`,
    'between changes; one unmeasured warm-up round first. Milliseconds.',
    '',
    table(['change', 'n', 'min', 'mean', 'p50', 'p95', 'p99', 'max'], rows),
    '',
    `Requirement "a change is in the model within ${REQUIREMENT_MS} ms": p99 ${ms(s.p99)} ms ${verdict(s.p99)} it;` +
      ` max ${ms(s.max)} ms ${verdict(s.max)} it.` +
      (r.missed > 0
        ? ` **${r.missed} change(s) never reached the model within ${WATCH_TIMEOUT_MS / 1000} s** (not in the samples).`
        : ' Every change reached the model.'),
  ].join('\n');
}

function summaryCells(s: Summary): string[] {
  return [String(s.n), ms(s.min), ms(s.mean), ms(s.p50), ms(s.p95), ms(s.p99), ms(s.max)];
}
