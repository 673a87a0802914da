// Faults to rehearse on: each breaks the lab the way real masters break, and `heal` undoes it exactly.
// What a fault changed is kept under <lab>/faults/<name>/ until it is healed, so heal works from a
// new process, after a reboot of the lab, and twice in a row.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { probe } from './controlplane.js';
import {
  backup,
  type Fault,
  type FaultContext,
  fault,
  manifest,
  putBack,
  restore,
  rewrite,
  withExtraFlag,
} from './fault-kit.js';
import { ETCD_FAULTS } from './faults-etcd.js';
import { etcdDiskDevice, labPorts } from './node.js';

export { activeFaults, type Fault, type FaultContext } from './fault-kit.js';

const FILL_FILE = 'breakglass-lab-fill';

export const FAULTS: Fault[] = [
  fault('kubelet-stopped', 'kubelet.service is stopped: no static pod is started, restarted or removed', {
    async inject(ctx) {
      ctx.ops.systemctl(['stop', 'kubelet.service']);
    },
    async heal(ctx) {
      ctx.ops.systemctl(['start', 'kubelet.service']);
    },
  }),
  fault('kubelet-crashloop', 'kubelet.service crash-loops: a drop-in gives kubelet a flag it does not know', {
    async inject(ctx) {
      ctx.ops.installKubeletDropIn(
        '90-breakglass-fault.conf',
        '[Service]\nEnvironment="KUBELET_EXTRA_ARGS=--bogus-kubelet-flag=true"\nRestartSec=2\n',
      );
      ctx.ops.systemctl(['restart', 'kubelet.service']);
    },
    async heal(ctx) {
      ctx.ops.installKubeletDropIn('90-breakglass-fault.conf', null);
      ctx.ops.systemctl(['reset-failed', 'kubelet.service']);
      ctx.ops.systemctl(['restart', 'kubelet.service']);
    },
  }),
  fault(
    'runtime-stopped',
    'the container runtime (containerd) is stopped: its socket is dead, containers keep running',
    {
      async inject(ctx) {
        await ctx.ops.stopRuntime();
      },
      async heal(ctx) {
        await ctx.ops.startRuntime();
      },
    },
  ),
  fault('etcd-yaml-error', "a YAML error in etcd's manifest: kubelet drops etcd at its next re-list", {
    async inject(ctx, dir) {
      const file = manifest(ctx, 'etcd.yaml');
      backup(dir, file);
      rewrite(file, `${fs.readFileSync(file, 'utf8')}  broken: [unclosed\n`);
    },
    async heal(ctx, dir) {
      restore(dir, manifest(ctx, 'etcd.yaml'));
    },
  }),
  fault(
    'apiserver-bak',
    'a .bak copy of the apiserver manifest in the manifest directory: kubelet runs it too',
    {
      async inject(ctx) {
        const bak = manifest(ctx, 'kube-apiserver.yaml.bak');
        fs.copyFileSync(manifest(ctx, 'kube-apiserver.yaml'), bak);
        fs.chmodSync(bak, 0o600);
      },
      async heal(ctx) {
        fs.rmSync(manifest(ctx, 'kube-apiserver.yaml.bak'), { force: true });
      },
    },
  ),
  fault('apiserver-bad-flag', 'kube-apiserver crash-loops: its manifest has a flag it does not know', {
    async inject(ctx, dir) {
      const file = manifest(ctx, 'kube-apiserver.yaml');
      backup(dir, file);
      rewrite(file, withExtraFlag(fs.readFileSync(file, 'utf8'), '--bogus-flag=true'));
    },
    async heal(ctx, dir) {
      restore(dir, manifest(ctx, 'kube-apiserver.yaml'));
    },
  }),
  fault('etcd-slow-disk', "etcd's disk throttled to 20 write IOPS (blkio): WAL fsync p99 far above 10 ms", {
    async inject(ctx, dir) {
      const file = await blkioThrottleFile(ctx);
      const { majorMinor } = etcdDiskDevice(ctx.node);
      fs.writeFileSync(path.join(dir, 'throttle'), `${file}\n${majorMinor}\n`);
      fs.writeFileSync(file, `${majorMinor} 20`);
    },
    async heal(_ctx, dir) {
      const saved = path.join(dir, 'throttle');
      if (fs.existsSync(saved)) {
        const [file, majorMinor] = fs.readFileSync(saved, 'utf8').trim().split('\n');
        // The container may be gone (restarted): then its cgroup, and the throttle with it, is gone too.
        if (file && majorMinor && fs.existsSync(file)) fs.writeFileSync(file, `${majorMinor} 0`);
      }
    },
  }),
  fault('etcd-disk-full', "etcd's data disk filled to the last few MiB", {
    async inject(ctx) {
      const stat = fs.statfsSync(ctx.node.etcdDataDir);
      const free = stat.bavail * stat.bsize;
      const leave = 4 * 1024 * 1024;
      if (free > leave) {
        execFileSync('fallocate', ['-l', String(free - leave), path.join(ctx.node.etcdDataDir, FILL_FILE)]);
      }
    },
    async heal(ctx) {
      fs.rmSync(path.join(ctx.node.etcdDataDir, FILL_FILE), { force: true });
    },
  }),
  fault('cert-expired', "the API server's serving certificate (pki/apiserver.crt) has expired", {
    async inject(ctx, dir) {
      // The key too: a renewal meanwhile writes a new one, and the old certificate must go back with its own.
      for (const file of apiserverPair(ctx)) backup(dir, file);
      ctx.ops.writeExpiredCertificate();
    },
    async heal(ctx, dir) {
      for (const file of apiserverPair(ctx)) putBack(path.join(dir, path.basename(file)), file);
    },
  }),
  fault(
    'cert-not-yet-valid',
    "clock skew: the API server's serving certificate (pki/apiserver.crt) is valid only from tomorrow",
    {
      async inject(ctx, dir) {
        for (const file of apiserverPair(ctx)) backup(dir, file);
        ctx.ops.writeNotYetValidCertificate();
      },
      async heal(ctx, dir) {
        for (const file of apiserverPair(ctx)) putBack(path.join(dir, path.basename(file)), file);
      },
    },
  ),
  fault(
    'certs-all-expired',
    "a year on: every leaf certificate and the kubeconfigs' client certificates have expired (the CAs have not)",
    {
      async inject(ctx, dir) {
        const kubernetes = path.join(ctx.node.root, 'etc/kubernetes');
        // The whole PKI and every kubeconfig, as they are: heal puts them back byte for byte.
        execFileSync('cp', ['-a', path.join(kubernetes, 'pki'), path.join(dir, 'pki')]);
        for (const conf of fs.readdirSync(kubernetes).filter((f) => f.endsWith('.conf')))
          fs.copyFileSync(path.join(kubernetes, conf), path.join(dir, conf));
        ctx.ops.expireEveryCertificate();
      },
      async heal(ctx, dir) {
        const kubernetes = path.join(ctx.node.root, 'etc/kubernetes');
        const saved = path.join(dir, 'pki');
        if (!fs.existsSync(saved)) return;
        for (const file of walkFiles(saved))
          putBack(file, path.join(kubernetes, 'pki', path.relative(saved, file)));
        for (const conf of fs.readdirSync(dir).filter((f) => f.endsWith('.conf')))
          putBack(path.join(dir, conf), path.join(kubernetes, conf));
      },
    },
  ),
  fault(
    'manifest-removed-pod-running',
    "the trap: with the API server down, kubelet restarted, then kube-scheduler's manifest removed: kubelet keeps the pod running",
    {
      async inject(ctx, dir) {
        // The API server must be down when kubelet starts: a bad flag keeps it crash-looping.
        await findFault('apiserver-bad-flag').inject(ctx);
        await apiServerDown(ctx);
        ctx.ops.systemctl(['restart', 'kubelet.service']);
        await new Promise((r) => setTimeout(r, 3_000));
        fs.renameSync(manifest(ctx, 'kube-scheduler.yaml'), path.join(dir, 'kube-scheduler.yaml'));
      },
      async heal(ctx, dir) {
        const saved = path.join(dir, 'kube-scheduler.yaml');
        if (fs.existsSync(saved)) {
          const temp = path.join(path.dirname(ctx.node.manifests), '.kube-scheduler.yaml.heal');
          fs.copyFileSync(saved, temp);
          fs.renameSync(temp, manifest(ctx, 'kube-scheduler.yaml'));
        }
        // kubelet started while the API server was down never deletes a pod, so the crash-looping
        // apiserver would block the healed one (same pod name) for good: an operator removes it through
        // the runtime with kubelet stopped, and kubelet starts the healed one.
        ctx.ops.systemctl(['stop', 'kubelet.service']);
        await findFault('apiserver-bad-flag').heal(ctx);
        await ctx.ops.removePods('kube-apiserver');
        ctx.ops.systemctl(['start', 'kubelet.service']);
      },
    },
  ),
  ...ETCD_FAULTS,
];

/** apiserver.crt and apiserver.key: a certificate goes back with its own key. */
function apiserverPair(ctx: FaultContext): string[] {
  return ['crt', 'key'].map((ext) => path.join(ctx.node.root, `etc/kubernetes/pki/apiserver.${ext}`));
}

function walkFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? walkFiles(full) : e.isFile() ? [full] : [];
  });
}

export function findFault(name: string): Fault {
  const fault = FAULTS.find((f) => f.name === name);
  if (!fault) throw new Error(`unknown fault "${name}"; faults: ${FAULTS.map((f) => f.name).join(', ')}`);
  return fault;
}

/** Waits until the API server no longer answers /readyz: its crash-looping replacement has taken over. */
async function apiServerDown(ctx: FaultContext): Promise<void> {
  const url = `https://127.0.0.1:${labPorts(ctx.node.portOffset).apiserver}/readyz`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    const answer = await probe(url);
    if (!('status' in answer) || answer.status !== 200) return;
    if (Date.now() > deadline)
      throw new Error(`the API server still answers ${url} two minutes after its bad flag`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** cgroup v1 blkio of etcd's container: its throttle file. */
async function blkioThrottleFile(ctx: FaultContext): Promise<string> {
  const pid = await ctx.ops.etcdContainerPid();
  const line = fs
    .readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    .split('\n')
    .find((l) => /^\d+:([^:]*,)?blkio(,[^:]*)?:/.test(l));
  if (!line) throw new Error(`no blkio cgroup for etcd (pid ${pid}): is cgroup v1 blkio mounted?`);
  const cgroup = line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1);
  return path.join('/sys/fs/cgroup/blkio', cgroup, 'blkio.throttle.write_iops_device');
}
