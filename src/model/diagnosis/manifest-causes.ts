// The causes in the manifest directory: a manifest kubelet cannot load (and the component therefore
// gone), a stray copy kubelet runs, two files for one pod, a disabled pod that still runs, a pod with no
// manifest left, and static pods from kubelet's HTTP source, which no file move stops. Pure.
import type { Finding } from '../../sources/manifests/types.js';
import { escapeName } from '../../util/sanitize.js';
import type { PodView } from '../pod-view.js';
import { type Cause, cause, evidence, fix, LAYER, manifestPath } from './cause.js';
import type { DoctorInput } from './types.js';

const UNPARSABLE = new Set([
  'yaml-syntax',
  'json-syntax',
  'empty',
  'binary',
  'huge',
  'unreadable',
  'not-a-pod',
]);

export function manifestCauses(input: DoctorInput): Cause[] {
  const out: Cause[] = [];
  for (const pod of input.model.pods) {
    const stray = pod.findings.some((f) => f.code === 'stray-copy');
    // A stray file that does not parse (vim's 4913, a torn backup) is a leftover, not a component gone.
    if (pod.enabled && pod.loadedByKubelet && pod.phase === 'broken' && stray)
      out.push(strayLeftover(pod, input));
    else if (pod.enabled && pod.loadedByKubelet && pod.phase === 'broken')
      out.push(brokenManifest(pod, input));
    else if (pod.enabled && pod.staticPod?.pod && pod.findings.some((f) => f.severity === 'error'))
      out.push(...copyCauses(pod, input));
    if (pod.phase === 'still-running') out.push(stillRunning(pod));
    if (pod.phase === 'orphan') out.push(orphan(pod));
  }
  out.push(...httpSource(input));
  return out;
}

/** The component a broken file was: the pod a row of the runtime still has, else its file name. */
function componentOf(pod: PodView): string {
  return (pod.fileName ?? pod.name).replace(/\.(ya?ml|json)$/, '');
}

function brokenManifest(pod: PodView, input: DoctorInput): Cause {
  const { facts, model } = input;
  const errors = pod.findings.filter((f) => f.severity === 'error');
  const first = errors[0];
  const unparsable = first !== undefined && UNPARSABLE.has(first.code);
  const component = componentOf(pod);
  const path = manifestPath(pod, facts.layout.manifests.value);
  const where =
    first?.line !== undefined
      ? ` at line ${first.line}${first.column ? `, column ${first.column}` : ''}`
      : '';
  const stillThere = model.pods.find(
    (p) => p.phase === 'orphan' && p.podName === `${component}-${facts.layout.nodeName.value.toLowerCase()}`,
  );
  const proof = errors.map((f) => findingEvidence(f, path));
  proof.push(
    stillThere
      ? evidence(
          `${stillThere.podName} still runs: kubelet stops it at its next re-list (within 20 s)`,
          'the runtime',
        )
      : evidence(`no ${component} container runs from this file`, 'the runtime'),
  );
  if (component === 'etcd' && input.etcd?.error)
    proof.push(evidence(input.etcd.error, 'etcd Maintenance.Status', input.etcd.at));
  return cause(LAYER.manifest, [component], {
    code: unparsable ? 'manifest-unparsable' : 'manifest-invalid',
    severity: 'error',
    title: `${pod.file} ${unparsable ? 'does not parse' : 'is not a valid pod'}${where}: kubelet ${stillThere ? 'is dropping' : 'does not run'} ${component}`,
    subject: component,
    evidence: proof,
    fix: fix(
      `put back the last version that ran healthy, or correct it${where}`,
      `breakglass revert ${escapeName(component)}   (or: breakglass edit ${escapeName(component)})`,
      { action: 'show-manifest', target: pod.fileName },
    ),
  });
}

function copyCauses(pod: PodView, { facts }: DoctorInput): Cause[] {
  const path = manifestPath(pod, facts.layout.manifests.value);
  const stray = pod.findings.find((f) => f.code === 'stray-copy');
  const duplicate = pod.findings.find((f) => f.code === 'duplicate-pod' && f.severity === 'error');
  if (stray) {
    const proof = [findingEvidence(stray, path)];
    if (duplicate) proof.push(findingEvidence(duplicate, path));
    return [
      cause(LAYER.manifest, [pod.name], {
        code: 'stray-copy',
        severity: 'error',
        title: `${pod.file} is a stray copy that kubelet runs as a pod${duplicate ? `, a second ${pod.name} beside its own manifest` : ''}`,
        subject: pod.name,
        evidence: proof,
        fix: fix(
          'move it out of the manifest directory (kept in the holding directory, not deleted)',
          `breakglass disable ${escapeName(pod.fileName ?? pod.name)}`,
          { action: 'disable', target: pod.fileName },
        ),
      }),
    ];
  }
  if (duplicate) {
    return [
      cause(LAYER.manifest, [pod.name], {
        code: 'duplicate-pod',
        severity: 'error',
        title: `${pod.file} defines ${pod.name} a second time: kubelet runs only one of the files, and which is not defined`,
        subject: pod.name,
        evidence: [findingEvidence(duplicate, path)],
        fix: fix(
          'keep one file per pod: move the one you do not want out',
          `breakglass disable ${escapeName(pod.fileName ?? pod.name)}`,
          { action: 'disable', target: pod.fileName },
        ),
      }),
    ];
  }
  return [];
}

function strayLeftover(pod: PodView, { facts }: DoctorInput): Cause {
  const path = manifestPath(pod, facts.layout.manifests.value);
  return cause(LAYER.manifest, [], {
    code: 'stray-copy',
    severity: 'warning',
    title: `${pod.file} is a leftover in the manifest directory (an editor's or a backup's): kubelet tries it as a pod and rejects it on every re-list`,
    subject: null,
    evidence: pod.findings.map((f) => findingEvidence(f, path)),
    fix: fix(
      'move it out of the manifest directory (kept in the holding directory, not deleted)',
      `breakglass disable ${escapeName(pod.fileName ?? pod.name)}`,
      { action: 'disable', target: pod.fileName },
    ),
  });
}

function stillRunning(pod: PodView): Cause {
  return cause(LAYER.manifest, [], {
    code: 'disabled-still-running',
    severity: 'error',
    title: `${pod.name} is disabled but still runs: kubelet ignored the removal of its manifest (it was restarted while the API server was down)`,
    subject: pod.name,
    evidence: [
      evidence(`${pod.file} is in the holding directory`, 'the holding directory'),
      evidence(
        `${pod.containers.filter((c) => c.state === 'running').length} container(s) of it run`,
        'the runtime',
      ),
    ],
    fix: fix('stop it through the runtime', `breakglass stop ${escapeName(pod.name)}`, {
      action: 'stop-pod',
      target: pod.name,
    }),
  });
}

function orphan(pod: PodView): Cause {
  return cause(LAYER.manifest, [], {
    code: 'no-manifest-running',
    severity: 'warning',
    title: `${pod.namespace}/${pod.podName} runs with no manifest in either directory: kubelet kept it`,
    subject: pod.podName,
    evidence: [evidence('a running container of a pod from a file (config source "file")', 'the runtime')],
    fix: fix(
      'stop it through the runtime if it should not run',
      `breakglass stop ${escapeName(pod.podName ?? pod.name)}`,
      {
        action: 'stop-pod',
        target: pod.podName,
      },
    ),
  });
}

/** kubelet's second way to define static pods: it fetches them from a URL. breakglass never does. */
function httpSource({ facts }: DoctorInput): Cause[] {
  const url = facts.layout.staticPodURL;
  const sandboxes = facts.runtime.error === null ? (facts.runtime.value?.sandboxes ?? []) : [];
  const fromHttp = [
    ...new Set(sandboxes.filter((s) => s.configSource === 'http').map((s) => `${s.namespace}/${s.podName}`)),
  ];
  if (url.value === null && fromHttp.length === 0) return [];
  const proof = [];
  if (url.value !== null)
    proof.push(evidence(`kubelet fetches static pods from ${escapeName(url.value)}`, url.source));
  if (fromHttp.length > 0)
    proof.push(
      evidence(
        `pods from kubelet's HTTP source: ${fromHttp.map(escapeName).join(', ')}`,
        'the runtime (kubernetes.io/config.source: http)',
      ),
    );
  return [
    cause(LAYER.info, [], {
      code: 'http-static-pods',
      severity: fromHttp.length > 0 ? 'warning' : 'info',
      title: `kubelet also runs static pods from a URL${fromHttp.length > 0 ? ` (${fromHttp.length} here)` : ''}: moving files in the manifest directory does not stop them`,
      subject: null,
      evidence: proof,
      fix: fix(
        'change them where that URL serves them from, or unset --manifest-url / staticPodURL and restart kubelet',
        null,
      ),
    }),
  ];
}

function findingEvidence(f: Finding, path: string): ReturnType<typeof evidence> {
  const e = evidence(f.message, path);
  if (f.line !== undefined) e.line = f.line;
  if (f.column !== undefined) e.column = f.column;
  return e;
}
