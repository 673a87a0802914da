// The lab as an operator rehearsing an outage meets it: every component healthy, each fault visible
// through plain tools (ctr, journalctl --directory, busctl, curl, openssl, df) and in breakglass, then
// healed. And `down` leaves nothing behind.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { componentHealth, probe } from '../../scripts/lab/controlplane.js';
import { labRuntimeProcesses, mountsUnder } from '../../scripts/lab/daemons/proc.js';
import { labDown, labFault, labHeal, labUp } from '../../scripts/lab/lab.js';
import { labPorts } from '../../scripts/lab/node.js';
import { labEnv } from '../helpers/lab.js';
import { makeTempDir } from '../helpers/node-root.js';
import { breakglassJson } from '../helpers/run.js';
import { until } from '../helpers/wait.js';

interface Status {
  runtime: { name: string; error: string | null };
  staticPods: { name: string | null; file: string; containers: { state: string; restartCount: number }[] }[];
  findings: { file: string; code: string }[];
}

const quiet = () => {};

function run(command: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Faults and heals take a while to show: kubelet's back-off, etcd's and the API server's restarts. */
const LAB_WAIT = { timeoutMs: 90_000, intervalMs: 500 };

describe('the lab', { timeout: 900_000 }, () => {
  const lab = labEnv();
  const ports = labPorts(lab.portOffset);
  const status = () => breakglassJson<Status>(['status', '--root', lab.nodeRoot]).json;
  const journal = (unit: string) =>
    run('journalctl', ['--directory', lab.journalDir, '-u', unit, '--no-pager']).out;
  const busProperty = (unit: string, property: string, iface = 'Unit') =>
    run('busctl', [
      `--address=${lab.dbusAddress}`,
      'get-property',
      'org.freedesktop.systemd1',
      `/org/freedesktop/systemd1/unit/${unit.replace(/[^A-Za-z0-9]/g, (c) => `_${c.charCodeAt(0).toString(16)}`)}`,
      `org.freedesktop.systemd1.${iface}`,
      property,
    ]).out.trim();
  const curl = (url: string) => run('curl', ['-sk', '--max-time', '3', url]);
  /** A fault on for the body, healed whatever happens, so one failure does not cascade. */
  const withFault = async (name: string, body: () => Promise<void>) => {
    await labFault(lab.dir, name, quiet);
    try {
      await body();
    } finally {
      await labHeal(lab.dir, name, quiet);
    }
  };
  const allHealthy = async () => (await componentHealth(ports)).every((h) => h.healthy) || null;

  test('up: every component healthy, and breakglass pointed at the node root sees them run', async () => {
    await until('every component healthy', allHealthy, { ...LAB_WAIT, timeoutMs: 120_000 });
    const json = status();
    assert.equal(json.runtime.error, null);
    assert.equal(json.runtime.name, 'containerd');
    for (const name of ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler']) {
      const pod = json.staticPods.find((p) => p.name === name);
      assert.equal(pod?.containers[0]?.state, 'running', name);
    }
    assert.match(curl(`https://127.0.0.1:${ports.apiserver}/version`).out, /"gitVersion"/);
    assert.match(busProperty('kubelet.service', 'ActiveState'), /active/);
  });

  test('kubelet stopped: systemd says so over D-Bus and in the journal; healed', async () => {
    await withFault('kubelet-stopped', async () => {
      assert.match(busProperty('kubelet.service', 'ActiveState'), /"inactive"/);
      assert.match(journal('kubelet'), /Stopped kubelet/);
    });
    await until(
      'kubelet active',
      () => /"active"/.test(busProperty('kubelet.service', 'ActiveState')) || null,
      LAB_WAIT,
    );
  });

  test('kubelet crash-looping: its restarts climb and the journal says why; healed', async () => {
    await withFault('kubelet-crashloop', async () => {
      await until(
        'two automatic restarts',
        () => {
          const n = Number(busProperty('kubelet.service', 'NRestarts', 'Service').replace(/^\D+/, ''));
          return n >= 2 || null;
        },
        LAB_WAIT,
      );
      assert.match(journal('kubelet'), /bogus-kubelet-flag/);
    });
    await until(
      'kubelet healthy again',
      async () => {
        const answer = await probe(`http://127.0.0.1:${ports.kubeletHealthz}/healthz`);
        return ('status' in answer && answer.status === 200) || null;
      },
      LAB_WAIT,
    );
  });

  test('the runtime stopped: ctr cannot reach it, breakglass says why; healed', async () => {
    await withFault('runtime-stopped', async () => {
      assert.notEqual(run('ctr', ['--address', lab.containerdSocket, 'version']).status, 0);
      assert.match(status().runtime.error!, /connection refused|no such socket/);
    });
    assert.equal(run('ctr', ['--address', lab.containerdSocket, 'version']).status, 0);
    await until('every component healthy', allHealthy, LAB_WAIT);
  });

  test("a YAML error in etcd's manifest: kubelet drops etcd, the API server follows; healed", async () => {
    await withFault('etcd-yaml-error', async () => {
      const lint = breakglassJson<{ findings: { file: string; code: string }[] }>([
        'lint',
        '--root',
        lab.nodeRoot,
      ]).json;
      assert.ok(lint.findings.some((f) => f.file === 'etcd.yaml' && f.code === 'yaml-syntax'));
      await until(
        'etcd down',
        () => curl(`http://127.0.0.1:${ports.etcdMetrics}/health`).status !== 0 || null,
        LAB_WAIT,
      );
      await until(
        'the API server unready',
        () => !/^ok$/.test(curl(`https://127.0.0.1:${ports.apiserver}/readyz`).out) || null,
        LAB_WAIT,
      );
    });
    await until('every component healthy', allHealthy, LAB_WAIT);
  });

  test('a .bak copy of the apiserver manifest: kubelet runs it, breakglass flags it; healed', async () => {
    await withFault('apiserver-bak', async () => {
      const json = status();
      const bak = json.findings.filter((f) => f.file === 'kube-apiserver.yaml.bak').map((f) => f.code);
      assert.ok(bak.includes('stray-copy') && bak.includes('duplicate-pod'), bak.join(','));
      await until(
        'the .bak pod running',
        () => {
          const pod = status().staticPods.find((p) => p.file === 'kube-apiserver.yaml.bak');
          return pod?.containers[0]?.state === 'running' || null;
        },
        LAB_WAIT,
      );
    });
    await until('every component healthy', allHealthy, LAB_WAIT);
  });

  test('kube-apiserver crash-looping on a bad flag: its log says so, the controller-manager follows; healed', async () => {
    await withFault('apiserver-bad-flag', async () => {
      await until(
        'an apiserver restart',
        () => {
          const c = status().staticPods.find((p) => p.name === 'kube-apiserver')?.containers[0];
          return (c && c.restartCount >= 1) || null;
        },
        LAB_WAIT,
      );
      const logs = spawnSync(
        path.resolve('bin/breakglass'),
        ['logs', 'kube-apiserver', '--root', lab.nodeRoot],
        {
          encoding: 'utf8',
        },
      );
      assert.match(logs.stdout, /unknown flag: --bogus-flag/);
      await until(
        'the controller-manager unhealthy',
        () => curl(`https://127.0.0.1:${ports.controllerManager}/healthz`).out !== 'ok' || null,
        LAB_WAIT,
      );
    });
    await until('every component healthy', allHealthy, { ...LAB_WAIT, timeoutMs: 420_000 });
  });

  test("etcd's disk nearly full: df shows it; healed", async () => {
    const dataDir = path.join(lab.nodeRoot, 'var/lib/etcd');
    await withFault('etcd-disk-full', async () => {
      const stat = fs.statfsSync(dataDir);
      assert.ok(stat.bavail * stat.bsize < 8 * 1024 * 1024, `${stat.bavail * stat.bsize} bytes free`);
      assert.match(run('df', ['-h', dataDir]).out, /(9[89]|100)%/);
    });
    const after = fs.statfsSync(dataDir);
    assert.ok(after.bavail * after.bsize > 100 * 1024 * 1024);
  });

  test("the API server's certificate expired: openssl and a verifying client see it; healed", async () => {
    const crt = path.join(lab.nodeRoot, 'etc/kubernetes/pki/apiserver.crt');
    const ca = path.join(lab.nodeRoot, 'etc/kubernetes/pki/ca.crt');
    await withFault('cert-expired', async () => {
      assert.notEqual(run('openssl', ['x509', '-checkend', '0', '-noout', '-in', crt]).status, 0);
      await until(
        'an expired certificate served',
        () =>
          /expired/i.test(
            run('curl', [
              '-sS',
              '--cacert',
              ca,
              '--max-time',
              '3',
              `https://127.0.0.1:${ports.apiserver}/livez`,
            ]).out,
          ) || null,
        LAB_WAIT,
      );
    });
    assert.equal(run('openssl', ['x509', '-checkend', '86400', '-noout', '-in', crt]).status, 0);
  });

  test("etcd's disk throttled: WAL fsync p99 above 10 ms in etcd's own metrics; healed", async () => {
    await withFault('etcd-slow-disk', async () => {
      const pki = path.join(lab.nodeRoot, 'etc/kubernetes/pki/etcd');
      const etcdctl = (args: string[]) =>
        run('etcdctl', [
          `--endpoints=https://127.0.0.1:${ports.etcdClient}`,
          `--cacert=${pki}/ca.crt`,
          `--cert=${pki}/healthcheck-client.crt`,
          `--key=${pki}/healthcheck-client.key`,
          ...args,
        ]);
      for (let i = 0; i < 20; i++) etcdctl(['put', `breakglass-lab-${i}`, 'x'.repeat(64)]);
      const metrics = curl(`http://127.0.0.1:${ports.etcdMetrics}/metrics`).out;
      const p99 = histogramP99(metrics, 'etcd_disk_wal_fsync_duration_seconds');
      assert.ok(p99 > 0.01, `WAL fsync p99 ${p99 * 1000} ms`);
    });
    await until('every component healthy', allHealthy, LAB_WAIT);
  });

  test('the trap: API server down, kubelet restarted, a manifest removed: the pod keeps running; healed', async () => {
    await withFault('manifest-removed-pod-running', async () => {
      assert.ok(!fs.existsSync(path.join(lab.nodeRoot, 'etc/kubernetes/manifests/kube-scheduler.yaml')));
      await until(
        'kubelet skipping the delete',
        () => /Skipping delete because sources aren't ready yet/.test(journal('kubelet')) || null,
        LAB_WAIT,
      );
      const orphan = breakglassJson<{ podsWithoutManifest: { podName: string }[] }>([
        'status',
        '--root',
        lab.nodeRoot,
      ]).json;
      assert.ok(orphan.podsWithoutManifest.some((p) => p.podName.startsWith('kube-scheduler-')));
    });
    await until('every component healthy', allHealthy, { ...LAB_WAIT, timeoutMs: 420_000 });
  });

  test('a second lab, on Docker (cri-dockerd names): healthy, seen by breakglass and docker ps; down leaves nothing', async () => {
    const dir = makeTempDir('bg-lab2-');
    const offset = lab.portOffset + 3_000;
    const lines: string[] = [];
    const log = (line: string) => lines.push(line);
    try {
      const second = await labUp(dir, { log, controlPlane: { portOffset: offset, runtime: 'docker' } });
      assert.ok((await componentHealth(labPorts(offset))).every((h) => h.healthy));
      const json = breakglassJson<Status>(['status', '--root', second.nodeRoot]).json;
      assert.equal(json.runtime.name, 'docker');
      assert.equal(json.staticPods.find((p) => p.name === 'etcd')?.containers[0]?.state, 'running');
      const names = run('/usr/bin/docker', [
        '-H',
        `unix://${second.dockerSocket}`,
        'ps',
        '--format',
        '{{.Names}}',
      ]).out;
      assert.match(names, /^k8s_etcd_etcd-lab-master_kube-system_[0-9a-f]{32}_0$/m);
      assert.match(names, /^k8s_POD_kube-apiserver-lab-master_kube-system_[0-9a-f]{32}_0$/m);
    } catch (err) {
      throw new Error(`the second lab: ${err instanceof Error ? err.message : err}\n${lines.join('\n')}`);
    } finally {
      await labDown(dir, { log });
    }
    assert.deepEqual(labRuntimeProcesses(dir), []);
    assert.deepEqual(mountsUnder(dir), []);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

/** p99 from a Prometheus histogram: the smallest bucket bound holding 99% of the observations. */
function histogramP99(metrics: string, name: string): number {
  const buckets = [...metrics.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+)`, 'gm'))].map(
    (m) => ({
      le: m[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[1]),
      count: Number(m[2]),
    }),
  );
  const total = buckets.at(-1)?.count ?? 0;
  return buckets.find((b) => b.count >= total * 0.99)?.le ?? 0;
}
