// breakglass against the lab's real runtimes: containerd over CRI, and Docker with cri-dockerd's
// conventions. Pods are started the way kubelet starts static pods (names, labels, annotations, logs).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { controlPlaneUp } from '../../scripts/lab/controlplane.js';
import { daemonsAnswer } from '../../scripts/lab/daemons/clients.js';
import { startLabDockerd, stopDockerd } from '../../scripts/lab/daemons.js';
import type { ContainerSpec, PodSpec } from '../../scripts/lab/pods.js';
import { openRuntime } from '../../src/sources/runtime/open.js';
import type { RuntimeEvent } from '../../src/sources/runtime/types.js';
import { type LabEnv, labEnv } from '../helpers/lab.js';
import { makeNodeRoot, makeTempDir, type NodeRoot } from '../helpers/node-root.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { breakglass, breakglassAsync, breakglassJson, startBreakglass } from '../helpers/run.js';
import { criHarness, dockerHarness, type Harness, type RunningPod } from '../helpers/runtime-harness.js';
import { until } from '../helpers/wait.js';

interface ContainerJson {
  name: string;
  state: string;
  restartCount: number;
  exitCode: number | null;
  reason: string | null;
  lastTermination: { exitCode: number | null; reason: string | null } | null;
}
interface Status {
  runtime: { kind: string; name: string; version: string; apiVersion: string; error: string | null };
  staticPods: { name: string; enabled: boolean; running: boolean | null; containers: ContainerJson[] }[];
  podsWithoutManifest: { podName: string; namespace: string; containers: ContainerJson[] }[];
}

const SEEN = { timeoutMs: 20_000, intervalMs: 50 };
/** breakglass on a hung runtime socket must still answer: killed and failed after this. */
const HUNG_SOCKET_MS = 30_000;
const LONG_LINE = 'x'.repeat(20_000);
const ESCAPES = String.raw`printf '\033]0;owned title\007\033[31mred text\033[0m bell\007 csi\302\2332Jdone\n'`;

for (const kind of ['cri', 'docker'] as const) {
  describe(`${kind === 'cri' ? 'containerd over CRI' : 'Docker Engine API'}`, { timeout: 300_000 }, () => {
    let lab: LabEnv;
    let harness: Harness;
    let node: NodeRoot;
    let flags: string[];
    const nodeName = `${kind}-master`;
    const ports = kind === 'cri' ? [22379, 22380, 22381] : [23379, 23380, 23381];
    const pods = new Map<string, RunningPod>();

    const spec = (name: string, file: string | null, containers: ContainerSpec[]): PodSpec => ({
      name,
      namespace: 'kube-system',
      nodeName,
      file: file ? `/etc/kubernetes/manifests/${file}` : `/gone/${name}.yaml`,
      content: file ? fs.readFileSync(path.join(node.manifests, file), 'utf8') : name,
      labels: { component: name, tier: 'control-plane' },
      containers,
    });
    const apiserver = (attempt: number): ContainerSpec => ({
      name: 'kube-apiserver',
      image: lab.images.busybox,
      command: [
        'sh',
        '-c',
        `echo "apiserver attempt ${attempt} starting"; echo "E0101 unknown flag: --bogus" >&2; exit 1`,
      ],
    });
    const status = () => breakglassJson<Status>(['status', ...flags]);

    before(async () => {
      lab = labEnv();
      harness = kind === 'cri' ? criHarness(lab) : dockerHarness(lab);
      node = makeNodeRoot();
      fs.writeFileSync(path.join(node.root, 'etc/hostname'), `${nodeName}\n`);
      flags = [...node.flags, '--runtime', harness.endpoint, '--pod-logs', lab.podLogsDir];
      const [client, peer, metrics] = ports;
      pods.set(
        'etcd',
        await harness.runPod(
          spec('etcd', 'etcd.yaml', [
            {
              name: 'etcd',
              image: lab.images.etcd,
              command: [
                '/usr/bin/etcd',
                '--name=lab',
                '--data-dir=/etcd-data',
                `--listen-client-urls=http://127.0.0.1:${client}`,
                `--advertise-client-urls=http://127.0.0.1:${client}`,
                `--listen-peer-urls=http://127.0.0.1:${peer}`,
                `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
                `--initial-cluster=lab=http://127.0.0.1:${peer}`,
                `--listen-metrics-urls=http://127.0.0.1:${metrics}`,
              ],
            },
          ]),
        ),
      );
      pods.set(
        'kube-scheduler',
        await harness.runPod(
          spec('kube-scheduler', 'kube-scheduler.yaml', [
            {
              name: 'kube-scheduler',
              image: lab.images.busybox,
              command: [
                'sh',
                '-c',
                `echo "hello from the scheduler"; ${ESCAPES}; echo ${LONG_LINE}; exec sleep 3600`,
              ],
            },
          ]),
        ),
      );
      pods.set(
        'kube-apiserver',
        await harness.runPod(spec('kube-apiserver', 'kube-apiserver.yaml', [apiserver(0)])),
      );
      pods.set(
        'kube-controller-manager',
        await harness.runPod(
          spec('kube-controller-manager', 'kube-controller-manager.yaml', [
            {
              name: 'kube-controller-manager',
              image: lab.images.busybox,
              memoryLimitBytes: 32 * 1024 * 1024,
              // A child shell takes far more than the limit (command substitution keeps it all in its
              // memory) and the kernel's OOM killer kills it; the container's own process then exits
              // 137 a moment later. Killing the main process itself races the runtime's OOM event
              // against its exit event, and dockerd 20.10 then sometimes reports "Error".
              command: [
                'sh',
                '-c',
                'echo allocating; (x=$(head -c 400000000 /dev/zero | tr "\\000" a)); sleep 2; echo "the allocating child was OOM-killed"; exit 137',
              ],
            },
          ]),
        ),
      );
      pods.set(
        'kube-proxy',
        await harness.runPod(
          spec('kube-proxy', null, [
            { name: 'kube-proxy', image: lab.images.busybox, command: ['sleep', '3600'] },
          ]),
        ),
      );
      pods.set(
        'tty-pod',
        await harness.runPod(
          spec('tty-pod', null, [
            {
              name: 'tty',
              image: lab.images.busybox,
              tty: true,
              command: ['sh', '-c', 'echo "tty line one"; echo "tty line two"; exec sleep 3600'],
            },
          ]),
        ),
      );
      await harness.waitExited(pods.get('kube-apiserver')!.containerId('kube-apiserver'));
      await harness.waitExited(pods.get('kube-controller-manager')!.containerId('kube-controller-manager'));
      await waitForHealth(metrics!);
    });
    after(async () => {
      await harness?.cleanup();
      node?.cleanup();
    });

    test('status names the runtime and shows each static pod with its real container state', () => {
      const { json } = status();
      assert.equal(json.runtime.error, null);
      assert.equal(json.runtime.kind, kind);
      assert.equal(json.runtime.name, kind === 'cri' ? 'containerd' : 'docker');
      assert.match(json.runtime.version, /\d+\.\d+/);
      assert.match(json.runtime.apiVersion, kind === 'cri' ? /^v1$/ : /^1\.\d+$/);
      const byName = new Map(json.staticPods.map((p) => [p.name, p]));
      const etcd = byName.get('etcd')!.containers[0]!;
      assert.equal(etcd.state, 'running');
      assert.equal(etcd.restartCount, 0);
      const apiserverContainer = byName.get('kube-apiserver')!.containers[0]!;
      assert.deepEqual(
        [apiserverContainer.state, apiserverContainer.exitCode, apiserverContainer.reason],
        ['exited', 1, 'Error'],
      );
      const cm = byName.get('kube-controller-manager')!.containers[0]!;
      assert.equal(cm.state, 'exited');
      assert.equal(cm.reason, 'OOMKilled', `exit ${cm.exitCode}, reason ${cm.reason}`);
      assert.equal(byName.get('kube-scheduler')!.running, true);
    });

    test('a pod whose manifest is gone but which still runs is shown as such', () => {
      const { json } = status();
      const orphan = json.podsWithoutManifest.find((p) => p.podName === `kube-proxy-${nodeName}`);
      assert.ok(orphan, JSON.stringify(json.podsWithoutManifest));
      assert.equal(orphan.containers[0]!.state, 'running');
      const text = breakglass(['status', ...flags]).stdout;
      assert.match(text, new RegExp(`kube-system/kube-proxy-${nodeName} runs with no manifest left`));
    });

    test('a restart: kubelet starts attempt 1; restart count and the last termination follow', async () => {
      const pod = pods.get('kube-apiserver')!;
      const id = await harness.restart(pod, apiserver(1), 1);
      await harness.waitExited(id);
      const c = status().json.staticPods.find((p) => p.name === 'kube-apiserver')!.containers[0]!;
      assert.equal(c.restartCount, 1);
      assert.equal(c.exitCode, 1);
      const logs = breakglass(['logs', 'kube-apiserver', ...flags]);
      assert.equal(logs.status, 0, logs.stderr);
      assert.match(logs.stdout, /apiserver attempt 1 starting/);
      assert.doesNotMatch(logs.stdout, /attempt 0/);
      assert.match(logs.stdout, /unknown flag: --bogus/);
    });

    test('logs: escape sequences removed, a 20000-character line whole, tail honoured', () => {
      const r = breakglass(['logs', 'kube-scheduler', ...flags]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /hello from the scheduler/);
      assert.ok(r.stdout.includes('red text bell csidone'), r.stdout.slice(0, 300));
      assert.doesNotMatch(r.stdout, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
      assert.ok(r.stdout.split('\n').includes(LONG_LINE), 'the long line is joined from its partial records');
      const tail = breakglass(['logs', 'kube-scheduler', '--tail', '1', ...flags]);
      assert.deepEqual(tail.stdout.trimEnd().split('\n'), [LONG_LINE]);
    });

    test('logs --follow moves on to the next attempt when the container restarts', async () => {
      const pod = pods.get('kube-apiserver')!;
      const follower = startBreakglass(['logs', 'kube-apiserver', '--follow', ...flags]);
      try {
        await until(
          'the current attempt',
          () => follower.stdout().includes('apiserver attempt 1 starting'),
          SEEN,
        );
        await harness.restart(
          pod,
          { ...apiserver(2), command: ['sh', '-c', 'echo "attempt 2 is up"; exec sleep 3600'] },
          2,
        );
        await until('the next attempt', () => follower.stdout().includes('attempt 2 is up'), {
          ...SEEN,
          context: () => `stderr: ${follower.stderr()}`,
        });
        assert.match(follower.stderr(), /restarted/);
      } finally {
        follower.child.kill('SIGTERM');
      }
      const code = await new Promise((r) => follower.child.once('exit', r));
      assert.equal(code, 0, 'SIGTERM ends a followed log cleanly');
    });

    test('with the runtime socket dead, status still works and logs come from the files', () => {
      const dead = ['--runtime', 'unix:///nonexistent/runtime.sock'];
      const base = [...node.flags, '--pod-logs', lab.podLogsDir];
      const { json } = breakglassJson<Status>(['status', ...base, ...dead]);
      assert.match(json.runtime.error!, /no such socket/);
      assert.ok(json.staticPods.some((p) => p.name === 'etcd'));
      const logs = breakglass(['logs', 'kube-scheduler', ...base, ...dead]);
      assert.equal(logs.status, 0, logs.stderr);
      assert.match(logs.stdout, /hello from the scheduler/);
      assert.match(logs.stderr, /reading kubelet's log files instead/);
    });

    test('logs --tail N beyond 16 MiB back says how many lines it gives and from where; without --tail, every line', () => {
      const podLogs = makeTempDir('bg-big-log-');
      const dir = path.join(podLogs, `kube-system_kube-scheduler-${nodeName}_0123`, 'kube-scheduler');
      fs.mkdirSync(dir, { recursive: true });
      const line = (i: number) => `2024-05-01T12:00:00.000000000Z stdout F line ${i} ${'.'.repeat(200)}\n`;
      const fd = fs.openSync(path.join(dir, '0.log'), 'w');
      let written = 0;
      for (let batch = 0; batch < 100; batch++) {
        fs.writeSync(fd, Array.from({ length: 1000 }, (_, j) => line(written + j)).join(''));
        written += 1000;
      }
      fs.closeSync(fd);
      const base = [...node.flags, '--pod-logs', podLogs, '--runtime', 'unix:///nonexistent/runtime.sock'];
      const big = { maxBuffer: 256 * 1024 * 1024 };
      const tail = breakglass(['logs', 'kube-scheduler', '--tail', '1000000', ...base], big);
      assert.equal(tail.status, 0, tail.stderr);
      const shown = tail.stdout.trimEnd().split('\n').length;
      assert.ok(shown < written, `${shown} of ${written}`);
      assert.match(
        tail.stderr,
        new RegExp(
          `${shown} of the 1000000 lines asked: a tail looks back at most 16 MiB of .*0\\.log \\(2\\d MiB in all\\); without --tail the whole file is printed`,
        ),
      );
      const whole = breakglass(['logs', 'kube-scheduler', ...base], big);
      assert.equal(whole.status, 0, whole.stderr);
      const lines = whole.stdout.trimEnd().split('\n');
      assert.equal(lines.length, written);
      assert.match(lines[0]!, /^line 0 /);
      assert.doesNotMatch(whole.stderr, /lines asked/);
      fs.rmSync(podLogs, { recursive: true, force: true });
    });

    test('a disabled pod that keeps running is flagged, and stop (confirmed, locked, audited) stops it', async () => {
      assert.equal(breakglass(['disable', 'kube-scheduler', ...flags]).status, 0);
      const sched = () => status().json.staticPods.find((p) => p.name === 'kube-scheduler')!;
      assert.deepEqual([sched().enabled, sched().running], [false, true]);
      assert.match(breakglass(['status', ...flags]).stdout, /kube-scheduler is disabled but still runs/);
      const unconfirmed = breakglass(['stop', 'kube-scheduler', ...flags]);
      assert.equal(unconfirmed.status, 1);
      assert.match(unconfirmed.stderr, /needs confirmation: pass --yes/);
      assert.equal(sched().running, true);
      const enabledRefused = breakglass(['stop', 'etcd', '--yes', ...flags]);
      assert.match(enabledRefused.stderr, /etcd-.* is enabled: kubelet would start it again/);
      const stopped = breakglass(['stop', 'kube-scheduler', '--yes', '--timeout', '1', ...flags]);
      assert.equal(stopped.status, 0, stopped.stderr);
      assert.equal(sched().running, false);
      assert.equal(sched().containers[0]!.state, 'exited');
      const audit = fs
        .readFileSync(path.join(node.stateDir, 'audit.log'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.ok(
        audit.some((r) => r.action === 'stop' && r.outcome === 'ok' && r.file.includes('kube-scheduler')),
      );
    });

    test('logs of a container with a TTY', async () => {
      await until(
        'the TTY output',
        () => breakglass(['logs', 'tty-pod', ...flags]).stdout.includes('tty line two'),
        SEEN,
      );
      const r = breakglass(['logs', 'tty-pod', ...flags]);
      assert.deepEqual(r.stdout.trimEnd().split('\n'), ['tty line one', 'tty line two']);
    });

    test('with the runtime socket hung, logs still come from the files', async () => {
      const dir = makeTempDir();
      const socket = path.join(dir, kind === 'docker' ? 'docker.sock' : 'containerd.sock');
      const held: net.Socket[] = [];
      const server = net.createServer((c) => held.push(c)).listen(socket);
      await new Promise((r) => server.once('listening', r));
      try {
        const { stdout: r } = await breakglassAsync(
          [
            'logs',
            'kube-apiserver',
            ...node.flags,
            '--pod-logs',
            lab.podLogsDir,
            '--runtime',
            `unix://${socket}`,
          ],
          { timeoutMs: HUNG_SOCKET_MS },
        );
        assert.match(r, /apiserver attempt 1 starting|attempt 2 is up/);
      } finally {
        for (const c of held) c.destroy();
        server.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    test('a runtime socket root may not open: one line saying so', () => {
      const r = spawnSync(
        process.execPath,
        [path.join(REPO_ROOT, 'dist/test/helpers/as-nobody.js'), 'status', '--json', ...flags],
        { encoding: 'utf8' },
      );
      const json = JSON.parse(r.stdout) as Status;
      assert.match(json.runtime.error!, /permission denied/);
    });

    test('etcd killed with SIGKILL: exit 137, and after the restart one restart with the kill as its reason', async () => {
      const etcd = pods.get('etcd')!;
      const id = etcd.containerId('etcd');
      await harness.kill(id);
      await harness.waitExited(id);
      const before = status().json.staticPods.find((p) => p.name === 'etcd')!.containers[0]!;
      assert.deepEqual([before.state, before.exitCode, before.reason], ['exited', 137, 'Error']);
      await harness.restart(etcd, { ...etcd.spec.containers[0]! }, 1);
      await waitForHealth(ports[2]!);
      const after = status().json.staticPods.find((p) => p.name === 'etcd')!.containers[0]!;
      assert.equal(after.state, 'running');
      assert.equal(after.restartCount, 1);
      assert.deepEqual(
        after.lastTermination && [after.lastTermination.exitCode, after.lastTermination.reason],
        [137, 'Error'],
      );
    });

    test('a runtime event reaches subscribers', async () => {
      const runtime = openRuntime({ kind, endpoint: harness.endpoint, source: 'test' });
      const events: { at: number; event: RuntimeEvent }[] = [];
      const sub = runtime.subscribe((event) => events.push({ at: Date.now(), event }));
      try {
        await new Promise((r) => setTimeout(r, 1_500)); // connected, or the poller has its baseline
        const proxy = pods.get('kube-proxy')!.containerId('kube-proxy');
        const killedAt = Date.now();
        await harness.kill(proxy);
        await until(
          'an event',
          () => events.some((e) => e.at >= killedAt && e.event.kind === 'changed'),
          SEEN,
        );
        const latency = events.find((e) => e.at >= killedAt)!.at - killedAt;
        // Timing is measured (and written down by scripts/bench.ts), not asserted: the arrival is.
        console.log(`# ${kind}: runtime event ${latency} ms after the kill`);
      } finally {
        sub.close();
        runtime.close();
      }
    });

    test('Docker stopped: logs from the files; started again: the event stream reconnects and resyncs', {
      skip: kind !== 'docker' && 'CRI has no event stream here: containerd 1.6 is polled',
    }, async () => {
      const runtime = openRuntime({ kind, endpoint: harness.endpoint, source: 'test' });
      const events: RuntimeEvent[] = [];
      const sub = runtime.subscribe((event) => events.push(event));
      try {
        await new Promise((r) => setTimeout(r, 500));
        await stopDockerd(lab.dir);
        // With dockerd stopped, the logs are still there: cri-dockerd's links to the json-file logs.
        const logs = breakglass(['logs', 'kube-apiserver', ...flags]);
        assert.equal(logs.status, 0, logs.stderr);
        assert.match(logs.stdout, /attempt 2 is up/);
        assert.match(logs.stderr, /reading kubelet's log files instead/);
        await startLabDockerd(lab.dir);
        await until('a resync after the reconnect', () => events.some((e) => e.kind === 'resync'), {
          ...SEEN,
          timeoutMs: 60_000,
        });
        // And it is live again: a new container's start arrives as an event.
        const count = events.length;
        await harness.runPod(
          spec('after-restart', null, [{ name: 'c', image: lab.images.busybox, command: ['true'] }]),
        );
        await until(
          'an event after the reconnect',
          () => events.slice(count).some((e) => e.kind === 'changed'),
          SEEN,
        );
      } finally {
        sub.close();
        runtime.close();
        // dockerd took the lab's systemd container (and with it kubelet) down: bring the control plane
        // back for the tests that follow.
        if (!(await daemonsAnswer(lab.dir)).docker) await startLabDockerd(lab.dir);
        await controlPlaneUp(lab.dir, {}, () => {});
      }
    });
  });
}

/** etcd answering its health endpoint; until it listens, fetch throws and is asked again. */
async function waitForHealth(port: number): Promise<void> {
  await until(
    `etcd healthy on 127.0.0.1:${port}`,
    async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok,
    { timeoutMs: 60_000, intervalMs: 200, retryErrors: true },
  );
}
