// An alert's fix as the command that does it, for the CLI (the TUI shows the key instead).
import type { Fix } from '../../model/alerts.js';
import { escapeName } from '../../util/sanitize.js';

export function cliFix(fix: Fix | null): string | null {
  if (!fix) return null;
  const target = fix.target === null ? '' : escapeName(fix.target);
  switch (fix.action) {
    case 'recover':
      return 'run `breakglass recover`';
    case 'resume-restart':
      return '`breakglass restart --resume` retries it, `breakglass restart --rollback` undoes what it did';
    case 'stop-pod':
      return `stop it with \`breakglass stop ${target}\``;
    case 'disable':
      return `disable it with \`breakglass disable ${target}\` (kubelet stops running it; the file is kept)`;
    case 'restart-kubelet':
    case 'restart-unit':
      return `restart it with \`breakglass restart-unit ${target}\``;
    case 'show-manifest':
      return '`breakglass lint` says why';
    case 'show-certs':
      return '`kubeadm certs check-expiration` lists them';
    case 'etcd-reclaim':
      return '`breakglass etcd reclaim` compacts, defragments and disarms it';
  }
}
