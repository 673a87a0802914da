// What a runtime adapter reports, built for tests: a kube-apiserver pod of node m1 unless told otherwise.
import type { Container, Sandbox } from '../../src/sources/runtime/types.js';

const POD = { podName: 'kube-apiserver-m1', namespace: 'kube-system', podUid: 'u1' };

export function container(over: Partial<Container>): Container {
  return {
    ...POD,
    id: 'c',
    sandboxId: 's',
    name: 'kube-apiserver',
    state: 'running',
    attempt: 0,
    restartCount: 0,
    image: 'x',
    createdAt: null,
    startedAt: null,
    finishedAt: null,
    exitCode: null,
    reason: null,
    message: null,
    logPath: null,
    labels: {},
    annotations: {},
    ...over,
  };
}

export function sandbox(over: Partial<Sandbox>): Sandbox {
  return {
    ...POD,
    id: 's',
    state: 'ready',
    attempt: 0,
    createdAt: null,
    labels: {},
    annotations: {},
    configSource: 'file',
    ...over,
  };
}
