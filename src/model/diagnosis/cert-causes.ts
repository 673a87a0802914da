// Certificates not valid now, expired or not yet valid (a clock that is behind), and what each one
// breaks: kubeadm's certificates are read by named components, so an expired apiserver-etcd-client is
// the API server losing etcd, not one more red row. Pure.

import type { CertificateInfo } from '../../sources/certs.js';
import { escapeName } from '../../util/sanitize.js';
import { type Cause, cause, evidence, fix, iso, LAYER } from './cause.js';
import type { DoctorInput } from './types.js';

const ALL = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

/** What stops working when it is not valid, and the static pods whose failure that explains. */
const BREAKS: Record<string, { harm: string; pods: string[] }> = {
  apiserver: {
    harm: 'every client of the API server (controller manager, scheduler, kubelet, kubectl) rejects its TLS',
    pods: ['kube-controller-manager', 'kube-scheduler'],
  },
  'apiserver-etcd-client': { harm: 'the API server cannot reach etcd', pods: ['kube-apiserver'] },
  'apiserver-kubelet-client': { harm: 'kubectl logs, exec and port-forward fail', pods: [] },
  'etcd-server': {
    harm: 'etcd refuses its clients: the API server cannot reach etcd',
    pods: ['kube-apiserver'],
  },
  'etcd-peer': { harm: 'etcd members cannot talk to each other', pods: ['etcd'] },
  'etcd-healthcheck-client': {
    harm: "etcd's health checks (and breakglass's reads of etcd) are refused",
    pods: [],
  },
  'front-proxy-client': { harm: 'aggregated APIs (metrics-server and the like) fail', pods: [] },
  ca: { harm: 'every certificate it signed is refused', pods: ALL },
  'etcd-ca': { harm: 'etcd and its clients refuse each other', pods: ['etcd', 'kube-apiserver'] },
  'front-proxy-ca': { harm: 'aggregated APIs fail', pods: [] },
  'admin.conf': { harm: 'kubectl with admin.conf is refused', pods: [] },
  'super-admin.conf': { harm: 'kubectl with super-admin.conf is refused', pods: [] },
  'controller-manager.conf': {
    harm: 'the controller manager is refused by the API server',
    pods: ['kube-controller-manager'],
  },
  'scheduler.conf': { harm: 'the scheduler is refused by the API server', pods: ['kube-scheduler'] },
  'kubelet.conf': {
    harm: 'kubelet cannot reach the API server: the node goes NotReady (static pods keep running)',
    pods: [],
  },
};

/** Who loads the pair, and so does not start when the certificate is not for its key. */
const LOADERS: Record<string, string[]> = {
  apiserver: ['kube-apiserver'],
  'apiserver-etcd-client': ['kube-apiserver'],
  'apiserver-kubelet-client': ['kube-apiserver'],
  'front-proxy-client': ['kube-apiserver'],
  'etcd-server': ['etcd'],
  'etcd-peer': ['etcd'],
  'controller-manager.conf': ['kube-controller-manager'],
  'scheduler.conf': ['kube-scheduler'],
};

export function certificateCauses({ facts, now }: DoctorInput): Cause[] {
  const certs = facts.certs.value ?? [];
  const out: Cause[] = [];
  for (const c of certs) if (c.keyMatches === false) out.push(keyMismatch(c));
  for (const c of certs) {
    if (c.status === 'expired') out.push(expired(c, now));
    else if (c.status === 'not-yet-valid') out.push(notYetValid(c, now));
  }
  const expiring = certs.filter((c) => c.status === 'warning');
  if (expiring.length > 0) {
    const first = expiring.reduce((a, b) =>
      (a.notAfter?.getTime() ?? 0) <= (b.notAfter?.getTime() ?? 0) ? a : b,
    );
    out.push(
      cause(LAYER.certificate, [], {
        code: 'certificate-expiring',
        severity: 'warning',
        title: `${expiring.length} certificate(s) expire within 30 days, the first ${first.name} on ${first.notAfter ? iso(first.notAfter).slice(0, 10) : '?'}`,
        subject: null,
        evidence: expiring.map((c) =>
          evidence(`${c.name} expires ${c.notAfter ? iso(c.notAfter) : '?'}`, c.path),
        ),
        fix: fix(
          'renew them before they expire: breakglass renews them as kubeadm does and restarts the pods that use them',
          'breakglass certs renew',
        ),
      }),
    );
  }
  return out;
}

function keyMismatch(c: CertificateInfo): Cause {
  const loaders = LOADERS[c.name] ?? [];
  const keyFile = c.kind === 'kubeconfig' ? `its client-key-data` : c.path.replace(/\.crt$/, '.key');
  return cause(LAYER.certificate, loaders, {
    code: 'certificate-key-mismatch',
    severity: 'error',
    title: `the ${c.name} certificate is not for its key${loaders.length > 0 ? `: ${loaders.join(', ')} cannot load the pair and does not start` : ': whatever uses the pair fails'}`,
    subject: c.name,
    evidence: [
      evidence(
        `the public key in ${c.path} is not that of ${keyFile}`,
        'the files, compared with node:crypto',
      ),
    ],
    fix:
      c.kind === 'ca'
        ? fix(
            "put the CA's own key back from a backup (never a new CA key: everything it signed depends on it); breakglass keeps one in <state-dir>/pki-backups",
            null,
          )
        : fix(
            'a new key and certificate for it, signed by its CA, and the pods that use it restarted',
            `breakglass certs renew ${escapeName(c.name)}`,
          ),
  });
}

function expired(c: CertificateInfo, now: number): Cause {
  const breaks = BREAKS[c.name] ?? { harm: 'its users are refused', pods: [] };
  const ago = c.notAfter ? ` ${days(now - c.notAfter.getTime())} ago` : '';
  return cause(LAYER.certificate, breaks.pods, {
    code: 'certificate-expired',
    severity: 'error',
    title: `the ${c.name} certificate expired${ago}: ${breaks.harm}`,
    subject: c.name,
    evidence: [
      evidence(`notAfter ${c.notAfter ? iso(c.notAfter) : '?'}; this node's clock says ${iso(now)}`, c.path),
      ...(c.subject ? [evidence(`subject ${c.subject}`, c.path)] : []),
    ],
    fix: renewFix(c),
  });
}

function notYetValid(c: CertificateInfo, now: number): Cause {
  const breaks = BREAKS[c.name] ?? { harm: 'its users are refused', pods: [] };
  const ahead = c.notBefore ? days(c.notBefore.getTime() - now) : '?';
  return cause(LAYER.certificate, breaks.pods, {
    code: 'certificate-not-yet-valid',
    severity: 'error',
    title: `the ${c.name} certificate is not valid yet: its notBefore is ${ahead} ahead of this node's clock, so the clock is behind (or was ahead where it was made): ${breaks.harm}`,
    subject: c.name,
    evidence: [
      evidence(
        `notBefore ${c.notBefore ? iso(c.notBefore) : '?'}; this node's clock says ${iso(now)}`,
        c.path,
      ),
    ],
    fix: fix(
      "set the node's clock right rather than the certificate (etcd also refuses peers whose clocks differ too much)",
      'timedatectl status; chronyc tracking; chronyc makestep',
    ),
  });
}

function renewFix(c: CertificateInfo) {
  if (c.kind === 'ca') {
    return fix(
      'a CA is not renewed by kubeadm: every certificate it signed must be made again (kubeadm: manual CA rotation)',
      null,
    );
  }
  if (c.name === 'kubelet.conf') {
    return fix(
      "kubeadm does not renew kubelet.conf: move it aside (with /var/lib/kubelet/pki/kubelet-client*), make a new one for this node from a control plane's CA (kubeadm's runbook: kubeadm kubeconfig user --org system:nodes --client-name system:node:<node>), then restart kubelet; with rotation on it then points at kubelet-client-current.pem",
      'kubeadm kubeconfig user --org system:nodes --client-name system:node:$(hostname) > /etc/kubernetes/kubelet.conf.new',
    );
  }
  return fix(
    'renew it with the CA key on this node, and restart the pods that use it so they read it again (kubeadm certs renew restarts nothing; breakglass does both)',
    `breakglass certs renew ${escapeName(c.name)}`,
  );
}

function days(ms: number): string {
  const d = ms / 86_400_000;
  if (Math.abs(Math.round(d)) >= 1) return `${Math.round(d)} day(s)`;
  const h = ms / 3_600_000;
  if (Math.abs(h) >= 1) return `${Math.round(h)} hour(s)`;
  return `${Math.max(1, Math.round(ms / 60_000))} minute(s)`;
}
