// readKubeconfig on kubeconfig files written to a temp directory: kubeadm's embedded form, files relative to
// the kubeconfig's directory and absolute under the node root, the current context picked among several,
// tls-server-name, and every refusal in one sentence (missing file, bad YAML, no current context, an
// unknown context, cluster or user, token, exec and password users, a certificate without its key, a
// missing certificate file, a server that is not https, insecure-skip-tls-verify, data that is not PEM).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { KubeconfigError, readKubeconfig } from '../../../src/clients/kube-api.js';
import { makeTempDir } from '../../helpers/node-root.js';

const pemOf = (label: string, body: string) =>
  `-----BEGIN ${label}-----\n${Buffer.from(body).toString('base64')}\n-----END ${label}-----\n`;
const CA = pemOf('CERTIFICATE', 'the cluster CA');
const CERT = pemOf('CERTIFICATE', 'the client certificate');
const KEY = pemOf('RSA PRIVATE KEY', 'the client key');
const b64 = (text: string) => Buffer.from(text).toString('base64');

let dir: string;
before(() => {
  dir = makeTempDir('bg-kubeconfig-');
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

let count = 0;
function write(text: string, name = `kubeconfig-${++count}.conf`): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

interface Parts {
  server?: string;
  cluster?: string[];
  user?: string[];
  currentContext?: string | null;
}

/** A kubeconfig as kubeadm writes it, with the cluster's and the user's fields replaceable. */
function kubeconfig(parts: Parts = {}): string {
  const cluster = parts.cluster ?? [
    `certificate-authority-data: ${b64(CA)}`,
    `server: ${parts.server ?? 'https://127.0.0.1:6443'}`,
  ];
  const user = parts.user ?? [`client-certificate-data: ${b64(CERT)}`, `client-key-data: ${b64(KEY)}`];
  const current = parts.currentContext === undefined ? 'kubernetes-admin@kubernetes' : parts.currentContext;
  return [
    'apiVersion: v1',
    'clusters:',
    '- cluster:',
    ...cluster.map((line) => `    ${line}`),
    '  name: kubernetes',
    'contexts:',
    '- context:',
    '    cluster: kubernetes',
    '    user: kubernetes-admin',
    '  name: kubernetes-admin@kubernetes',
    ...(current === null ? [] : [`current-context: ${current}`]),
    'kind: Config',
    'preferences: {}',
    'users:',
    '- name: kubernetes-admin',
    '  user:',
    ...user.map((line) => `    ${line}`),
    '',
  ].join('\n');
}

/** The KubeconfigError of reading `file`: one line, naming the file. */
async function refusal(file: string): Promise<string> {
  const error = await readKubeconfig(file).then(
    () => assert.fail(`${file} was accepted`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof KubeconfigError, String(error));
  assert.doesNotMatch(error.message, /\n/);
  assert.ok(error.message.includes(file), error.message);
  return error.message;
}

describe('readKubeconfig: what it gives', () => {
  test("kubeadm's embedded form: the server, the CA and the client pair as PEM text", async () => {
    const file = write(kubeconfig());
    assert.deepEqual(await readKubeconfig(file), {
      file,
      context: 'kubernetes-admin@kubernetes',
      user: 'kubernetes-admin',
      server: 'https://127.0.0.1:6443',
      ca: CA,
      cert: CERT,
      key: KEY,
    });
  });

  test('base64 wrapped over several lines is still read', async () => {
    const wrapped = b64(CERT).replace(/(.{20})/g, '$1\n      ');
    const file = write(
      kubeconfig({ user: [`client-certificate-data: |\n      ${wrapped}`, `client-key-data: ${b64(KEY)}`] }),
    );
    assert.equal((await readKubeconfig(file)).cert, CERT);
  });

  test("files are relative to the kubeconfig's directory, whatever the working directory", async () => {
    write(CA, 'rel/pki/ca.crt');
    write(CERT, 'rel/pki/admin.crt');
    write(KEY, 'rel/pki/admin.key');
    const file = write(
      kubeconfig({
        cluster: ['certificate-authority: pki/ca.crt', 'server: https://127.0.0.1:6443'],
        user: ['client-certificate: pki/admin.crt', 'client-key: ./pki/admin.key'],
      }),
      'rel/admin.conf',
    );
    const config = await readKubeconfig(file);
    assert.equal(config.ca, CA);
    assert.equal(config.cert, CERT);
    assert.equal(config.key, KEY);
  });

  test('an absolute path is a path on the node: under the root when one is given', async () => {
    write(CERT, 'node/var/lib/kubelet/pki/kubelet-client-current.pem');
    write(KEY, 'node/var/lib/kubelet/pki/kubelet-client.key');
    const file = write(
      kubeconfig({
        user: [
          'client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem',
          'client-key: /var/lib/kubelet/pki/kubelet-client.key',
        ],
      }),
      'node/etc/kubernetes/kubelet.conf',
    );
    const config = await readKubeconfig(file, { root: path.join(dir, 'node') });
    assert.equal(config.cert, CERT);
    assert.equal(config.key, KEY);
  });

  test('the current context decides the cluster and the user among several', async () => {
    const text = [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: other',
      '  cluster:',
      '    server: https://10.0.0.1:6443',
      `    certificate-authority-data: ${b64(pemOf('CERTIFICATE', 'another CA'))}`,
      '- name: local',
      '  cluster:',
      '    server: https://[::1]:16443/',
      `    certificate-authority-data: ${b64(CA)}`,
      '    tls-server-name: kubernetes',
      'users:',
      '- name: someone',
      '  user:',
      '    token: abc',
      '- name: admin',
      '  user:',
      `    client-certificate-data: ${b64(CERT)}`,
      `    client-key-data: ${b64(KEY)}`,
      'contexts:',
      '- name: remote',
      '  context: { cluster: other, user: someone }',
      '- name: here',
      '  context: { cluster: local, user: admin }',
      'current-context: here',
      '',
    ].join('\n');
    const config = await readKubeconfig(write(text));
    assert.equal(config.context, 'here');
    assert.equal(config.user, 'admin');
    assert.equal(config.server, 'https://[::1]:16443');
    assert.equal(config.ca, CA);
    assert.equal(config.tlsServerName, 'kubernetes');
  });

  test("no CA in the cluster: none given (the system's CAs are used, still verified)", async () => {
    const config = await readKubeconfig(write(kubeconfig({ cluster: ['server: https://127.0.0.1:6443'] })));
    assert.equal(config.ca, undefined);
  });
});

describe('readKubeconfig: refusals, one sentence each', () => {
  test('a missing kubeconfig', async () => {
    assert.match(
      await refusal(path.join(dir, 'absent.conf')),
      /^the kubeconfig .*absent\.conf is not there$/,
    );
  });

  test('a directory, and YAML that does not parse or is no mapping', async () => {
    fs.mkdirSync(path.join(dir, 'a-dir.conf'));
    assert.match(await refusal(path.join(dir, 'a-dir.conf')), /is a directory/);
    assert.match(await refusal(write('clusters: [\n  - a: b\n c')), /is not valid YAML \(line \d+\)/);
    assert.match(await refusal(write('- just\n- a list\n')), /is not a YAML mapping/);
  });

  test('no current context', async () => {
    assert.match(await refusal(write(kubeconfig({ currentContext: null }))), /has no current-context$/);
    assert.match(await refusal(write(kubeconfig({ currentContext: '""' }))), /has no current-context$/);
  });

  test('a current context, cluster or user that is not there', async () => {
    assert.match(
      await refusal(write(kubeconfig({ currentContext: 'elsewhere' }))),
      /current-context "elsewhere" is not among its contexts/,
    );
    const noUser = kubeconfig().replace('- name: kubernetes-admin\n', '- name: somebody-else\n');
    assert.match(await refusal(write(noUser)), /user "kubernetes-admin" is not among its users/);
    const noCluster = kubeconfig().replace('  name: kubernetes\n', '  name: another\n');
    assert.match(await refusal(write(noCluster)), /cluster "kubernetes" is not among its clusters/);
  });

  test('a user without a client certificate: token auth is not supported', async () => {
    for (const [user, how] of [
      [['token: abcdef.0123456789abcdef'], 'authenticates with a token'],
      [['tokenFile: /var/run/token'], 'authenticates with a token'],
      [['exec:', '  apiVersion: client.authentication.k8s.io/v1', '  command: aws'], 'exec plugin'],
      [['username: admin', 'password: secret'], 'authenticates with a password'],
      [['as: nobody'], 'has no client certificate'],
    ] as const) {
      const message = await refusal(write(kubeconfig({ user: [...user] })));
      assert.ok(message.includes(how), message);
      assert.match(message, /token auth is not supported/);
    }
  });

  test('a client certificate without its key', async () => {
    assert.match(
      await refusal(write(kubeconfig({ user: [`client-certificate-data: ${b64(CERT)}`] }))),
      /has a client certificate but no client key/,
    );
  });

  test('a certificate file that is not there, named with its path', async () => {
    const message = await refusal(
      write(kubeconfig({ user: ['client-certificate: pki/gone.crt', `client-key-data: ${b64(KEY)}`] })),
    );
    assert.ok(message.includes(path.join(dir, 'pki/gone.crt')), message);
    assert.match(message, /is not there$/);
  });

  test('data that is not base64 of a PEM, and a file that is not PEM', async () => {
    assert.match(
      await refusal(
        write(
          kubeconfig({ user: ['client-certificate-data: bm90IGEgUEVN', `client-key-data: ${b64(KEY)}`] }),
        ),
      ),
      /client-certificate-data that is not base64 of a PEM/,
    );
    write('not a key', 'garbage.key');
    assert.match(
      await refusal(
        write(kubeconfig({ user: [`client-certificate-data: ${b64(CERT)}`, 'client-key: garbage.key'] })),
      ),
      /client-key .*garbage\.key .* is not PEM/,
    );
  });

  test('a server that is missing, not a URL, or not https', async () => {
    assert.match(
      await refusal(write(kubeconfig({ cluster: [`certificate-authority-data: ${b64(CA)}`] }))),
      /cluster "kubernetes" has no server/,
    );
    assert.match(
      await refusal(write(kubeconfig({ server: 'not a url' }))),
      /server "not a url" is not a URL/,
    );
    assert.match(
      await refusal(write(kubeconfig({ server: 'http://127.0.0.1:8080' }))),
      /server "http:\/\/127\.0\.0\.1:8080" is not an https:\/\/ URL/,
    );
  });

  test('insecure-skip-tls-verify: the server is always verified', async () => {
    assert.match(
      await refusal(
        write(kubeconfig({ cluster: ['insecure-skip-tls-verify: true', 'server: https://127.0.0.1:6443'] })),
      ),
      /insecure-skip-tls-verify, and breakglass always verifies/,
    );
  });
});
