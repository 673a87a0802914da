// `breakglass edit NAME` once the edit linted and was confirmed: the same three steps as a revert (keep
// the file as it is now in the history, swap crash-safely, gate on a new container and its probe), with
// the edited bytes as the version put in place.
import type { Procedure } from './procedure.js';
import { type RevertParams, revertPod } from './revert.js';

type RevertState = typeof revertPod extends Procedure<RevertParams, infer S> ? S : never;

const short = (sha: string) => sha.slice(0, 12);

export const editPod: Procedure<RevertParams, RevertState> = {
  ...revertPod,
  command: 'edit',
  title: (p) => `Apply the edit of ${p.file} (${short(p.current.sha256)} -> ${short(p.target.sha256)})`,
  warnings: () => [],
  success: (p) => `${p.file} holds the edit (${short(p.target.sha256)}); ${p.name} runs and passed its gate`,
};
