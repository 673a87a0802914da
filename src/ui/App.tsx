// The TUI's root: the store's snapshot in, the UI state machine (src/model/ui.ts) for keys, the views
// out. Actions run through src/app/actions.ts; nothing here touches the node.
import * as fs from 'node:fs';
import { Box, useApp, useWindowSize } from 'ink';
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { type ActionEnv, runAction } from '../app/actions.js';
import { apiserverAnswers, rowsOf } from '../app/derive.js';
import type { NodeStore } from '../app/node-store.js';
import type { LogBuffer } from '../model/log-buffer.js';
import { type PlanContext, planFor } from '../model/plans.js';
import type { PodRow } from '../model/pod-rows.js';
import {
  type ActionRequest,
  actionFinished,
  clampSelection,
  handleKey,
  initialUiState,
  type KeyContext,
  type KeyPress,
  type UiState,
} from '../model/ui.js';
import { sanitizeText } from '../util/sanitize.js';
import { useKeys } from './keys.js';
import { Footer, MAIN_KEYS_HINT, MainScreen, READONLY_KEYS_HINT } from './MainScreen.js';
import {
  type AuditLine,
  AuditView,
  CertsView,
  ConfirmOverlay,
  HelpOverlay,
  LogViewer,
  ManifestView,
  ProgressOverlay,
  parseAuditLine,
} from './Views.js';

export interface AppProps {
  store: NodeStore;
  actionEnv: ActionEnv;
  readOnly: boolean;
  kubeletUnit: string;
}

interface RunningAction {
  request: ActionRequest;
  title: string;
  steps: string[];
  startedAt: number;
  outcome: { ok: boolean; text: string } | null;
  abort: AbortController;
}

const MAX_MANIFEST_BYTES = 1024 * 1024;

/** Fault injection for the terminal-restore tests: BREAKGLASS_TUI_FAULT=render throws while rendering. */
const FAULT = process.env.BREAKGLASS_TUI_FAULT;
const STARTED = Date.now();

export function App({ store, actionEnv, readOnly, kubeletUnit }: AppProps) {
  if (FAULT === 'render' && Date.now() - STARTED > 3_000)
    throw new Error('injected render fault (BREAKGLASS_TUI_FAULT=render)');
  const { exit } = useApp();
  const { columns, rows: terminalRows } = useWindowSize();
  const width = Math.max(40, columns || 80);
  const height = Math.max(12, terminalRows || 24);
  // Subscribes the screen to the store: a new value means a repaint.
  useSyncExternalStore(
    useCallback((listener: () => void) => store.subscribe(listener), [store]),
    () => store.snapshot.version * 1_000_003 + store.journal.version * 7 + store.containerLog.version,
  );
  const snapshot = store.snapshot;
  const rows = rowsOf(snapshot);
  const [ui, setUi] = useState<UiState>(initialUiState);
  const [action, setAction] = useState<RunningAction | null>(null);
  // Every render reads the clock; a timer only asks for a render when nothing else would: four times a
  // second while an action runs (its elapsed time), every 30 s when idle (ages are minutes and hours).
  const now = Date.now();
  const [, setClock] = useState(0);
  const uiRef = useRef(ui);
  uiRef.current = ui;
  const running = action !== null && action.outcome === null;
  useEffect(() => {
    const timer = setInterval(() => setClock((c) => c + 1), running ? 250 : 30_000);
    return () => clearInterval(timer);
  }, [running]);

  const safeUi = clampSelection(ui, rows.length);
  const selectedRow: PodRow | null = rows[safeUi.selected] ?? null;

  // The log pane and viewer follow a container when one is chosen; the store streams it.
  // A pod that is gone from the screen (its manifest deleted) leaves the pane to kubelet's journal.
  const wantedKey = safeUi.logSource.kind === 'container' ? safeUi.logSource.podKey : null;
  const containerRow = wantedKey ? (rows.find((r) => r.key === wantedKey) ?? null) : null;
  const containerKey = containerRow ? wantedKey : null;
  const containerTarget = containerRow ? (containerRow.podName ?? containerRow.name) : null;
  useEffect(() => {
    store.followPodLog(containerKey, containerTarget ? { name: containerTarget } : null);
  }, [store, containerKey, containerTarget]);

  const logBuffer: LogBuffer = containerKey ? store.containerLog : store.journal;
  const logTitle = containerRow
    ? `${containerRow.name} container log${store.containerLogNote ? ` (${store.containerLogNote})` : ''}`
    : `${kubeletUnit} journal`;

  // Manifest viewer: read the selected row's file when the view opens or the selection moves.
  const [manifest, setManifest] = useState<{
    key: string;
    lines: string[] | null;
    error: string | null;
  } | null>(null);
  const manifestPath = selectedRow?.staticPod?.manifest.path ?? null;
  const manifestKey = selectedRow?.key ?? null;
  // Read again only when the file itself changed (its hash), not on every repaint.
  const manifestHash = selectedRow?.staticPod?.manifest.sha256 ?? null;
  // biome-ignore lint/correctness/useExhaustiveDependencies: manifestHash is the trigger to read again.
  useEffect(() => {
    if (safeUi.screen !== 'manifest' || !manifestKey) return;
    if (!manifestPath) {
      setManifest({
        key: manifestKey,
        lines: null,
        error: 'this pod has no manifest file (it runs from one kubelet no longer has)',
      });
      return;
    }
    let cancelled = false;
    setManifest((m) => (m?.key === manifestKey ? m : { key: manifestKey, lines: null, error: null }));
    readManifest(manifestPath).then(
      (lines) => !cancelled && setManifest({ key: manifestKey, lines, error: null }),
      (err: Error) => !cancelled && setManifest({ key: manifestKey, lines: null, error: err.message }),
    );
    return () => {
      cancelled = true;
    };
  }, [safeUi.screen, manifestKey, manifestPath, manifestHash]);

  const [audit, setAudit] = useState<{ lines: AuditLine[] | null; error: string | null }>({
    lines: null,
    error: null,
  });
  // biome-ignore lint/correctness/useExhaustiveDependencies: a finished action wrote to the audit log: read it again.
  useEffect(() => {
    if (safeUi.screen !== 'audit') return;
    let cancelled = false;
    store
      .readAudit()
      .then(
        (r) =>
          !cancelled &&
          setAudit({ lines: r.lines.map((l) => parseAuditLine(sanitizeText(l))), error: r.error }),
      );
    return () => {
      cancelled = true;
    };
  }, [safeUi.screen, store, action?.outcome]);

  const bodyHeight = height - 1;
  const viewLength =
    safeUi.screen === 'manifest'
      ? (manifest?.lines?.length ?? 0) + (selectedRow?.findings.length ?? 0)
      : safeUi.screen === 'certs'
        ? (snapshot.certs.value?.length ?? 0)
        : (audit.lines?.length ?? 0);

  const runRequest = useCallback(
    (request: ActionRequest) => {
      const row = rowsOf(store.snapshot).find((r) => r.key === request.target) ?? null;
      const plan = planFor(request, planContext(store, row));
      const abort = new AbortController();
      const started: RunningAction = {
        request,
        title: plan.title,
        steps: [],
        startedAt: Date.now(),
        outcome: null,
        abort,
      };
      setAction(started);
      // Show the component's own log while it changes.
      if (
        row &&
        (request.kind === 'restart-pod' || request.kind === 'enable' || request.kind === 'disable')
      ) {
        setUi((s) => ({ ...s, logSource: { kind: 'container', podKey: row.key } }));
      } else {
        setUi((s) => ({ ...s, logSource: { kind: 'journal' } }));
      }
      const progress = {
        step: (text: string) =>
          setAction((a) =>
            a && a.abort === abort ? { ...a, steps: [...a.steps, `${clockNow()} ${text}`].slice(-200) } : a,
          ),
      };
      void runAction(actionEnv, request, progress, abort.signal).then((outcome) => {
        const final =
          abort.signal.aborted && !outcome.ok
            ? { ok: false, text: `stopped waiting: ${outcome.text}` }
            : outcome;
        setAction((a) => (a && a.abort === abort ? { ...a, outcome: final } : a));
        setUi((s) => actionFinished(s, final));
        store.refresh();
      });
    },
    [store, actionEnv],
  );

  const keyContext: KeyContext = {
    readOnly,
    podKeys: rows.map((r) => r.key),
    podEnabled: (key) => rows.find((r) => r.key === key)?.enabled ?? null,
    logLength: logBuffer.length,
    logPageSize: Math.max(1, bodyHeight - 2),
    findInLog: (from, direction, what, search) => {
      const needle = search?.toLowerCase() ?? '';
      return logBuffer.find(
        from,
        what === 'error'
          ? (e) => e.level === 'error'
          : (e) => needle !== '' && e.text.toLowerCase().includes(needle),
        direction,
      );
    },
    viewLength,
    viewPageSize: Math.max(1, bodyHeight - 3),
    kubeletUnit,
    runtimeUnit: snapshot.runtimeUnit?.name ?? null,
    actionRunning: action !== null && action.outcome === null,
  };
  const contextRef = useRef(keyContext);
  contextRef.current = keyContext;

  useKeys((input: string, key: KeyPress) => {
    const result = handleKey(
      clampSelection(uiRef.current, contextRef.current.podKeys.length),
      input,
      key,
      contextRef.current,
    );
    uiRef.current = result.state;
    setUi(result.state);
    const effect = result.effect;
    if (!effect) return;
    switch (effect.kind) {
      case 'quit':
        exit();
        return;
      case 'run':
        runRequest(effect.request);
        return;
      case 'cancel-action':
        action?.abort.abort();
        return;
      case 'refresh':
        store.refresh();
        return;
    }
  });

  const footer = useMemo(() => {
    if (safeUi.message)
      return {
        text: safeUi.message.text,
        tone: safeUi.message.level === 'info' ? null : safeUi.message.level,
      };
    return { text: readOnly ? READONLY_KEYS_HINT : MAIN_KEYS_HINT, tone: 'dim' as const };
  }, [safeUi.message, readOnly]);

  let body: React.ReactNode;
  const overlay = safeUi.overlay;
  if (overlay?.kind === 'help') {
    body = <HelpOverlay width={width} height={bodyHeight} readOnly={readOnly} />;
  } else if (overlay?.kind === 'confirm') {
    const row = rows.find((r) => r.key === overlay.request.target) ?? null;
    body = (
      <ConfirmOverlay
        plan={planFor(overlay.request, planContext(store, row))}
        width={width}
        height={bodyHeight}
      />
    );
  } else if (overlay?.kind === 'progress' && action) {
    body = (
      <ProgressOverlay
        title={action.title}
        steps={action.steps}
        done={action.outcome !== null}
        outcome={action.outcome}
        startedAt={action.startedAt}
        now={now}
        liveTitle={logTitle}
        liveLines={logBuffer.tail(20)}
        width={width}
        height={bodyHeight}
      />
    );
  } else if (safeUi.screen === 'logs') {
    body = (
      <LogViewer
        title={logTitle}
        buffer={logBuffer}
        view={safeUi.log}
        width={width}
        height={bodyHeight}
        note={containerKey ? store.containerLogNote : null}
      />
    );
  } else if (safeUi.screen === 'manifest') {
    body = (
      <ManifestView
        title={`manifest ${selectedRow?.file ?? '?'} (${selectedRow?.enabled ? 'enabled' : 'disabled'})`}
        lines={manifest?.lines ?? null}
        error={manifest?.error ?? null}
        findings={selectedRow?.findings ?? []}
        scroll={safeUi.scroll}
        width={width}
        height={bodyHeight}
      />
    );
  } else if (safeUi.screen === 'certs') {
    body = (
      <CertsView
        certs={snapshot.certs.value}
        error={snapshot.certs.error}
        scroll={safeUi.scroll}
        width={width}
        height={bodyHeight}
        now={now}
      />
    );
  } else if (safeUi.screen === 'audit') {
    body = (
      <AuditView
        lines={audit.lines}
        error={audit.error}
        scroll={safeUi.scroll}
        width={width}
        height={bodyHeight}
      />
    );
  } else {
    body = (
      <MainScreen
        snapshot={snapshot}
        rows={rows}
        selected={safeUi.selected}
        width={width}
        height={bodyHeight}
        logTitle={`${logTitle}  (tab: ${containerKey ? 'kubelet journal' : 'selected pod'})`}
        logLines={logBuffer.tail(bodyHeight)}
        now={now}
        readOnly={readOnly}
      />
    );
  }
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Box height={bodyHeight} flexDirection="column" overflow="hidden">
        {body}
      </Box>
      <Footer text={footer.text} tone={footer.tone} width={width} />
    </Box>
  );
}

function planContext(store: NodeStore, row: PodRow | null): PlanContext {
  const s = store.snapshot;
  return {
    row,
    manifestsDir: s.layout.manifests.value,
    holdingDir: s.layout.holding.value,
    apiserverAnswers: apiserverAnswers(s),
    runtimeKind: s.runtime.kind,
  };
}

async function readManifest(file: string): Promise<string[]> {
  const handle = await fs.promises
    .open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK)
    .catch(async (err: NodeJS.ErrnoException) => {
      // A symlinked manifest (kubelet follows it): open the target.
      if (err.code === 'ELOOP')
        return fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      throw err;
    });
  try {
    const buffer = Buffer.alloc(MAX_MANIFEST_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, MAX_MANIFEST_BYTES, 0);
    const text = sanitizeText(buffer.subarray(0, bytesRead).toString('utf8'));
    const lines = text.split('\n');
    if (bytesRead === MAX_MANIFEST_BYTES) lines.push(`… (only the first ${MAX_MANIFEST_BYTES} bytes shown)`);
    return lines;
  } finally {
    await handle.close();
  }
}

function clockNow(): string {
  return new Date().toTimeString().slice(0, 8);
}
