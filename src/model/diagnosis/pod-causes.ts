// The control-plane components themselves: one that exits on a flag it does not know or cannot parse
// (named, with its line in the manifest), and, for a failing pod that no deeper cause explains, what it
// shows: a crash loop with its last error line, a pod not started, a failing probe, the API server down.
// Pure.
import { API_SERVER_POD } from '../../node/apiserver.js';
import { escapeName } from '../../util/sanitize.js';
import type { PodView } from '../pod-view.js';
import {
  type Cause,
  cause,
  clip,
  evidence,
  failureWords,
  fix,
  isFailing,
  LAYER,
  logEvidence,
  manifestPath,
} from './cause.js';
import { flagProblem, lastErrorLine, lineOfFlag, plainWords } from './log-reasons.js';
import type { CrashLog, DoctorInput, Evidence } from './types.js';

/** A component that will not start with its manifest's flags. */
export function badFlagCauses(input: DoctorInput): Cause[] {
  const out: Cause[] = [];
  for (const pod of input.model.pods) {
    if (!isFailing(pod)) continue;
    const log = crashLogOf(input, pod);
    const problem = log ? flagProblem(log.lines) : null;
    if (!log || !problem) continue;
    const path = manifestPath(pod, input.facts.layout.manifests.value);
    const text = pod.staticPod?.manifest.text ?? null;
    const line = text === null ? null : lineOfFlag(text, problem.flag);
    // Running, it is caught between two exits of its crash loop (kubelet has just started it again): an
    // unknown flag is still the cause while the manifest still gives it, gone from it, it is history. A
    // bad value may have been corrected since, which the manifest alone does not tell.
    if (pod.phase === 'running' && (problem.kind !== 'unknown' || line === null)) continue;
    const flag = escapeName(problem.flag);
    const at = line === null ? '' : ` (line ${line} of ${path})`;
    const proof: Evidence[] = [logEvidence(problem.line, logSource(pod, log))];
    if (line !== null) {
      const e = evidence(clip(escapeName(text!.split('\n')[line - 1]!.trim())), path);
      e.line = line;
      proof.push(e);
    }
    proof.push(stateEvidence(pod));
    const words =
      problem.kind === 'unknown' ? `does not know the flag ${flag}` : `cannot parse the value of ${flag}`;
    out.push(
      cause(LAYER.component, [pod.name], {
        code: 'bad-flag',
        severity: 'error',
        title: `${pod.name} exits at start: it ${words}${at}`,
        subject: pod.name,
        evidence: proof,
        fix: fix(
          `${problem.kind === 'unknown' ? 'remove' : 'correct'} ${flag}${line === null ? '' : ` on line ${line}`}, or put back the last version that ran healthy`,
          `breakglass revert ${escapeName(pod.name)}   (or: breakglass edit ${escapeName(pod.name)})`,
          { action: 'show-manifest', target: pod.fileName },
        ),
      }),
    );
  }
  return out;
}

/** A failing pod no other finding explains: what the node shows of it. */
export function podFailure(pod: PodView, input: DoctorInput): Cause {
  const log = crashLogOf(input, pod);
  const last = log ? lastErrorLine(log.lines) : null;
  const proof: Evidence[] = [stateEvidence(pod)];
  if (pod.health && !pod.health.ok) proof.push(probeEvidence(pod));
  if (last) proof.push(logEvidence(last, logSource(pod, log!)));
  else if (log?.error) proof.push(evidence(`its log cannot be read: ${log.error}`, logSource(pod, log)));
  const isApiServer = pod.name === API_SERVER_POD;
  const showLog = { action: 'show-manifest' as const, target: pod.fileName };
  const lastWords = last ? `: ${clip(plainWords(last.text), 120)}` : '';
  if (pod.phase === 'crash-loop' || pod.phase === 'exited') {
    return cause(isApiServer ? LAYER.apiserver : LAYER.component, [pod.name], {
      code: isApiServer ? 'apiserver-down' : 'crash-loop',
      severity: 'error',
      title: `${failureWords(pod)}${isApiServer ? ': the API server is down' : ''}${lastWords}`,
      subject: pod.name,
      evidence: proof,
      fix: fix(
        'read its log for why; if a change to its manifest did it, put back the last version that ran healthy',
        `breakglass logs ${escapeName(pod.name)} --tail 50; breakglass revert ${escapeName(pod.name)}`,
        showLog,
      ),
    });
  }
  if (pod.phase === 'not-started' || pod.phase === 'starting') {
    return cause(LAYER.component, [pod.name], {
      code: isApiServer ? 'apiserver-down' : 'not-started',
      severity: 'error',
      title: `${failureWords(pod)}${isApiServer ? ': the API server is down' : ''}: kubelet has not started its containers`,
      subject: pod.name,
      evidence: proof,
      fix: fix(
        "kubelet's journal says why it does not start it",
        'journalctl -u kubelet -n 100 --no-pager',
        null,
      ),
    });
  }
  return cause(isApiServer ? LAYER.apiserver : LAYER.health, [pod.name], {
    code: isApiServer ? 'apiserver-down' : 'unhealthy',
    severity: 'error',
    title: `${failureWords(pod)}${isApiServer ? ': the API server does not serve' : ''}${lastWords}`,
    subject: pod.name,
    evidence: proof,
    fix: fix(
      'read its log for why; a restart helps only when nothing below it is broken',
      `breakglass logs ${escapeName(pod.name)} --tail 50; breakglass restart ${escapeName(pod.name)}`,
      showLog,
    ),
  });
}

function crashLogOf(input: DoctorInput, pod: PodView): CrashLog | null {
  return input.crashLogs.find((l) => l.podKey === pod.key) ?? null;
}

function logSource(pod: PodView, log: CrashLog): string {
  const attempt = pod.containers.find((c) => c.id === log.containerId)?.attempt;
  return `${pod.name} container log (${escapeName(log.container)}${attempt === undefined ? '' : `, attempt ${attempt}`})`;
}

function stateEvidence(pod: PodView): Evidence {
  const c = pod.containers.find((x) => x.state !== 'running') ?? pod.containers[0];
  const restarts = pod.restarts === null ? '' : `, ${pod.restarts} restart(s)`;
  return evidence(
    `${pod.stateText}${pod.lastExit ? `, last exit ${pod.lastExit}` : ''}${restarts}`,
    'the runtime',
    c?.finishedAt ?? c?.startedAt ?? null,
  );
}

function probeEvidence(pod: PodView): Evidence {
  const h = pod.health!;
  const what = h.statusCode !== null ? `HTTP ${h.statusCode}` : (h.error ?? 'no answer');
  return evidence(`${escapeName(h.url)} answers ${what}`, 'health probe from its manifest');
}
