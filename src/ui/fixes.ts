// An alert's fix as the key that does it, for the TUI (the CLI shows the command instead).
import type { Alert } from '../model/alerts.js';
import { escapeName } from '../util/sanitize.js';

export function tuiFix(alert: Alert): string {
  const fix = alert.fix;
  if (!fix) return '';
  switch (fix.action) {
    case 'recover':
      return ': run `breakglass recover`';
    case 'resume-restart':
      return '; P shows it: retry or roll back';
    case 'stop-pod':
      return alert.code === 'still-running' ? '; x stops it through the runtime' : '; x stops it';
    case 'disable':
      return '; d moves it out of the directory';
    case 'restart-kubelet':
      return '; K restarts it';
    case 'restart-unit':
      return `: run \`breakglass restart-unit ${escapeName(fix.target ?? '')}\``;
    case 'show-manifest':
      return alert.code === 'lint-findings' ? ': m shows them' : ': m shows why';
    case 'show-certs':
      return alert.code === 'certificate-invalid' || alert.code === 'certificate-expiring'
        ? ': c shows them, R there renews them'
        : ': c shows them';
    case 'etcd-reclaim':
      return '; S reclaims its space';
  }
}
