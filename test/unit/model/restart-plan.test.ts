// How the guided restart orders the pods and picks, for each, how to restart it and what its gate
// probes, from what the node shows. Pure.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PodView } from '../../../src/model/pod-view.js';
import { chooseRestartMethod, gateEndpoint, restartOrder } from '../../../src/model/restart-plan.js';

const NOW = new Date('2026-12-01T10:00:00Z');

function view(containers: Partial<PodView['containers'][number]>[], pod: object = {}): PodView {
  return {
    name: 'kube-apiserver',
    containers: containers.map((c) => ({
      name: 'kube-apiserver',
      state: 'running',
      lastTermination: null,
      ...c,
    })),
    staticPod: { pod },
  } as unknown as PodView;
}

test("kubeadm's order: etcd, the API server, the controller manager, the scheduler, then the rest by name", () => {
  const names = ['kube-scheduler', 'zeta', 'etcd', 'alpha', 'kube-controller-manager', 'kube-apiserver'];
  assert.deepEqual(
    restartOrder(names.map((name) => ({ name }))).map((p) => p.name),
    ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'alpha', 'zeta'],
  );
});

test('running containers are restarted through the runtime, whether the API server answers or not', () => {
  for (const api of [true, false, null]) {
    assert.equal(chooseRestartMethod(view([{}]), 'auto', api, NOW).method, 'runtime');
  }
});

test('nothing running (a crash loop): a new pod, clear of the back-off', () => {
  const choice = chooseRestartMethod(view([{ state: 'exited' }]), 'auto', true, NOW);
  assert.equal(choice.method, 'move');
  assert.match(choice.why, /nothing of it runs/);
});

test("restarted within kubelet's back-off memory: a new pod when kubelet acts on moves, else the runtime", () => {
  const recent = view([
    { lastTermination: { exitCode: 0, reason: null, finishedAt: new Date(NOW.getTime() - 5 * 60_000) } },
  ]);
  assert.equal(chooseRestartMethod(recent, 'auto', true, NOW).method, 'move');
  assert.equal(chooseRestartMethod(recent, 'auto', false, NOW).method, 'runtime', 'the trap may be armed');
  const old = view([
    { lastTermination: { exitCode: 0, reason: null, finishedAt: new Date(NOW.getTime() - 11 * 60_000) } },
  ]);
  assert.equal(chooseRestartMethod(old, 'auto', true, NOW).method, 'runtime');
});

test('--method wins over what the node shows', () => {
  assert.equal(chooseRestartMethod(view([{ state: 'exited' }]), 'runtime', true, NOW).method, 'runtime');
  assert.equal(chooseRestartMethod(view([{}]), 'move', false, NOW).method, 'move');
});

test('the gate probes the readiness endpoint when there is one, else the liveness probe', () => {
  const livez = { probe: 'liveness', scheme: 'HTTPS', host: null, port: 6443, path: '/livez' };
  const readyz = { ...livez, probe: 'readiness', path: '/readyz' };
  assert.equal(gateEndpoint(view([], { health: livez, readiness: readyz }))?.path, '/readyz');
  assert.equal(gateEndpoint(view([], { health: livez, readiness: null }))?.path, '/livez');
  assert.equal(gateEndpoint(view([], { health: null, readiness: null })), null);
});
