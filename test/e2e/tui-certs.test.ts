// A year on, in a real terminal (tmux) on the lab: every leaf certificate and the kubeconfigs' client
// certificates have expired. The main screen's alert leads to the certificates view, R there shows the
// plan (the renewals, the pods to restart), y runs it with its progress, and the screen shows them
// valid. Checked on the node: openssl on the files, the API server serving the new certificate, healthy.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { labFault, labHeal } from '../../scripts/lab/lab.js';
import { labPorts } from '../../scripts/lab/node.js';
import { labOrNull } from '../helpers/lab.js';
import { BIN } from '../helpers/paths.js';
import { labHealthy } from '../helpers/restart.js';
import { Tmux, unwrapped } from '../helpers/tmux.js';

const lab = labOrNull();
const quiet = () => {};

describe('expired certificates renewed from the TUI', {
  skip: lab ? false : 'needs the lab (npm test)',
  timeout: 900_000,
}, () => {
  const l = lab!;
  const flags = [
    '--root',
    l?.nodeRoot ?? '',
    '--journal-dir',
    l?.journalDir ?? '',
    '--dbus',
    l?.dbusAddress ?? '',
  ];
  const apiserverCrt = () => path.join(l.nodeRoot, 'etc/kubernetes/pki/apiserver.crt');
  let tmux: Tmux | null = null;
  after(async () => {
    tmux?.kill();
    await labHeal(l.dir, undefined, quiet);
    await labHealthy(l.portOffset);
  });

  test('the alert, c, R: the plan, its progress, every certificate valid and served', async () => {
    await labHealthy(l.portOffset);
    await labFault(l.dir, 'certs-all-expired', quiet);
    tmux = new Tmux(160, 48);
    tmux.start({ DBUS_SYSTEM_BUS_ADDRESS: l.dbusAddress });
    tmux.run(`${BIN} ${flags.join(' ')}`);
    await tmux.waitFor(
      (s) =>
        /! 11 certificates \(apiserver, .* and 8 more\) not valid now: c shows them, R there renews them/.test(
          unwrapped(s),
        ),
      120_000,
      'the expired-certificate alert and where it leads',
    );
    tmux.keys('c');
    await tmux.waitFor(/R renew what is expired or expiring/, 30_000, 'the certificates view');
    assert.match(tmux.screen(), /apiserver\s+\S+ \S+\s+expired/);
    tmux.keys('R');
    const plan = await tmux.waitFor(/Renew 11 certificates/, 60_000, 'the plan');
    assert.match(unwrapped(plan), /back up .*pki and the kubeconfigs/);
    tmux.keys('y');
    await tmux.waitFor(
      (s) => /11 renewed, valid until \d{4}-\d\d-\d\d/.test(unwrapped(s)),
      600_000,
      'the renewal and the restart done',
    );
    const end = execFileSync('openssl', ['x509', '-in', apiserverCrt(), '-noout', '-enddate'], {
      encoding: 'utf8',
    });
    assert.ok(new Date(end.trim().replace('notAfter=', '')).getTime() > Date.now() + 364 * 86_400_000);
    const hello = spawnSync(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${labPorts(l.portOffset).apiserver}`],
      {
        encoding: 'utf8',
        input: '',
      },
    );
    const servedSerial = execFileSync('openssl', ['x509', '-noout', '-serial'], {
      input: hello.stdout,
      encoding: 'utf8',
    });
    const fileSerial = execFileSync('openssl', ['x509', '-in', apiserverCrt(), '-noout', '-serial'], {
      encoding: 'utf8',
    });
    assert.equal(servedSerial, fileSerial, 'the API server serves the renewed certificate');
    await labHealthy(l.portOffset);
    tmux.keys('q'); // the progress overlay
    await tmux.waitFor(
      (s) => !/apiserver\s+\S+ \S+\s+expired/.test(s),
      60_000,
      'no certificate shown expired',
    );
    tmux.keys('Escape', false);
    tmux.keys('q');
    await tmux.waitForShell();
  });
});
