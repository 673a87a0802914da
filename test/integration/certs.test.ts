// `breakglass certs renew` on the lab: certificates expired the way a year does it, renewed, and the
// node checked with openssl and the components' own TLS handshakes, not breakglass's word: the same
// subjects and SANs, a new NotAfter, the CAs byte for byte, the new certificates served on 6443, 10257,
// 10259 and 2379, the control plane healthy. An external CA, a full disk and a kill -9 at every point of
// the swap: nothing half-written, `recover` finishes or undoes it.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { labFault, labHeal } from '../../scripts/lab/lab.js';
import { labPorts } from '../../scripts/lab/node.js';
import type { CertJson } from '../../src/cli/commands/certs.js';
import { sha256Of } from '../../src/util/fsx.js';
import { labOrNull } from '../helpers/lab.js';
import { BIN } from '../helpers/paths.js';
import { labHealthy } from '../helpers/restart.js';
import { breakglass, breakglassJson } from '../helpers/run.js';
import { Tmux } from '../helpers/tmux.js';

const lab = labOrNull();
const quiet = () => {};

const openssl = (args: string[], input?: string) =>
  execFileSync('openssl', args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'ignore'] });

describe('breakglass certs renew on the lab', {
  skip: lab ? false : 'needs the lab (npm test)',
  timeout: 1_800_000,
}, () => {
  const l = lab!;
  const flags = () => ['--root', l.nodeRoot, '--journal-dir', l.journalDir, '--dbus', l.dbusAddress];
  const pki = () => path.join(l.nodeRoot, 'etc/kubernetes/pki');
  const leaves = [
    'apiserver',
    'apiserver-kubelet-client',
    'apiserver-etcd-client',
    'front-proxy-client',
    'etcd/server',
    'etcd/peer',
    'etcd/healthcheck-client',
  ];
  const cas = ['ca', 'etcd/ca', 'front-proxy-ca'];
  const crt = (name: string) => path.join(pki(), `${name}.crt`);
  const key = (name: string) => path.join(pki(), `${name}.key`);
  const x509 = (file: string, ...what: string[]) => openssl(['x509', '-in', file, '-noout', ...what]).trim();
  const matches = (name: string) =>
    openssl(['x509', '-in', crt(name), '-noout', '-pubkey']) ===
    openssl(['pkey', '-in', key(name), '-pubout']);
  // s_client may end non-zero (etcd wants a client certificate) after printing the one it was served.
  const served = (port: number) => {
    const hello = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${port}`], {
      encoding: 'utf8',
      input: '',
    });
    return openssl(['x509', '-noout', '-serial'], hello.stdout).trim();
  };
  const embedded = (conf: string) => {
    const text = fs.readFileSync(path.join(l.nodeRoot, 'etc/kubernetes', conf), 'utf8');
    return Buffer.from(/client-certificate-data: (\S+)/.exec(text)![1]!, 'base64').toString('utf8');
  };
  const certsJson = () =>
    breakglassJson<{ certificates: CertJson[] }>(['certs', ...flags()]).json.certificates;

  before(() => labHealthy(l.portOffset));
  after(() => labHeal(l.dir, undefined, quiet));

  test('a year on, every leaf and kubeconfig expired: renewed, the same subjects and SANs, the CAs untouched, the new ones served, healthy', async () => {
    await labFault(l.dir, 'certs-all-expired', quiet);
    try {
      const expired = certsJson()
        .filter((c) => c.status === 'expired')
        .map((c) => c.name);
      assert.deepEqual(expired.sort(), [
        'admin.conf',
        'apiserver',
        'apiserver-etcd-client',
        'apiserver-kubelet-client',
        'controller-manager.conf',
        'etcd-healthcheck-client',
        'etcd-peer',
        'etcd-server',
        'front-proxy-client',
        'scheduler.conf',
        'super-admin.conf',
      ]);
      const caBytes = cas.flatMap((c) => [sha256Of(crt(c)), sha256Of(key(c))]);
      const before = new Map(
        leaves.map((n) => [
          n,
          { subject: x509(crt(n), '-subject'), sans: x509(crt(n), '-ext', 'subjectAltName') },
        ]),
      );
      const r = breakglass(['certs', 'renew', '--yes', ...flags()], { timeout: 900_000 });
      assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
      await labHealthy(l.portOffset);
      const yearOn = Date.now() + 364 * 24 * 3600 * 1000;
      for (const n of leaves) {
        assert.equal(x509(crt(n), '-subject'), before.get(n)!.subject, n);
        assert.equal(x509(crt(n), '-ext', 'subjectAltName'), before.get(n)!.sans, n);
        assert.ok(new Date(x509(crt(n), '-enddate').replace('notAfter=', '')).getTime() > yearOn, n);
        assert.ok(matches(n), `${n}: the certificate is for its key`);
        assert.match(
          openssl([
            'verify',
            '-CAfile',
            crt(
              n.startsWith('etcd/') || n === 'apiserver-etcd-client'
                ? 'etcd/ca'
                : n === 'front-proxy-client'
                  ? 'front-proxy-ca'
                  : 'ca',
            ),
            crt(n),
          ]),
          /: OK/,
        );
      }
      for (const conf of ['admin.conf', 'super-admin.conf', 'controller-manager.conf', 'scheduler.conf']) {
        const end = openssl(['x509', '-noout', '-enddate'], embedded(conf)).trim().replace('notAfter=', '');
        assert.ok(new Date(end).getTime() > yearOn, conf);
      }
      assert.deepEqual(
        cas.flatMap((c) => [sha256Of(crt(c)), sha256Of(key(c))]),
        caBytes,
        'the CAs byte for byte',
      );
      const ports = labPorts(l.portOffset);
      const apiserverSerial = x509(crt('apiserver'), '-serial');
      assert.equal(served(ports.apiserver), apiserverSerial, '6443 serves the new apiserver.crt');
      // The lab's controller manager and scheduler serve with apiserver.crt (their flags say so).
      assert.equal(served(ports.controllerManager), apiserverSerial);
      assert.equal(served(ports.scheduler), apiserverSerial);
      assert.equal(
        served(ports.etcdClient),
        x509(crt('etcd/server'), '-serial'),
        '2379 serves the new etcd server certificate',
      );
      assert.ok(
        certsJson().every((c) => c.status === 'ok'),
        'nothing expired any more',
      );
      assert.ok(
        fs.readdirSync(path.join(l.nodeRoot, 'var/lib/breakglass/pki-backups')).length > 0,
        'a backup',
      );
    } finally {
      await labHeal(l.dir, 'certs-all-expired', quiet);
    }
  });

  test("the lab's cert-expired fault: only apiserver.crt renewed, only the pods that use it restarted, 6443 serves it", async () => {
    await labFault(l.dir, 'cert-expired', quiet);
    try {
      const others = leaves.filter((n) => n !== 'apiserver').map((n) => sha256Of(crt(n)));
      // --json: one line per event, the result last.
      const r = breakglass(['certs', 'renew', '--yes', '--json', ...flags()], { timeout: 600_000 });
      const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
        ok: boolean;
        renewed: string[];
        restarted: string[];
      };
      assert.equal(result.ok, true, r.stdout);
      assert.deepEqual(result.renewed, ['apiserver']);
      // The lab's controller manager and scheduler serve with apiserver.crt too: they restart with it.
      assert.deepEqual(result.restarted, ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler']);
      assert.deepEqual(
        leaves.filter((n) => n !== 'apiserver').map((n) => sha256Of(crt(n))),
        others,
        'nothing else',
      );
      assert.equal(served(labPorts(l.portOffset).apiserver), x509(crt('apiserver'), '-serial'));
      await labHealthy(l.portOffset);
    } finally {
      await labHeal(l.dir, 'cert-expired', quiet);
    }
  });

  test('a certificate put back without its key: the doctor names it, certs renew makes them a pair again', async () => {
    const kubeletClientKey = key('apiserver-kubelet-client');
    const saved = fs.readFileSync(kubeletClientKey);
    // Another certificate's key in its place: what copying certificates in by hand leaves behind.
    fs.copyFileSync(key('front-proxy-client'), kubeletClientKey);
    try {
      assert.ok(!matches('apiserver-kubelet-client'));
      const doctor = JSON.parse(breakglass(['doctor', '--json', ...flags()], { timeout: 60_000 }).stdout) as {
        findings: { code: string; subject: string | null; fix: { command: string | null } }[];
      };
      const f = doctor.findings.find((x) => x.code === 'certificate-key-mismatch')!;
      assert.ok(f, JSON.stringify(doctor, null, 2));
      assert.equal(f.subject, 'apiserver-kubelet-client');
      assert.equal(f.fix.command, 'breakglass certs renew apiserver-kubelet-client');
      const row = certsJson().find((c) => c.name === 'apiserver-kubelet-client')!;
      assert.equal(row.keyMatches, false);
      const r = breakglass(['certs', 'renew', '--yes', ...flags()], { timeout: 600_000 });
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /apiserver-kubelet-client/, 'renewed by default: it is not for its key');
      assert.ok(matches('apiserver-kubelet-client'), 'a pair again');
      await labHealthy(l.portOffset);
    } catch (err) {
      fs.writeFileSync(kubeletClientKey, saved);
      throw err;
    }
  });

  test('an external CA (no front-proxy-ca.key): reported, nothing it signed touched', async () => {
    const aside = path.join(os.tmpdir(), `bg-front-proxy-ca-${process.pid}.key`);
    fs.renameSync(key('front-proxy-ca'), aside);
    try {
      const beforeSha = [sha256Of(crt('front-proxy-client')), sha256Of(key('front-proxy-client'))];
      const r = breakglass(['certs', 'renew', 'front-proxy-client', '--no-restart', '--yes', ...flags()]);
      assert.notEqual(r.status, 0);
      assert.match(
        r.stderr,
        /front-proxy-client: signed by front-proxy-ca\.crt, whose key \(front-proxy-ca\.key\) is not on this node \(an external CA\): not touched/,
      );
      assert.deepEqual([sha256Of(crt('front-proxy-client')), sha256Of(key('front-proxy-client'))], beforeSha);
      const row = certsJson().find((c) => c.name === 'front-proxy-client')!;
      assert.equal(row.signerKeyOnNode, false);
    } finally {
      fs.renameSync(aside, key('front-proxy-ca'));
    }
  });

  test('no room for the backup: refused before anything is written', () => {
    const small = fs.mkdtempSync(path.join(os.tmpdir(), 'bg-certs-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'bg-certs-full', small]);
    try {
      execFileSync('fallocate', ['-l', `${1024 * 1024 - 64 * 1024}`, path.join(small, 'fill')]);
      const beforeSha = leaves.map((n) => sha256Of(crt(n)));
      const r = breakglass([
        'certs',
        'renew',
        '--all',
        '--no-restart',
        '--yes',
        '--state-dir',
        small,
        ...flags(),
      ]);
      assert.notEqual(r.status, 0);
      assert.match(
        `${r.stdout}${r.stderr}`,
        /not enough space in .* to back up the certificates first .*nothing changed/,
      );
      assert.deepEqual(
        leaves.map((n) => sha256Of(crt(n))),
        beforeSha,
      );
    } finally {
      execFileSync('umount', ['-l', small]);
      fs.rmSync(small, { recursive: true, force: true });
    }
  });

  test('kill -9 at every point of the swap: the certificate matches its key, recover completes or undoes it', () => {
    const points = [
      'swap-after-intent',
      'swap-after-temp#1',
      'swap-after-temp#2',
      'swap-after-rename#1',
      'swap-after-rename#2',
      'swap-after-audit',
    ];
    for (const point of points) {
      const old = sha256Of(crt('apiserver-kubelet-client'));
      const r = breakglass(
        ['certs', 'renew', 'apiserver-kubelet-client', '--no-restart', '--yes', ...flags()],
        {
          env: { ...process.env, BREAKGLASS_CRASHPOINT: point },
        },
      );
      // The renewal runs detached (as the restart does): its runner is what dies; this process says so.
      assert.equal(r.status, 1, `${point}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /the certs renew run \(pid \d+\) ended without a result: killed/, point);
      const recovered = breakglass(['recover', ...flags()]);
      assert.equal(recovered.status, 0, `${point}: ${recovered.stdout}${recovered.stderr}`);
      assert.ok(matches('apiserver-kubelet-client'), `${point}: the certificate is for its key`);
      const now = sha256Of(crt('apiserver-kubelet-client'));
      // Once every new version is whole on disk (the last temp written), recovery finishes the swap.
      const renewed = [
        'swap-after-temp#2',
        'swap-after-rename#1',
        'swap-after-rename#2',
        'swap-after-audit',
      ].includes(point);
      assert.equal(
        now !== old,
        renewed,
        `${point}: ${renewed ? 'finished' : 'undone'} (${recovered.stdout.trim()})`,
      );
      assert.deepEqual(
        fs.readdirSync(pki()).filter((f) => f.includes('.breakglass-')),
        [],
        `${point}: no temp file left`,
      );
      assert.ok(
        !fs.existsSync(path.join(l.nodeRoot, 'var/lib/breakglass/intent.json')),
        `${point}: nothing in flight`,
      );
    }
  });

  test('the operator behind sudo: their copy of admin.conf is named, and refreshed when they say so', async () => {
    const passwd = path.join(l.nodeRoot, 'etc/passwd');
    const home = path.join(l.nodeRoot, 'home/alice');
    const config = path.join(home, '.kube/config');
    const adminConf = path.join(l.nodeRoot, 'etc/kubernetes/admin.conf');
    fs.writeFileSync(passwd, 'alice:x:1000:1000::/home/alice:/bin/sh\n');
    fs.mkdirSync(path.dirname(config), { recursive: true });
    fs.copyFileSync(adminConf, config);
    fs.chownSync(config, 1000, 1000);
    fs.chmodSync(config, 0o600);
    const tmux = new Tmux(200, 50);
    try {
      const quietRun = breakglass(['certs', 'renew', 'admin.conf', '--no-restart', '--yes', ...flags()], {
        env: { ...process.env, SUDO_USER: 'alice' },
      });
      assert.equal(quietRun.status, 0, quietRun.stderr);
      assert.match(
        quietRun.stderr,
        /home\/alice\/\.kube\/config \(alice's kubectl\) still holds the old admin certificate: cp /,
      );
      const old = fs.readFileSync(config);
      tmux.start({ SUDO_USER: 'alice', DBUS_SYSTEM_BUS_ADDRESS: l.dbusAddress });
      tmux.run(`${BIN} certs renew admin.conf --no-restart ${flags().join(' ')}; echo EXIT=$?`);
      await tmux.waitFor(/Go ahead\? \[y\/N\]/, 60_000, 'the plan');
      tmux.keys('y');
      tmux.keys('Enter', false);
      await tmux.waitFor(
        /Refresh .*home\/alice\/\.kube\/config \(alice's kubectl\) from the new admin\.conf\?/,
        120_000,
        'the offer',
      );
      tmux.keys('y');
      tmux.keys('Enter', false);
      await tmux.waitFor(/config refreshed; the old one is /, 30_000, 'refreshed');
      assert.ok(fs.readFileSync(config).equals(fs.readFileSync(adminConf)), 'the new admin.conf');
      const stat = fs.statSync(config);
      assert.deepEqual([stat.uid, stat.gid, stat.mode & 0o777], [1000, 1000, 0o600], "still alice's, 0600");
      const kept = fs.readdirSync(path.dirname(config)).filter((f) => f.startsWith('config.breakglass-'));
      assert.equal(kept.length, 1);
      assert.ok(fs.readFileSync(path.join(path.dirname(config), kept[0]!)).equals(old), 'the old one kept');
    } finally {
      tmux.kill();
      fs.rmSync(passwd, { force: true });
      fs.rmSync(path.join(l.nodeRoot, 'home'), { recursive: true, force: true });
    }
  });
});
