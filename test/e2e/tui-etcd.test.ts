// etcd out of space, in a real terminal (tmux) on the lab: the etcd panel says ALARM NOSPACE and the
// alert says what S does; S shows the reclaim's plan, y runs it with its progress, and the panel shows no
// alarm. Checked on the node with etcdctl: no alarm, a write goes through.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { labFault, labHeal } from '../../scripts/lab/lab.js';
import { labOrNull } from '../helpers/lab.js';
import { labEtcdctl } from '../helpers/lab-etcdctl.js';
import { BIN } from '../helpers/paths.js';
import { labHealthy } from '../helpers/restart.js';
import { Tmux, unwrapped } from '../helpers/tmux.js';

const lab = labOrNull();
const quiet = () => {};

describe("etcd's space reclaimed from the TUI", {
  skip: lab ? false : 'needs the lab (npm test)',
  timeout: 600_000,
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
  let tmux: Tmux | null = null;
  after(async () => {
    tmux?.kill();
    await labHeal(l.dir, 'etcd-nospace', quiet);
    await labHealthy(l.portOffset);
  });

  test('the panel and the alert, S: the plan, its progress, no alarm left', async () => {
    await labHealthy(l.portOffset);
    await labFault(l.dir, 'etcd-nospace', quiet);
    tmux = new Tmux(160, 48);
    tmux.start({ DBUS_SYSTEM_BUS_ADDRESS: l.dbusAddress });
    tmux.run(`${BIN} ${flags.join(' ')}`);
    await tmux.waitFor(
      (s) =>
        /ALARM NOSPACE/.test(s) &&
        /! etcd's NOSPACE alarm: it refuses every write .*; S reclaims its space/.test(unwrapped(s)),
      120_000,
      'the NOSPACE alarm on the etcd panel and its alert',
    );
    tmux.keys('S');
    const plan = await tmux.waitFor(/Reclaim etcd's space/, 30_000, 'the plan');
    assert.match(unwrapped(plan), /compact etcd's history to its current revision/);
    assert.match(unwrapped(plan), /disarm NOSPACE once the database is under its 16 MiB quota again/);
    tmux.keys('y');
    await tmux.waitFor(
      (s) => /has its space back and takes writes/.test(unwrapped(s)),
      300_000,
      'the reclaim done',
    );
    const etcdctl = labEtcdctl(l);
    assert.equal(etcdctl(['alarm', 'list']).stdout.trim(), '', 'etcdctl: no alarm');
    assert.equal(etcdctl(['put', '/breakglass-test/tui-etcd', 'ok']).status, 0, 'etcdctl: a write works');
    etcdctl(['del', '/breakglass-test/tui-etcd']);
    tmux.keys('q'); // the progress overlay
    await tmux.waitFor(
      (s) => /no alarms/.test(s) && !/ALARM NOSPACE/.test(s),
      60_000,
      'the panel without the alarm',
    );
    tmux.keys('q');
  });
});
