// The one screen: header (node, units, runtime, API server, vitals), the static pods table, the doctor's
// root cause and its fix, the alerts, etcd and its disk, and a log pane. Renders what it is given, nothing else.
import { Box } from 'ink';
import type { Diagnosis } from '../../model/diagnosis/types.js';
import type { NodeFacts } from '../../model/facts.js';
import type { LogEntry } from '../../model/log-buffer.js';
import type { NodeModel } from '../../model/node.js';
import { AlertLines, shownAlerts } from './AlertLines.js';
import { DiagnosisLines, shownDiagnosis } from './DiagnosisLines.js';
import { EtcdPanel } from './EtcdPanel.js';
import { Header } from './Header.js';
import { LogPane } from './LogPane.js';
import { PodTable } from './PodTable.js';

export interface MainScreenProps {
  facts: NodeFacts;
  model: NodeModel;
  /** The doctor's findings, the root cause first. */
  diagnosis: Diagnosis[];
  selected: number;
  width: number;
  height: number;
  logTitle: string;
  logLines: LogEntry[];
  now: number;
  readOnly: boolean;
}

export function MainScreen(props: MainScreenProps) {
  const { facts, model, width } = props;
  const diagnosed = shownDiagnosis(props.diagnosis).length > 0;
  // The root cause takes two of the four alert lines.
  const alerts = shownAlerts(model.alerts).slice(0, diagnosed ? 2 : undefined);
  const rows = model.pods;
  const tableRows = Math.min(rows.length, Math.max(3, Math.floor((props.height - 12) / 2)));
  const used = 3 + 1 + Math.max(1, tableRows) + (diagnosed ? 2 : 0) + alerts.length + 3 + 1;
  const logHeight = Math.max(1, props.height - used - 1);
  return (
    <Box flexDirection="column" width={width} height={props.height}>
      <Header facts={facts} model={model} width={width} now={props.now} readOnly={props.readOnly} />
      <PodTable rows={rows} selected={props.selected} width={width} visible={tableRows} now={props.now} />
      <DiagnosisLines findings={props.diagnosis} width={width} />
      <AlertLines alerts={alerts} width={width} />
      <EtcdPanel facts={facts} width={width} />
      <LogPane
        title={props.logTitle}
        lines={props.logLines.slice(-logHeight)}
        width={width}
        height={logHeight}
      />
    </Box>
  );
}
