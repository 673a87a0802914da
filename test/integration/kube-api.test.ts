// The Kubernetes API client (src/clients/kube-api.ts) against the lab's apiserver stand-in, with the lab's
// own admin.conf: the node read, cordoned and uncordoned; an unknown node, a client certificate of another
// CA, no certificate at all and a server certificate the kubeconfig's CA did not sign each refused in one
// clear line; a refused connection and a silent server; 503 while etcd is down. Loopback only.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { labFault, labHeal } from '../../scripts/lab/lab.js';
import { KubeApi, KubeApiError, type Kubeconfig, readKubeconfig } from '../../src/clients/kube-api.js';
import { labEnv } from '../helpers/lab.js';
import { NODE_NAME } from '../helpers/lab-controlplane-root.js';
import { closedPort, silentServer } from '../helpers/loopback-servers.js';
import { makeTempDir } from '../helpers/node-root.js';
import { until } from '../helpers/wait.js';

const lab = labEnv();
const kubernetesDir = path.join(lab.nodeRoot, 'etc/kubernetes');
const pki = path.join(kubernetesDir, 'pki');
const LAB_WAIT = { timeoutMs: 120_000, intervalMs: 500 };
const quiet = () => {};

let admin: Kubeconfig;
let api: KubeApi;
let dir: string;

/** The KubeApiError `work` rejects with; its message is one line. */
async function refusal(work: Promise<unknown>): Promise<KubeApiError> {
  const error = await work.then(
    () => assert.fail('accepted'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof KubeApiError, String(error));
  assert.doesNotMatch(error.message, /\n/);
  return error;
}

/** admin.conf with its cluster's CA or its user's pair replaced by files of the lab's pki. */
function variant(name: string, replace: { ca?: string; cert?: string; key?: string }): string {
  let text = fs.readFileSync(path.join(kubernetesDir, 'admin.conf'), 'utf8');
  if (replace.ca)
    text = text.replace(/certificate-authority-data: \S+/, `certificate-authority: ${replace.ca}`);
  if (replace.cert)
    text = text.replace(/client-certificate-data: \S+/, `client-certificate: ${replace.cert}`);
  if (replace.key) text = text.replace(/client-key-data: \S+/, `client-key: ${replace.key}`);
  const file = path.join(dir, name);
  fs.writeFileSync(file, text, { mode: 0o600 });
  return file;
}

before(async () => {
  dir = makeTempDir('bg-kube-api-');
  admin = await readKubeconfig(path.join(kubernetesDir, 'admin.conf'));
  api = new KubeApi(admin);
  // The apiserver is ready once etcd is: wait for the node itself.
  await until('the node from the apiserver', () => api.getNode(NODE_NAME), {
    ...LAB_WAIT,
    retryErrors: true,
  });
});

after(async () => {
  await api.setUnschedulable(NODE_NAME, false).catch(() => {});
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the node through the API, with admin.conf', () => {
  test("admin.conf is the lab's: its server on loopback, its CA, its client pair", () => {
    assert.match(admin.server, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(admin.context, 'kubernetes-admin@kubernetes');
    assert.equal(admin.ca, fs.readFileSync(path.join(pki, 'ca.crt'), 'utf8'));
  });

  test('getNode: the lab node, schedulable', async () => {
    const node = await api.getNode(NODE_NAME);
    assert.equal(node.name, NODE_NAME);
    assert.equal(node.unschedulable, false);
    assert.match(node.resourceVersion, /^\d+$/);
  });

  test('cordon, then uncordon: each patch answered with the Node, and read back', async () => {
    const initial = await api.getNode(NODE_NAME);
    const cordoned = await api.setUnschedulable(NODE_NAME, true);
    assert.equal(cordoned.unschedulable, true);
    assert.notEqual(cordoned.resourceVersion, initial.resourceVersion);
    assert.deepEqual(await api.getNode(NODE_NAME), cordoned);
    // A patch that changes nothing keeps the resourceVersion, as the real server does.
    assert.deepEqual(await api.setUnschedulable(NODE_NAME, true), cordoned);
    const uncordoned = await api.setUnschedulable(NODE_NAME, false);
    assert.equal(uncordoned.unschedulable, false);
    assert.deepEqual(await api.getNode(NODE_NAME), uncordoned);
  });

  test("an unknown node: 404 NotFound with the server's message, for a read and a patch", async () => {
    const read = await refusal(api.getNode('no-such-node'));
    assert.equal(read.reason, 'http');
    assert.equal(read.status, 404);
    assert.equal(read.apiReason, 'NotFound');
    assert.equal(
      read.message,
      `GET /api/v1/nodes/no-such-node: the API server at ${admin.server} answered 404 NotFound: nodes "no-such-node" not found`,
    );
    const patch = await refusal(api.setUnschedulable('no-such-node', true));
    assert.equal(patch.status, 404);
    assert.match(patch.message, /^PATCH \/api\/v1\/nodes\/no-such-node: .* nodes "no-such-node" not found$/);
  });
});

describe('refusals', () => {
  test('a client certificate of another CA: 401 Unauthorized, and the node unchanged', async () => {
    const file = variant('other-ca.conf', {
      cert: path.join(pki, 'front-proxy-client.crt'),
      key: path.join(pki, 'front-proxy-client.key'),
    });
    const other = new KubeApi(await readKubeconfig(file));
    const read = await refusal(other.getNode(NODE_NAME));
    assert.equal(read.status, 401);
    assert.equal(read.apiReason, 'Unauthorized');
    assert.match(read.message, /answered 401 Unauthorized: Unauthorized$/);
    const patch = await refusal(other.setUnschedulable(NODE_NAME, true));
    assert.equal(patch.status, 401);
    assert.equal((await api.getNode(NODE_NAME)).unschedulable, false);
  });

  test('no client certificate: refused before any request; anonymous requests are 403', async () => {
    const text = fs
      .readFileSync(path.join(kubernetesDir, 'admin.conf'), 'utf8')
      .replace(
        / {4}client-certificate-data: \S+\n {4}client-key-data: \S+\n/,
        '    token: abcdef.0123456789abcdef\n',
      );
    const file = path.join(dir, 'token.conf');
    fs.writeFileSync(file, text);
    await assert.rejects(readKubeconfig(file), /authenticates with a token, and token auth is not supported/);
    // What the server says to a request without a certificate (kubeadm's --anonymous-auth=true).
    const url = new URL(`/api/v1/nodes/${NODE_NAME}`, admin.server);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = https.get(url, { ca: admin.ca, agent: false, timeout: 5_000 }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      request.on('timeout', () => request.destroy(new Error('timed out')));
      request.on('error', reject);
    });
    assert.equal(answer.status, 403);
    const status = JSON.parse(answer.body) as { kind: string; reason: string; message: string };
    assert.equal(status.kind, 'Status');
    assert.equal(status.reason, 'Forbidden');
    assert.match(status.message, /User "system:anonymous" cannot get resource "nodes"/);
  });

  test("a server certificate the kubeconfig's CA did not sign: refused, nothing sent", async () => {
    const file = variant('wrong-ca.conf', { ca: path.join(pki, 'front-proxy-ca.crt') });
    const error = await refusal(new KubeApi(await readKubeconfig(file)).setUnschedulable(NODE_NAME, true));
    assert.equal(error.reason, 'tls');
    assert.match(error.message, /has a certificate that is not signed by the kubeconfig's CA/);
    assert.equal((await api.getNode(NODE_NAME)).unschedulable, false);
  });

  test('nothing listening: refused; a server that never answers: timed out', async () => {
    const refused = await refusal(
      new KubeApi({ ...admin, server: `https://127.0.0.1:${await closedPort()}` }).getNode(NODE_NAME),
    );
    assert.equal(refused.reason, 'refused');
    assert.match(refused.message, /refused the connection$/);
    const silent = await silentServer();
    try {
      const started = Date.now();
      const timedOut = await refusal(
        new KubeApi({ ...admin, server: `https://127.0.0.1:${silent.port}` }, 300).getNode(NODE_NAME),
      );
      assert.equal(timedOut.reason, 'timeout');
      assert.match(timedOut.message, /did not answer within 300 ms$/);
      assert.ok(Date.now() - started < 2_000);
    } finally {
      await silent.close();
    }
  });

  test('etcd down: 503 ServiceUnavailable; etcd back: the node again', async () => {
    await labFault(lab.dir, 'etcd-yaml-error', quiet);
    try {
      const down = await until(
        'a 503 from the apiserver',
        () =>
          api.getNode(NODE_NAME).then(
            () => null,
            (error: unknown) => (error instanceof KubeApiError && error.status === 503 ? error : null),
          ),
        LAB_WAIT,
      );
      assert.equal(down.apiReason, 'ServiceUnavailable');
      assert.match(down.message, /answered 503 ServiceUnavailable: etcd is unavailable: /);
    } finally {
      await labHeal(lab.dir, 'etcd-yaml-error', quiet);
    }
    await until('the node again', () => api.getNode(NODE_NAME), { ...LAB_WAIT, retryErrors: true });
  });
});
