// `breakglass doctor` on the lab: each outage made the way it happens on a master (the lab's faults),
// and the doctor names it first, with its evidence, and the cascade as its consequences. Checked
// against the node itself: the manifest's own lines, the lab's fault as injected.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { labFault, labHeal } from '../../scripts/lab/lab.js';
import { labPorts } from '../../scripts/lab/node.js';
import type { DoctorReport } from '../../src/cli/render/doctor.js';
import type { StatusJson } from '../../src/cli/render/status.js';
import { labOrNull } from '../helpers/lab.js';
import { NODE_NAME } from '../helpers/lab-controlplane-root.js';
import { silentSocket } from '../helpers/loopback-servers.js';
import { runningContainers } from '../helpers/node-runtime.js';
import { labHealthy } from '../helpers/restart.js';
import { breakglass, breakglassAsync, breakglassJson } from '../helpers/run.js';
import { criHarness } from '../helpers/runtime-harness.js';
import { until } from '../helpers/wait.js';

const lab = labOrNull();
const quiet = () => {};

describe('breakglass doctor on the lab', {
  skip: lab ? false : 'needs the lab (npm test)',
  timeout: 1_800_000,
}, () => {
  const l = lab!;
  const flags = () => ['--root', l.nodeRoot, '--journal-dir', l.journalDir, '--dbus', l.dbusAddress];
  const manifests = () => path.join(l.nodeRoot, 'etc/kubernetes/manifests');
  const doctor = (): { status: number | null; report: DoctorReport } => {
    const r = breakglass(['doctor', '--json', ...flags()], { timeout: 60_000 });
    try {
      return { status: r.status, report: JSON.parse(r.stdout) as DoctorReport };
    } catch {
      throw new Error(`doctor printed no JSON (exit ${r.status}): ${r.stdout}\n${r.stderr}`);
    }
  };
  /** Asks the doctor until its first finding is `code` (and `also` holds), as kubelet gets there. */
  const firstFinding = async (
    code: string,
    also: (r: DoctorReport) => boolean = () => true,
    timeoutMs = 90_000,
  ) => {
    let last: DoctorReport | null = null;
    return until(
      `doctor's first finding: ${code}`,
      () => {
        const { status, report } = doctor();
        last = report;
        return status === 1 && report.findings[0]?.code === code && also(report) && report;
      },
      { timeoutMs, intervalMs: 1_000, context: () => JSON.stringify(last, null, 2) },
    );
  };
  const withFault = async (name: string, check: () => Promise<void>) => {
    await labFault(l.dir, name, quiet);
    try {
      await check();
    } finally {
      await labHeal(l.dir, name, quiet);
      await labHealthy(l.portOffset);
    }
  };

  before(() => labHealthy(l.portOffset));
  after(() => labHeal(l.dir, undefined, quiet));

  test('a healthy lab: no error; the runtime that answers while containerd.service is inactive is said so, not called dead', () => {
    const { status, report } = doctor();
    const wrong = report.findings.filter((f) => f.severity !== 'info');
    // The lab's etcd disk is a loop file on a shared disk: its fsync may be slow when the machine is busy.
    assert.deepEqual(
      wrong.filter((f) => f.code !== 'etcd-fsync-slow'),
      [],
      JSON.stringify(report, null, 2),
    );
    assert.equal(status, wrong.length === 0 ? 0 : 1);
    const runtime = report.findings.find((f) => f.code === 'runtime-not-its-unit')!;
    assert.match(
      runtime.title,
      /containerd answers on .* while containerd\.service is inactive: the runtime is not run by that unit/,
    );
    assert.deepEqual(report.notRead, []);
  });

  test('the apiserver on an unknown flag: the flag, its log line and time, its manifest line; the others are consequences', async () => {
    await withFault('apiserver-bad-flag', async () => {
      const report = await firstFinding('bad-flag', (r) => r.findings[0]!.consequences.length >= 3);
      const f = report.findings[0]!;
      const text = fs.readFileSync(path.join(manifests(), 'kube-apiserver.yaml'), 'utf8');
      const line = text.split('\n').findIndex((x) => x.includes('--bogus-flag')) + 1;
      assert.equal(f.subject, 'kube-apiserver');
      assert.match(
        f.title,
        new RegExp(`it does not know the flag --bogus-flag \\(line ${line} of .*kube-apiserver\\.yaml\\)`),
      );
      const log = f.evidence.find((e) => /container log/.test(e.source))!;
      assert.match(log.text, /unknown flag: --bogus-flag/);
      assert.ok(log.at && Date.now() - Date.parse(log.at) < 10 * 60_000, `a time from the log: ${log.at}`);
      assert.equal(f.evidence.find((e) => e.line !== undefined)?.line, line);
      assert.ok(
        f.consequences.some((c) => /^kube-controller-manager .*: it needs kube-apiserver/.test(c)),
        f.consequences.join('\n'),
      );
      assert.ok(f.consequences.some((c) => /^kube-scheduler .*: it needs kube-apiserver/.test(c)));
      assert.ok(
        !report.findings.some(
          (x) => x.subject === 'kube-scheduler' || x.subject === 'kube-controller-manager',
        ),
      );
      const text2 = breakglass(['doctor', ...flags()]).stdout;
      assert.match(text2, /^1 finding\(s\):|the most likely root cause first/m);
      assert.match(text2, /fix: remove --bogus-flag/);
    });
  });

  test("etcd's manifest does not parse: file, line and column; the API server down is its consequence", async () => {
    await withFault('etcd-yaml-error', async () => {
      const report = await firstFinding('manifest-unparsable', (r) =>
        r.findings[0]!.consequences.some((c) => /^kube-apiserver .*: it needs etcd/.test(c)),
      );
      const f = report.findings[0]!;
      assert.equal(f.subject, 'etcd');
      const yaml = f.evidence.find((e) => /YAML syntax error/.test(e.text))!;
      assert.match(yaml.source, /etcd\.yaml$/);
      assert.ok(yaml.line! > 0 && yaml.column! > 0);
      assert.match(
        f.title,
        new RegExp(`etcd\\.yaml does not parse at line ${yaml.line}, column ${yaml.column}`),
      );
    });
  });

  test('kubelet crash-looping on a flag it does not know: named from its journal', async () => {
    await withFault('kubelet-crashloop', async () => {
      const report = await firstFinding('kubelet-failing', (r) =>
        /--bogus-kubelet-flag/.test(r.findings[0]!.title),
      );
      const f = report.findings[0]!;
      assert.ok(
        f.evidence.some(
          (e) =>
            /journal of kubelet\.service/.test(e.source) && /unknown flag: --bogus-kubelet-flag/.test(e.text),
        ),
      );
      assert.ok(
        f.evidence.some(
          (e) => /over D-Bus/.test(e.source) && /kubelet\.service is (activating|failed)/.test(e.text),
        ),
      );
    });
  });

  test('kubelet stopped', async () => {
    await withFault('kubelet-stopped', async () => {
      const report = await firstFinding('kubelet-stopped');
      assert.match(report.findings[0]!.fix.command!, /breakglass restart-unit kubelet\.service/);
    });
  });

  test("the runtime's socket dead, with its unit's state", async () => {
    await withFault('runtime-stopped', async () => {
      const report = await firstFinding('runtime-down');
      const f = report.findings[0]!;
      assert.ok(
        f.evidence.some((e) => /no such socket|refused/.test(e.text)),
        JSON.stringify(f.evidence),
      );
      assert.ok(f.evidence.some((e) => /containerd\.service is /.test(e.text)));
    });
  });

  test("the runtime's socket hung (it accepts and never answers): named as hung, not as gone", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bg-hung-runtime-'));
    const hung = await silentSocket(path.join(dir, 'containerd.sock'));
    try {
      // Asynchronously: the silent server lives in this process and must accept while the doctor runs.
      const r = await breakglassAsync(
        ['doctor', '--json', '--runtime', `unix://${dir}/containerd.sock`, ...flags()],
        {
          timeoutMs: 60_000,
        },
      );
      const report = JSON.parse(r.stdout) as DoctorReport;
      const f = report.findings[0]!;
      assert.equal(f.code, 'runtime-down', JSON.stringify(report, null, 2));
      assert.match(f.title, /the container runtime hangs on unix:\/\/.*containerd\.sock/);
      assert.ok(hung.accepted() > 0, 'the doctor did connect');
    } finally {
      await hung.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("an expired certificate, and one not valid yet (the node's clock behind)", async () => {
    await withFault('cert-expired', async () => {
      const f = (await firstFinding('certificate-expired')).findings[0]!;
      assert.equal(f.subject, 'apiserver');
      assert.equal(f.fix.command, 'breakglass certs renew apiserver');
    });
    await withFault('cert-not-yet-valid', async () => {
      const f = (await firstFinding('certificate-not-yet-valid')).findings[0]!;
      assert.match(f.title, /ahead of this node's clock, so the clock is behind/);
    });
  });

  test("etcd's disk full", async () => {
    await withFault('etcd-disk-full', async () => {
      const f = (await firstFinding('etcd-disk-full')).findings[0]!;
      assert.match(f.title, /the file system of \/var\/lib\/etcd is full/);
      assert.match(f.fix.text, /never delete its WAL or snap files/);
    });
  });

  test('a stray .bak kubelet runs: the copy is blamed, not the file kubeadm wrote', async () => {
    await withFault('apiserver-bak', async () => {
      const f = (await firstFinding('stray-copy')).findings[0]!;
      assert.match(f.title, /kube-apiserver\.yaml\.bak is a stray copy that kubelet runs/);
      assert.match(f.fix.command!, /breakglass disable kube-apiserver\.yaml\.bak/);
      const lint = JSON.parse(breakglass(['lint', '--json', ...flags()]).stdout) as {
        findings: { file: string; code: string; severity: string }[];
      };
      const dup = (file: string) =>
        lint.findings.find((x) => x.file === file && x.code === 'duplicate-pod')?.severity;
      assert.deepEqual([dup('kube-apiserver.yaml.bak'), dup('kube-apiserver.yaml')], ['error', 'warning']);
    });
  });

  test('/var/log nearly full: named with what it breaks', async () => {
    const varLog = path.join(l.nodeRoot, 'var/log');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'bg-doctor-varlog', varLog]);
    try {
      execFileSync('fallocate', ['-l', `${15 * 1024 * 1024}`, path.join(varLog, 'fill')]);
      const f = (await firstFinding('disk-full')).findings[0]!;
      assert.match(
        f.title,
        /the file system of \/var\/log is full .*container logs and the journal cannot be written/,
      );
    } finally {
      execFileSync('umount', ['-l', varLog]);
    }
  });

  test('/var/lib/kubelet nearly full: named with what it breaks', async () => {
    const varLib = path.join(l.nodeRoot, 'var/lib/kubelet');
    // Its files (kubelet's config among them) stay readable on the small file system put over it.
    const saved = fs.mkdtempSync(path.join(os.tmpdir(), 'bg-doctor-kubelet-'));
    execFileSync('cp', ['-a', `${varLib}/.`, saved]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'bg-doctor-kubelet', varLib]);
    try {
      execFileSync('cp', ['-a', `${saved}/.`, varLib]);
      const stat = fs.statfsSync(varLib);
      execFileSync('fallocate', [
        '-l',
        `${stat.bavail * stat.bsize - 512 * 1024}`,
        path.join(varLib, 'fill'),
      ]);
      const f = (await firstFinding('disk-full')).findings[0]!;
      assert.match(
        f.title,
        /the file system of \/var\/lib\/kubelet is full .*kubelet evicts pods below 10 % and images cannot be pulled/,
      );
      assert.match(f.fix.command!, /^du -xh --max-depth=2 \/var\/lib\/kubelet/);
    } finally {
      execFileSync('umount', ['-l', varLib]);
      fs.rmSync(saved, { recursive: true, force: true });
    }
  });

  test("static pods from kubelet's HTTP source: from its config and the runtime, never fetched", async () => {
    let requests = 0;
    const server = http.createServer((_req, res) => {
      requests++;
      res.end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/pods`;
    const config = path.join(l.nodeRoot, 'var/lib/kubelet/config.yaml');
    const original = fs.readFileSync(config, 'utf8');
    const harness = criHarness(l);
    try {
      fs.writeFileSync(config, `${original.trimEnd()}\nstaticPodURL: ${url}\n`);
      await harness.runPod({
        name: 'from-url',
        namespace: 'kube-system',
        nodeName: NODE_NAME,
        file: url,
        content: 'from-url',
        configSource: 'http',
        containers: [{ name: 'web', image: l.images.busybox, command: ['sleep', '3600'] }],
      });
      const { report } = doctor();
      const f = report.findings.find((x) => x.code === 'http-static-pods')!;
      assert.ok(f, JSON.stringify(report, null, 2));
      assert.equal(f.severity, 'warning');
      assert.match(f.title, /moving files in the manifest directory does not stop them/);
      assert.ok(
        f.evidence.some((e) => e.text.includes(url) && /staticPodURL in .*config\.yaml/.test(e.source)),
      );
      assert.ok(f.evidence.some((e) => e.text.includes(`kube-system/from-url-${NODE_NAME}`)));
      // status shows them as such: the URL where kubelet has them from, each pod with its state.
      const status = breakglassJson<StatusJson>(['status', ...flags()]).json;
      assert.equal(status.paths.staticPodURL!.value, url);
      assert.deepEqual(
        status.podsFromUrl.map((p) => [p.podName, p.phase, p.alerts.map((a) => a.code)]),
        [[`from-url-${NODE_NAME}`, 'running', ['from-url']]],
      );
      assert.ok(!status.podsWithoutManifest.some((p) => p.podName.startsWith('from-url')));
      assert.equal(requests, 0, 'breakglass never asks that URL');
    } finally {
      fs.writeFileSync(config, original);
      await harness.cleanup();
      server.close();
    }
  });

  test('the trap: a pod kept running with no manifest left, beside the crash-looping apiserver', async () => {
    await withFault('manifest-removed-pod-running', async () => {
      const report = await firstFinding('bad-flag', (r) =>
        r.findings.some((x) => x.code === 'no-manifest-running'),
      );
      const orphan = report.findings.find((x) => x.code === 'no-manifest-running')!;
      assert.equal(orphan.subject, `kube-scheduler-${NODE_NAME}`);
      assert.match(orphan.fix.command!, /breakglass stop kube-scheduler/);
    });
  });

  test("etcd's disk too slow under writes: the p99 measured over an interval, not a hint", async () => {
    await withFault('etcd-slow-disk', async () => {
      const pki = path.join(l.nodeRoot, 'etc/kubernetes/pki/etcd');
      const etcdctl = [
        'etcdctl',
        `--endpoints=https://127.0.0.1:${labPorts(l.portOffset).etcdClient}`,
        `--cacert=${pki}/ca.crt`,
        `--cert=${pki}/healthcheck-client.crt`,
        `--key=${pki}/healthcheck-client.key`,
      ].join(' ');
      // What an API server does all day: writes, each a WAL fsync on the throttled disk.
      const writer = spawn(
        'sh',
        ['-c', `while :; do ${etcdctl} put breakglass-doctor-fsync x >/dev/null 2>&1; done`],
        {
          stdio: 'ignore',
          detached: true,
        },
      );
      try {
        const report = await until(
          'a measured slow fsync',
          () => {
            const r = doctor().report;
            const f = r.findings.find((x) => x.code === 'etcd-fsync-slow');
            return f && f.severity !== 'info' && r;
          },
          { timeoutMs: 120_000, intervalMs: 1_000 },
        );
        const f = report.findings.find((x) => x.code === 'etcd-fsync-slow')!;
        assert.match(f.title, /WAL fsync p99 \d+ ms over the last \d+ s \(etcd wants under 10 ms\)/);
        const measured = f.evidence.find((e) => /etcd_disk_wal_fsync_duration_seconds p99/.test(e.text))!;
        assert.match(measured.source, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
        const fsyncs = Number(/over (\d+) fsyncs/.exec(measured.text)?.[1]);
        assert.ok(fsyncs >= 3, measured.text);
        assert.match(f.fix.command!, /iostat -x 1/);
      } finally {
        process.kill(-writer.pid!, 'SIGKILL');
        execFileSync('sh', ['-c', `${etcdctl} del breakglass-doctor-fsync`]);
      }
    });
  });

  test('the trap after `breakglass disable`: kubelet restarted with the API server down keeps the pod; the fix stops it', async () => {
    const runtime = { kind: 'cri' as const, socket: l.containerdSocket, nodeName: NODE_NAME };
    await labFault(l.dir, 'apiserver-bad-flag', quiet);
    try {
      await firstFinding('bad-flag');
      // A kubelet (re)started while the API server is down never deletes a pod: its sources are not ready.
      await labFault(l.dir, 'kubelet-stopped', quiet);
      await labHeal(l.dir, 'kubelet-stopped', quiet);
      await new Promise((r) => setTimeout(r, 3_000));
      assert.equal(breakglass(['disable', 'kube-scheduler', ...flags()]).status, 0);
      const report = await firstFinding('bad-flag', (r) =>
        r.findings.some((x) => x.code === 'disabled-still-running'),
      );
      const f = report.findings.find((x) => x.code === 'disabled-still-running')!;
      assert.equal(f.subject, 'kube-scheduler');
      assert.ok(f.evidence.some((e) => /kube-scheduler\.yaml is in the holding directory/.test(e.text)));
      assert.ok(runningContainers(runtime, 'kube-scheduler').length > 0, 'the runtime still runs it');
      assert.equal(f.fix.command, 'breakglass stop kube-scheduler');
      const stop = breakglass(['stop', 'kube-scheduler', '--yes', ...flags()], { timeout: 120_000 });
      assert.equal(stop.status, 0, `${stop.stdout}${stop.stderr}`);
      assert.deepEqual(runningContainers(runtime, 'kube-scheduler'), [], 'the runtime runs it no more');
      assert.ok(!doctor().report.findings.some((x) => x.code === 'disabled-still-running'));
    } finally {
      breakglass(['enable', 'kube-scheduler', ...flags()]);
      // The crash-looping apiserver would block the healed one (same pod) for a kubelet that never
      // deletes: removed through the runtime with kubelet stopped, as an operator would.
      await labFault(l.dir, 'kubelet-stopped', quiet);
      await labHeal(l.dir, 'apiserver-bad-flag', quiet);
      breakglass(['stop', 'kube-apiserver', '--yes', ...flags()], { timeout: 120_000 });
      await labHeal(l.dir, 'kubelet-stopped', quiet);
      await labHealthy(l.portOffset);
    }
  });
});
