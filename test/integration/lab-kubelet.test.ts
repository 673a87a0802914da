// The lab's kubelet stand-in (scripts/lab/kubelet.ts) as a real process against the lab's containerd and
// Docker: manifests written to a node root become pods the way kubelet runs them, and breakglass sees them.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import {
  breakglassStatus,
  criStandIns,
  criView,
  FILE_CHECK_MS,
  freePort,
  KUBELET_WAIT,
  makeTestNode,
  nanos,
  podYaml,
  running,
  StandIn,
  type TestNode,
  uidOf,
  waitGone,
  waitRunning,
  writeManifest,
} from '../helpers/kubelet-standin.js';
import { type LabEnv, labEnv } from '../helpers/lab.js';
import { until } from '../helpers/wait.js';

// ----- containerd over CRI -----

describe('the lab kubelet stand-in over CRI', { timeout: 300_000 }, () => {
  const { client, endpoint, newNode, startStandIn } = criStandIns();

  test('a manifest that appears runs with kubelet labels, hostPath mounts and logs under the pod log dir', async () => {
    const node = newNode('run');
    const port = await freePort();
    const standIn = startStandIn(node, ['--healthz-port', String(port)]);
    await standIn.waitForLog(/Starting the kubelet stand-in/);
    const healthz = await until('healthz', () => httpGet(`http://127.0.0.1:${port}/healthz`), KUBELET_WAIT);
    assert.deepEqual(healthz, { status: 200, body: 'ok' });

    fs.mkdirSync(path.join(node.root, 'etc/web-config'), { recursive: true });
    fs.writeFileSync(path.join(node.root, 'etc/web-config/setting'), 'from-the-node-root\n');
    const volumes = [
      '    volumeMounts:',
      '    - {name: data, mountPath: /data}',
      '    - {name: config, mountPath: /config, readOnly: true}',
      '    - {name: kubeconfig, mountPath: /etc/kubernetes/web.conf, readOnly: true}',
      '  volumes:',
      '  - {name: data, hostPath: {path: /var/lib/web, type: DirectoryOrCreate}}',
      '  - {name: config, hostPath: {path: /etc/web-config}}',
      '  - {name: kubeconfig, hostPath: {path: /etc/kubernetes/web.conf, type: FileOrCreate}}',
      '',
    ].join('\n');
    const script =
      'echo hello from web; cat /config/setting; echo written > /data/out; ' +
      '(echo no > /config/out) 2>/dev/null || echo config is read-only; exec sleep 3600';
    const started = Date.now();
    writeManifest(node, 'web.yaml', podYaml('web', [{ name: 'web', script }], volumes));
    const view = await waitRunning(client, 'web-kubelet-test-run', 'web');
    const startMs = Date.now() - started;

    const uid = uidOf(node, 'web.yaml', 'web');
    const sandbox = view.sandboxes[0]!;
    assert.equal(view.sandboxes.length, 1);
    assert.deepEqual(
      [sandbox.metadata?.name, sandbox.metadata?.namespace, sandbox.metadata?.uid],
      ['web-kubelet-test-run', 'kube-system', uid],
    );
    assert.equal(sandbox.labels['io.kubernetes.pod.uid'], uid);
    assert.equal(sandbox.labels.component, 'web');
    assert.equal(sandbox.annotations['kubernetes.io/config.source'], 'file');
    assert.equal(sandbox.annotations['kubernetes.io/config.hash'], uid);
    const container = running(view, 'web')!;
    assert.equal(container.labels['io.kubernetes.container.name'], 'web');
    assert.equal(container.image?.image, 'docker.io/local/busybox:1');

    const logFile = path.join(node.podLogsDir, `kube-system_web-kubelet-test-run_${uid}`, 'web', '0.log');
    const log = await until(
      'the container log',
      async () => {
        const text = fs.readFileSync(logFile, 'utf8');
        return text.includes('config is read-only') ? text : null;
      },
      KUBELET_WAIT,
    );
    assert.match(log, /stdout F hello from web/);
    assert.match(log, /stdout F from-the-node-root/);
    assert.equal(fs.readFileSync(path.join(node.root, 'var/lib/web/out'), 'utf8'), 'written\n');
    assert.ok(
      fs.statSync(path.join(node.root, 'etc/kubernetes/web.conf')).isFile(),
      'FileOrCreate makes a file',
    );

    const status = breakglassStatus(node, endpoint);
    const web = status.staticPods.find((p) => p.name === 'web')!;
    assert.equal(web.running, true);
    assert.equal(web.containers[0]?.state, 'running');
    process.stderr.write(`# manifest written -> container running: ${startMs} ms\n`);
  });

  test('a hostPath of type Directory that is missing holds the pod back until it exists', async () => {
    const node = newNode('hostpath');
    const standIn = startStandIn(node);
    const volumes = [
      '    volumeMounts: [{name: certs, mountPath: /certs, readOnly: true}]',
      '  volumes: [{name: certs, hostPath: {path: /etc/missing-certs, type: Directory}}]',
      '',
    ].join('\n');
    writeManifest(
      node,
      'certs.yaml',
      podYaml('certs', [{ name: 'certs', script: 'exec sleep 3600' }], volumes),
    );
    await standIn.waitForLog(/hostPath type check failed: \/etc\/missing-certs is not a directory/);
    assert.equal((await criView(client, 'certs-kubelet-test-hostpath')).sandboxes.length, 0);
    fs.mkdirSync(path.join(node.root, 'etc/missing-certs'));
    await waitRunning(client, 'certs-kubelet-test-hostpath', 'certs');
  });

  test('a container that exits is restarted with a growing back-off, a new attempt each time', async () => {
    const node = newNode('crash');
    const standIn = startStandIn(node);
    writeManifest(node, 'crash.yaml', podYaml('crash', [{ name: 'crash', script: 'echo crashing; exit 3' }]));
    const mirror = 'crash-kubelet-test-crash';
    const created = new Map<number, number>();
    await until(
      'attempt 4',
      async () => {
        for (const c of (await criView(client, mirror)).containers)
          created.set(c.metadata!.attempt, nanos(c.createdAt));
        return created.has(4) ? true : null;
      },
      { ...KUBELET_WAIT, timeoutMs: 40_000 },
    );
    const gap = (n: number) => (created.get(n)! - created.get(n - 1)!) / 1000;
    const gaps = [2, 3, 4].map(gap);
    process.stderr.write(`# restart gaps (s) for attempts 2..4 with a 1s base: ${gaps.join(', ')}\n`);
    // Back-off 1s, 2s, 4s (plus up to a second until the exit is seen): each gap is at least its back-off.
    assert.ok(gaps[0]! >= 0.9 && gaps[1]! >= 1.9 && gaps[2]! >= 3.9, `gaps ${gaps}`);
    assert.ok(gaps[2]! > gaps[0]! + 1.5, `gaps ${gaps}`);
    await standIn.waitForLog(
      /"Back-off restarting failed container" err="back-off 4s restarting failed container=crash/,
    );

    // Right after a restart, the container GC keeps only the newest dead container beside the new one.
    const view = await until(
      'dead containers collected',
      async () => {
        const current = await criView(client, mirror);
        return current.containers.length <= 2 ? current : null;
      },
      { ...KUBELET_WAIT, timeoutMs: 5_000 },
    );
    const newest = view.containers.reduce((a, b) => (a.metadata!.attempt > b.metadata!.attempt ? a : b));
    assert.equal(
      newest.annotations['io.kubernetes.container.restartCount'],
      String(newest.metadata!.attempt),
    );
    const status = breakglassStatus(node, endpoint);
    const crash = status.staticPods.find((p) => p.name === 'crash')!;
    assert.ok(crash.containers[0]!.restartCount >= 4, JSON.stringify(crash.containers));
  });

  test('every non-dot file is a pod (a .bak too), a dot file is not; of two same-named pods the last file wins', async () => {
    const node = newNode('files');
    const standIn = startStandIn(node);
    writeManifest(node, 'api.yaml', podYaml('api', [{ name: 'api', script: 'exec sleep 3600' }]));
    writeManifest(node, 'api.yaml.bak', podYaml('api-old', [{ name: 'api', script: 'exec sleep 3600' }]));
    writeManifest(node, '.api.yaml.swp', podYaml('api-dot', [{ name: 'api', script: 'exec sleep 3600' }]));
    writeManifest(node, 'dup-a.yaml', podYaml('dup', [{ name: 'dup', script: 'echo A; exec sleep 3600' }]));
    writeManifest(node, 'dup-b.yaml', podYaml('dup', [{ name: 'dup', script: 'echo B; exec sleep 3600' }]));
    await waitRunning(client, 'api-kubelet-test-files', 'api');
    await waitRunning(client, 'api-old-kubelet-test-files', 'api');
    await sleep(FILE_CHECK_MS + 500); // a full re-list has happened since
    const dup = await waitRunning(client, 'dup-kubelet-test-files', 'dup');
    assert.equal((await criView(client, 'api-dot-kubelet-test-files')).sandboxes.length, 0);
    assert.equal(dup.sandboxes.length, 1);
    assert.equal(dup.sandboxes[0]!.metadata?.uid, uidOf(node, 'dup-b.yaml', 'dup'));
    await standIn.waitForLog(/"Several manifest files define the same pod.*using="dup-b.yaml"/);
  });

  test('a YAML error stops the pod at the next re-list; the fixed file brings it back', async () => {
    const node = newNode('yaml');
    const standIn = startStandIn(node);
    const good = podYaml('etcd', [{ name: 'etcd', script: 'exec sleep 3600' }]);
    writeManifest(node, 'etcd.yaml', good);
    const mirror = 'etcd-kubelet-test-yaml';
    const first = await waitRunning(client, mirror, 'etcd');

    const broken = good.replace('  containers:', '  containers:\n\t- broken: [');
    const brokenAt = Date.now();
    writeManifest(node, 'etcd.yaml', broken);
    await waitGone(client, mirror, FILE_CHECK_MS * 3 + 5_000);
    const goneMs = Date.now() - brokenAt;
    await standIn.waitForLog(
      /E\d{4} [\d:.]+ +\d+ file\.go:\d+\] "Could not process manifest file" err="[^"]*" path="\/etc\/kubernetes\/manifests\/etcd\.yaml"/,
    );

    writeManifest(node, 'etcd.yaml', good);
    const back = await waitRunning(client, mirror, 'etcd');
    assert.equal(
      back.sandboxes[0]!.metadata?.uid,
      first.sandboxes[0]!.metadata?.uid,
      'same file, same content',
    );
    assert.notEqual(back.sandboxes[0]!.id, first.sandboxes[0]!.id, 'a new sandbox');
    process.stderr.write(`# broken manifest written -> pod removed: ${goneMs} ms (re-list every 2 s)\n`);
  });

  test('a changed manifest is a new pod that replaces the old one; a removed manifest removes its pod', async () => {
    const node = newNode('change');
    startStandIn(node);
    const mirror = 'sched-kubelet-test-change';
    writeManifest(
      node,
      'sched.yaml',
      podYaml('sched', [{ name: 'sched', script: 'echo v1; exec sleep 3600' }]),
    );
    const v1 = await waitRunning(client, mirror, 'sched');
    const uid1 = uidOf(node, 'sched.yaml', 'sched');
    writeManifest(
      node,
      'sched.yaml',
      podYaml('sched', [{ name: 'sched', script: 'echo v2; exec sleep 3600' }]),
    );
    const uid2 = uidOf(node, 'sched.yaml', 'sched');
    const v2 = await until(
      'the new pod alone',
      async () => {
        const view = await criView(client, mirror);
        const uids = view.sandboxes.map((s) => s.metadata?.uid);
        return running(view, 'sched') && uids.length === 1 && uids[0] === uid2 ? view : null;
      },
      KUBELET_WAIT,
    );
    assert.equal(v1.sandboxes[0]!.metadata?.uid, uid1);
    assert.ok(
      !fs.existsSync(path.join(node.podLogsDir, `kube-system_${mirror}_${uid1}`)),
      'old logs removed',
    );

    const removedAt = Date.now();
    fs.rmSync(path.join(node.manifests, 'sched.yaml'));
    await waitGone(client, mirror);
    process.stderr.write(`# manifest removed -> pod removed: ${Date.now() - removedAt} ms\n`);
    assert.equal(v2.containers.length, 1);
  });
});

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (response) => {
        let body = '';
        response.on('data', (chunk) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

// ----- Docker with cri-dockerd's names -----

describe('the lab kubelet stand-in over Docker', { timeout: 120_000 }, () => {
  let lab: LabEnv;
  let docker: Docker;
  let node: TestNode;
  let standIn: StandIn | null = null;

  const podContainers = async () =>
    (await docker.listContainers({ all: true, filters: { label: ['io.kubernetes.pod.uid'] } })).filter((c) =>
      c.Labels['io.kubernetes.pod.name']?.endsWith(`-${node.name}`),
    );

  before(() => {
    lab = labEnv();
    docker = new Docker({ socketPath: lab.dockerSocket });
    node = makeTestNode('kubelet-test-docker');
  });

  after(async () => {
    await standIn?.stop();
    for (const c of await podContainers()) await docker.getContainer(c.Id).remove({ force: true });
    fs.rmSync(node.root, { recursive: true, force: true });
  });

  test('pods run with cri-dockerd names, restart with the next attempt, and go with their manifest', async () => {
    standIn = new StandIn(node, [
      '--runtime',
      'docker',
      '--container-runtime-endpoint',
      `unix://${lab.dockerSocket}`,
      '--healthz-port',
      '0',
    ]);
    writeManifest(
      node,
      'ctl.yaml',
      podYaml('ctl', [
        { name: 'ctl', script: 'echo controller up; exec sleep 3600' },
        { name: 'crasher', script: 'echo down; exit 2' },
      ]),
    );
    const uid = uidOf(node, 'ctl.yaml', 'ctl');
    const pod = `ctl-${node.name}_kube-system_${uid}`;
    const names = await until(
      'the restarted crasher',
      async () => {
        const all = (await podContainers()).map((c) => c.Names[0]!.replace(/^\//, ''));
        return all.includes(`k8s_crasher_${pod}_1`) ? all : null;
      },
      KUBELET_WAIT,
    );
    assert.ok(names.includes(`k8s_POD_${pod}_0`), names.join(' '));
    assert.ok(names.includes(`k8s_ctl_${pod}_0`), names.join(' '));
    const ctl = (await podContainers()).find((c) => c.Names[0] === `/k8s_ctl_${pod}_0`)!;
    assert.equal(ctl.State, 'running');
    assert.equal(ctl.Labels['io.kubernetes.docker.type'], 'container');
    assert.equal(ctl.Labels['annotation.io.kubernetes.container.restartCount'], '0');
    const log = path.join(node.podLogsDir, `kube-system_ctl-${node.name}_${uid}`, 'ctl', '0.log');
    await until(
      'the log link',
      async () => (fs.readFileSync(log, 'utf8').includes('controller up') ? true : null),
      KUBELET_WAIT,
    );

    fs.rmSync(path.join(node.manifests, 'ctl.yaml'));
    await until(
      'every container removed',
      async () => ((await podContainers()).length === 0 ? true : null),
      KUBELET_WAIT,
    );
    assert.ok(!fs.existsSync(path.dirname(path.dirname(log))), 'the pod log directory goes too');
    const stopped = await standIn.stop();
    assert.equal(stopped.code, 0);
  });
});
