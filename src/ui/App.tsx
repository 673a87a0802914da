// The TUI's root: the node from the store, the UI state from its state machine, keys into it as intents,
// its effects carried out (quit, run a change, refresh), and the view for the state. Renders and wires;
// what things mean is decided in the model and in src/ui/state/.
import { Box, useApp, useWindowSize } from 'ink';
import { useEffect, useMemo, useState } from 'react';
import type { Diagnosis } from '../model/diagnosis/types.js';
import { planAction, unfinishedRestart } from '../procedures/catalog.js';
import type { ChildCommand } from '../procedures/child.js';
import { diagnoseSnapshot } from '../store/doctor.js';
import type { NodeSnapshot } from '../store/snapshot.js';
import type { Focus, NodeStore } from '../store/store.js';
import { sanitizeLine } from '../util/sanitize.js';
import { actionRunner } from './actions.js';
import { runInTerminal } from './handoff.js';
import { useKeys } from './hooks/use-keys.js';
import { useNode } from './hooks/use-node.js';
import { useUi } from './hooks/use-ui.js';
import { progressOfRecord } from './state/action-state.js';
import { intentOf } from './state/keymap.js';
import { actionRunning, clampSelection, keyMode, type UiFacts, type UiState } from './state/ui-state.js';
import { AuditView } from './views/AuditView.js';
import { CertsView } from './views/CertsView.js';
import { ConfirmOverlay } from './views/ConfirmOverlay.js';
import { Footer, MAIN_KEYS_HINT, READONLY_KEYS_HINT } from './views/Footer.js';
import { HelpOverlay } from './views/HelpOverlay.js';
import { LogViewer } from './views/LogViewer.js';
import { MainScreen } from './views/MainScreen.js';
import { ManifestView } from './views/ManifestView.js';
import { ProgressOverlay } from './views/ProgressOverlay.js';

export interface AppProps {
  store: NodeStore;
  child: ChildCommand;
  readOnly: boolean;
  kubeletUnit: string;
}

/** Fault injection for the terminal-restore tests: BREAKGLASS_TUI_FAULT=render throws while rendering. */
const FAULT = process.env.BREAKGLASS_TUI_FAULT;
const STARTED = Date.now();

export function App({ store, child, readOnly, kubeletUnit }: AppProps) {
  if (FAULT === 'render' && Date.now() - STARTED > 3_000)
    throw new Error('injected render fault (BREAKGLASS_TUI_FAULT=render)');
  const { exit, suspendTerminal } = useApp();
  const { columns, rows: terminalRows } = useWindowSize();
  const width = Math.max(40, columns || 80);
  const height = Math.max(12, terminalRows || 24);
  const bodyHeight = height - 1;
  const { snapshot, model } = useNode(store);
  const diagnosis = diagnoseSnapshot(snapshot);
  const { ui: rawUi, store: uiStore } = useUi();
  const ui = clampSelection(rawUi, model.pods.length);
  const runner = useMemo(() => actionRunner(store, child, uiStore.dispatch), [store, child, uiStore]);
  const now = useClock(actionRunning(ui));

  const selected = model.pods[ui.selected] ?? null;
  // The log pane and viewer follow a container when one is chosen and its pod is still there.
  const wantedKey = ui.logSource.kind === 'container' ? ui.logSource.podKey : null;
  const logPod = wantedKey ? (model.pods.find((p) => p.key === wantedKey) ?? null) : null;
  const focus: Focus = {
    podLog: logPod ? logPod.key : null,
    manifest:
      ui.screen === 'manifest' && selected
        ? {
            key: selected.key,
            path: selected.staticPod?.manifest.path ?? null,
            sha256: selected.staticPod?.manifest.sha256 ?? null,
            fileName: selected.fileName,
          }
        : null,
    audit: ui.screen === 'audit',
  };
  const focusKey = JSON.stringify(focus);
  // biome-ignore lint/correctness/useExhaustiveDependencies: focusKey says when the focus changed.
  useEffect(() => store.focus(focus), [store, focusKey]);

  const logBuffer = logPod ? snapshot.podLog.buffer : snapshot.journal;
  const logNote = logPod ? snapshot.podLog.note : null;
  const logTitle = logPod
    ? `${logPod.name} container log${logNote ? ` (${logNote})` : ''}`
    : `${kubeletUnit} journal`;
  const manifestLines =
    snapshot.manifestText.value?.key === selected?.key ? (snapshot.manifestText.value?.lines ?? null) : null;
  const marks = selected?.file ? doctorMarks(diagnosis, selected.file) : [];
  const shown = snapshot.manifestText.value?.key === selected?.key ? snapshot.manifestText.value : null;
  const diff =
    ui.screen === 'manifest' && ui.manifestDiff
      ? {
          title: `${selected?.file ?? '?'}: from the last version its pod ran healthy on${shown?.healthyDiff ? ` (${shown.healthyDiff.sha256.slice(0, 12)}, ${shown.healthyDiff.at})` : ''} to now`,
          lines: shown?.healthyDiff?.lines ?? null,
          note: shown ? shown.healthyNote : null,
        }
      : null;
  const unfinished = unfinishedRestart(snapshot);
  const facts: UiFacts = {
    readOnly,
    pods: model.pods.map((p) => ({ key: p.key, enabled: p.enabled })),
    log: logBuffer,
    logPageSize: Math.max(1, bodyHeight - 2),
    viewLength: viewLength(ui, snapshot, manifestLines, (selected?.findings.length ?? 0) + marks.length),
    viewPageSize: Math.max(1, bodyHeight - 3),
    kubeletUnit,
    runtimeUnit: snapshot.runtimeUnit?.name ?? null,
    unfinishedRestart: unfinished ? progressOfRecord(unfinished) : null,
  };
  // A restart that runs while the screen opens (started from a terminal that closed): follow it.
  const runningNow = snapshot.procedures.current?.runnerAlive === true;
  // biome-ignore lint/correctness/useExhaustiveDependencies: once, when the first facts show it.
  useEffect(() => {
    if (!runningNow || actionRunning(uiStore.current)) return;
    const effect = uiStore.dispatch({ type: 'attach' });
    if (effect?.kind === 'run') runner.run(effect.request);
  }, [runningNow]);
  // How the last restart ended, once, when the screen opens (one that ran while no screen watched).
  const last = snapshot.procedures.last;
  // biome-ignore lint/correctness/useExhaustiveDependencies: once, for the record found at start.
  useEffect(() => {
    if (!last?.end || last.command !== 'restart' || runningNow) return;
    const when = new Date(last.end.at).toTimeString().slice(0, 8);
    const how = last.end.ok ? 'finished' : last.end.interrupted ? 'was interrupted' : 'failed';
    uiStore.dispatch({
      type: 'notice',
      text: `the last restart ${how} at ${when}: ${sanitizeLine(last.end.text)}${last.end.ok ? '' : ' (P: retry or roll back)'}`,
      level: last.end.ok ? 'info' : 'warning',
    });
  }, [last?.id]);
  useKeys((input, key) => {
    const intent = intentOf(keyMode(uiStore.current), input, key);
    if (!intent) return;
    const effect = uiStore.dispatch({ type: 'intent', intent, facts });
    switch (effect?.kind) {
      case 'quit':
        exit();
        return;
      case 'run':
        runner.run(effect.request);
        return;
      case 'stop-waiting':
        runner.stopWaiting();
        return;
      case 'refresh':
        store.refresh();
        return;
      case 'handoff': {
        const pod = model.pods.find((p) => p.key === effect.request.target);
        // The terminal to `breakglass edit` (its editor, its questions), and back to this screen. Not
        // from inside Ink's read loop (this handler): it reads on after the handler returns and would
        // start reading the terminal again. The next tick, the loop is done.
        if (!pod?.fileName) return;
        const args = [effect.request.kind, pod.fileName];
        setTimeout(() => void suspendTerminal(() => runInTerminal(child, args)), 0);
        return;
      }
    }
  });

  const footer = ui.message
    ? { text: ui.message.text, tone: ui.message.level === 'info' ? null : ui.message.level }
    : { text: readOnly ? READONLY_KEYS_HINT : MAIN_KEYS_HINT, tone: 'dim' as const };
  const body = (() => {
    const box = { width, height: bodyHeight };
    const overlay = ui.overlay;
    if (overlay?.kind === 'help') return <HelpOverlay {...box} readOnly={readOnly} />;
    if (overlay?.kind === 'confirm') {
      const planned = planAction(overlay.request, snapshot);
      const more =
        overlay.request.kind === 'restart-control-plane'
          ? overlay.request.target === 'cordon'
            ? 'u: do not cordon this node'
            : 'u: also cordon this node for the restart'
          : null;
      if (planned) return <ConfirmOverlay {...box} plan={planned.plan} more={more} />;
    }
    if (overlay?.kind === 'progress') {
      return (
        <ProgressOverlay
          {...box}
          action={ui.action}
          now={now}
          liveTitle={logTitle}
          liveLines={logBuffer.tail(20)}
        />
      );
    }
    switch (ui.screen) {
      case 'logs':
        return <LogViewer {...box} title={logTitle} buffer={logBuffer} view={ui.log} note={logNote} />;
      case 'manifest':
        return (
          <ManifestView
            {...box}
            title={`manifest ${selected?.file ?? '?'} (${selected?.enabled ? 'enabled' : 'disabled'})`}
            lines={manifestLines}
            error={snapshot.manifestText.error}
            findings={selected?.findings ?? []}
            marks={marks}
            diff={diff}
            scroll={ui.scroll}
            readOnly={readOnly}
          />
        );
      case 'certs':
        return (
          <CertsView
            {...box}
            certs={snapshot.certs.value}
            error={snapshot.certs.error}
            scroll={ui.scroll}
            now={now}
            readOnly={readOnly}
          />
        );
      case 'audit':
        return (
          <AuditView {...box} lines={snapshot.audit.value} error={snapshot.audit.error} scroll={ui.scroll} />
        );
      default:
        return (
          <MainScreen
            {...box}
            facts={snapshot}
            model={model}
            diagnosis={diagnosis}
            selected={ui.selected}
            logTitle={`${logTitle}  (tab: ${logPod ? 'kubelet journal' : 'selected pod'})`}
            logLines={logBuffer.tail(bodyHeight)}
            now={now}
            readOnly={readOnly}
          />
        );
    }
  })();
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Box height={bodyHeight} flexDirection="column" overflow="hidden">
        {body}
      </Box>
      <Footer text={footer.text} tone={footer.tone} width={width} />
    </Box>
  );
}

function viewLength(ui: UiState, s: NodeSnapshot, manifestLines: string[] | null, findings: number): number {
  if (ui.screen === 'manifest' && ui.manifestDiff)
    return s.manifestText.value?.healthyDiff?.lines.length ?? 1;
  if (ui.screen === 'manifest') return (manifestLines?.length ?? 0) + findings;
  if (ui.screen === 'certs') return s.certs.value?.length ?? 0;
  return s.audit.value?.length ?? 0;
}

/** The manifest lines the doctor's evidence points at, with its finding's title. */
function doctorMarks(diagnosis: Diagnosis[], file: string): { line: number; text: string }[] {
  return diagnosis.flatMap((f) =>
    f.evidence
      .filter((e) => e.line !== undefined && e.source.endsWith(`/${file}`))
      .map((e) => ({ line: e.line!, text: sanitizeLine(f.title) })),
  );
}

/**
 * Every render reads the clock; a timer only asks for a render when nothing else would: four times a
 * second while a change runs (its elapsed time), every 30 s when idle (ages are minutes and hours).
 */
function useClock(fast: boolean): number {
  const [, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((t) => t + 1), fast ? 250 : 30_000);
    return () => clearInterval(timer);
  }, [fast]);
  return Date.now();
}
