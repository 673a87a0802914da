// The Debian packages the lab runs on: installed only when missing, so a prepared machine never
// touches the network.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

export type Log = (line: string) => void;

export const LAB_PACKAGES = [
  'docker.io',
  'containerd',
  'runc',
  'etcd-server',
  'etcd-client',
  'busybox-static',
  'openssl',
  'tmux',
  // The lab's systemd (systemd.ts): debootstrap builds its root file system; busctl and journalctl, from
  // the host's systemd package (not PID 1 here), reach its D-Bus and read its journal.
  'debootstrap',
  'systemd',
  // Plain tools to see the lab's faults with: curl on the health endpoints, mkfs for etcd's own disk.
  'curl',
  'e2fsprogs',
] as const;

// biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own ${Field} syntax, not JavaScript's.
const DPKG_QUERY_FORMAT = '${Package} ${Status}\\n';
const POLICY_RC_D = '/usr/sbin/policy-rc.d';
/** invoke-rc.d's answer "action forbidden": package scripts then start no service. */
const DENY_ALL_SERVICE_STARTS =
  '#!/bin/sh\n# Written by the breakglass lab for the length of one apt-get install.\nexit 101\n';

/** Installs the packages that are missing (apt-get update once, then one install); returns what it installed. */
export function ensureDebianPackages(names: readonly string[], log: Log): string[] {
  const missing = missingDebianPackages(names);
  if (missing.length === 0) return [];
  log(`installing Debian packages: ${missing.join(' ')}`);
  withServiceStartsDenied(() => {
    aptGet(['update']);
    aptGet(['install', '-y', ...missing]);
  });
  const stillMissing = missingDebianPackages(names);
  if (stillMissing.length > 0) throw new Error(`apt-get did not install: ${stillMissing.join(' ')}`);
  return missing;
}

export function missingDebianPackages(names: readonly string[]): string[] {
  if (names.length === 0) return [];
  // dpkg-query exits 1 when any name is unknown, and still prints the others: read stdout either way.
  const result = spawnSync('dpkg-query', ['-W', `-f=${DPKG_QUERY_FORMAT}`, ...names], { encoding: 'utf8' });
  if (result.error) throw new Error(`dpkg-query failed (is this Debian?): ${result.error.message}`);
  const installed = new Set(
    result.stdout
      .split('\n')
      .filter((line) => line.endsWith(' install ok installed'))
      .map((line) => line.split(' ')[0]),
  );
  return names.filter((name) => !installed.has(name));
}

function aptGet(args: string[]): void {
  const result = spawnSync('apt-get', args, {
    // apt's progress goes to stderr: stdout stays free for what the lab prints (the env lines).
    stdio: ['ignore', 2, 2],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.error) throw new Error(`apt-get ${args[0]}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`apt-get ${args.join(' ')} exited with ${result.status}`);
}

/**
 * Without systemd as PID 1, package scripts start services through init.d: docker.io would start a host
 * dockerd on /var/run/docker.sock and etcd-server a host etcd on 127.0.0.1:2379, colliding with the lab.
 */
function withServiceStartsDenied(install: () => void): void {
  if (fs.existsSync(POLICY_RC_D)) {
    install();
    return;
  }
  fs.writeFileSync(POLICY_RC_D, DENY_ALL_SERVICE_STARTS, { mode: 0o755 });
  try {
    install();
  } finally {
    fs.rmSync(POLICY_RC_D, { force: true });
  }
}
