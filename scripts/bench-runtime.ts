// Runtime benchmarks against a real lab: how long a container's change takes to reach breakglass
// (event or poll, then the model re-read), and what watching an idle runtime costs.
// Writes bench/RUNTIME.md.
//
//   npm run bench:runtime          (a temp lab, torn down after; or the one in BREAKGLASS_LAB_DIR)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { openRuntime } from '../src/sources/runtime/open.js';
import type { Runtime } from '../src/sources/runtime/types.js';
import { REPO_ROOT } from '../test/helpers/paths.js';
import { criHarness, dockerHarness, type Harness } from '../test/helpers/runtime-harness.js';
import { machineFacts, ms, summarize, table } from './bench-lib.js';
import { labDown, labIsUp, labUp } from './lab/lab.js';

const KILLS = 20;
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 30);

interface RuntimeResult {
  kind: string;
  mechanism: string;
  eventMs: number[];
  modelMs: number[];
  idleCpuMs: number;
}

async function measure(harness: Harness, runtime: Runtime, mechanism: string): Promise<RuntimeResult> {
  const pod = await harness.runPod({
    name: 'bench',
    namespace: 'kube-system',
    nodeName: `bench-${harness.kind}`,
    file: '/etc/kubernetes/manifests/bench.yaml',
    content: `bench ${harness.kind}`,
    containers: [{ name: 'bench', image: 'local/busybox:1', command: ['sleep', '3600'] }],
  });
  let lastEventAt = 0;
  const sub = runtime.subscribe(() => {
    lastEventAt = performance.now();
  });
  await sleep(1_500);
  const idleStart = process.cpuUsage();
  await sleep(IDLE_SECONDS * 1000);
  const idle = process.cpuUsage(idleStart);
  const eventMs: number[] = [];
  const modelMs: number[] = [];
  let current = pod.containerId('bench');
  for (let i = 0; i < KILLS; i++) {
    const started = performance.now();
    lastEventAt = 0;
    await harness.kill(current);
    while (lastEventAt === 0) await sleep(2);
    eventMs.push(lastEventAt - started);
    // The model's view: re-read after the event, as the TUI will.
    const containers = await runtime.listContainers();
    if (containers.find((c) => c.id === current)?.state !== 'exited')
      throw new Error('the model missed the exit');
    modelMs.push(performance.now() - started);
    current = await harness.restart(
      pod,
      { name: 'bench', image: 'local/busybox:1', command: ['sleep', '3600'] },
      i + 1,
    );
    await sleep(1_200);
  }
  sub.close();
  return { kind: harness.kind, mechanism, eventMs, modelMs, idleCpuMs: (idle.user + idle.system) / 1000 };
}

function report(results: RuntimeResult[]): string {
  const rows = results.flatMap((r) => {
    const e = summarize(r.eventMs);
    const m = summarize(r.modelMs);
    return [
      [r.kind, r.mechanism, 'event', ...[e.min, e.p50, e.p95, e.max].map((v) => ms(v, 1))],
      [r.kind, r.mechanism, 'in the model', ...[m.min, m.p50, m.p95, m.max].map((v) => ms(v, 1))],
    ];
  });
  const idle = results.map((r) => [
    r.kind,
    r.mechanism,
    `${ms(r.idleCpuMs, 1)} ms`,
    `${ms((r.idleCpuMs / (IDLE_SECONDS * 1000)) * 100, 3)} %`,
  ]);
  return `# breakglass runtime benchmarks

Written by \`npm run bench:runtime\` (scripts/bench-runtime.ts) against a lab: real containerd 1.6 (CRI)
and dockerd. Measurements, not tests.

${machineFacts()}

## From a container's exit to breakglass (${KILLS} kills each)

From the kill call to the subscriber's event, and to a re-read of the containers that shows the exit.
Requirement: "a state change reaches the model within 1 s". Milliseconds.

${table(['runtime', 'how', 'reached', 'min', 'p50', 'p95', 'max'], rows)}

## Watching an idle runtime (${IDLE_SECONDS} s)

CPU time of the whole process while subscribed and nothing changes.

${table(['runtime', 'how', 'CPU time', '% of one core'], idle)}
`;
}

async function main(): Promise<void> {
  const given = process.env.BREAKGLASS_LAB_DIR;
  const reuse = given !== undefined && (await labIsUp(given));
  const dir = given ?? fs.mkdtempSync('/tmp/bg-bench-lab-');
  const lab = await labUp(dir, {});
  const results: RuntimeResult[] = [];
  try {
    for (const [harness, mechanism] of [
      [criHarness(lab), 'polling (containerd 1.6 has no GetContainerEvents)'],
      [dockerHarness(lab), 'event stream'],
    ] as const) {
      process.stderr.write(`bench: ${harness.kind}\n`);
      const runtime = openRuntime({ kind: harness.kind, endpoint: harness.endpoint, source: 'bench' });
      try {
        results.push(await measure(harness, runtime, mechanism));
      } finally {
        runtime.close();
        await harness.cleanup();
      }
    }
  } finally {
    if (!reuse) {
      await labDown(dir, {});
      if (!given) fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const text = report(results);
  fs.mkdirSync(path.join(REPO_ROOT, 'bench'), { recursive: true });
  fs.writeFileSync(path.join(REPO_ROOT, 'bench/RUNTIME.md'), text);
  process.stdout.write(text);
}

await main();
