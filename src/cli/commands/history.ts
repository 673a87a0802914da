// `breakglass history NAME`: a manifest's versions, newest first, each with its diff to the one before and
// whether its pod ran healthy on it. `--record`: the node recorded once (what the path unit runs);
// `--install-watch` / `--remove-watch`: that path unit installed or removed over D-Bus.
import { systemBusAddress } from '../../clients/systemd-bus.js';
import { historyView, lastKnownHealthy, type Version, versionsOf } from '../../model/manifest-history.js';
import { nodeModel } from '../../model/node.js';
import { installWatch, removeWatch, type WatchResult } from '../../ops/history-watch.js';
import { recordNode } from '../../procedures/history-record.js';
import { historyFiles, readHistoryLog, readHistoryObject } from '../../sources/manifest-history.js';
import { BreakglassError } from '../../util/errors.js';
import { escapeName } from '../../util/sanitize.js';
import { selfArgs, selfCommand } from '../../util/self.js';
import { unifiedDiff } from '../../util/text-diff.js';
import type { CliArgs } from '../args.js';
import { nodeFlagArgs } from '../flags.js';
import { historyContext, probeOnce } from '../history-node.js';
import { EXIT_OK, type Io, jsonLine } from '../io.js';
import { discover, readNode } from '../node.js';

export async function history(args: CliArgs, io: Io): Promise<number> {
  const { flags } = args;
  const modes = [flags.record, flags.installWatch, flags.removeWatch].filter(Boolean).length;
  if (modes > 1) throw new BreakglassError('--record, --install-watch and --remove-watch go alone', 'usage');
  if (modes === 1 && args.targets.length > 0)
    throw new BreakglassError('--record, --install-watch and --remove-watch take no NAME', 'usage');
  if (flags.record) return record(args, io);
  if (flags.installWatch || flags.removeWatch) return watch(args, io);
  if (args.targets.length !== 1)
    throw new BreakglassError('history takes one NAME (a manifest file or pod name)', 'usage');
  return show(args, io, args.targets[0]!);
}

async function record(args: CliArgs, io: Io): Promise<number> {
  const facts = await probeOnce(await readNode(args.flags, { runtime: true }));
  const result = recordNode(historyContext(facts.layout, args.flags), nodeModel(facts), { kubeadm: true });
  if (args.flags.json) jsonLine(io, { ok: true, ...result });
  else {
    for (const note of result.notes) io.out(`note: ${escapeName(note)}\n`);
    io.out(
      result.appended > 0
        ? `recorded ${result.appended} record(s) in ${escapeName(facts.layout.stateDir.value)}/manifest-history${result.pruned.logs ? `; dropped old versions from ${result.pruned.logs} file(s)` : ''}\n`
        : 'nothing new to record\n',
    );
  }
  return EXIT_OK;
}

async function watch(args: CliArgs, io: Io): Promise<number> {
  const layout = await discover(args.flags);
  const base = {
    root: layout.root,
    stateDir: layout.stateDir.value,
    readOnly: args.flags.readOnly,
    dbusAddress: args.flags.dbus ?? systemBusAddress(),
  };
  let result: WatchResult;
  if (args.flags.installWatch) {
    const self = selfCommand();
    const nodeFlags = nodeFlagArgs({ ...args.flags, readOnly: false });
    result = await installWatch({
      ...base,
      manifests: layout.manifests.value,
      command: [self.node, ...selfArgs(self, ['history', '--record', ...nodeFlags])],
    });
  } else {
    result = await removeWatch(base);
  }
  const verb = args.flags.installWatch ? 'installed, enabled and started' : 'stopped, disabled and removed';
  if (args.flags.json) jsonLine(io, { ok: true, ...result });
  else {
    for (const note of result.notes) io.out(`note: ${escapeName(note)}\n`);
    io.out(`${verb}: ${result.units.join(', ')} (${escapeName(result.unitDir)})\n`);
  }
  return EXIT_OK;
}

interface ShownVersion extends Version {
  current: boolean;
  lastKnownHealthy: boolean;
  /** To the version before it (older); null for the oldest, or when either's bytes are gone. */
  diff: string | null;
}

async function show(args: CliArgs, io: Io, name: string): Promise<number> {
  const facts = await readNode(args.flags, { runtime: false });
  const stateDir = facts.layout.stateDir.value;
  const view = historyView(nodeModel(facts), name);
  const fileName = view?.fileName ?? knownFile(stateDir, name);
  if (!fileName) {
    throw new BreakglassError(`no manifest and no history for "${escapeName(name)}"`, 'unknown');
  }
  const current = view?.staticPod?.manifest.sha256 ?? null;
  const log = readHistoryLog(stateDir, fileName);
  const versions = versionsOf(log.records);
  const healthy = lastKnownHealthy(versions);
  const text = (sha: string) => readHistoryObject(stateDir, sha)?.toString('utf8') ?? null;
  const shown: ShownVersion[] = versions.map((v, i) => {
    const older = versions[i + 1];
    const a = older ? text(older.sha256) : null;
    const b = text(v.sha256);
    return {
      ...v,
      current: v.sha256 === current && i === 0,
      lastKnownHealthy: v === healthy,
      diff:
        older && a !== null && b !== null
          ? unifiedDiff(a, b, older.sha256.slice(0, 12), v.sha256.slice(0, 12))
          : null,
    };
  });
  const file = escapeName(fileName);
  if (args.flags.json) {
    jsonLine(io, {
      file,
      current,
      lastKnownHealthy: healthy?.sha256 ?? null,
      unreadableLines: log.skipped,
      versions: shown,
    });
    return EXIT_OK;
  }
  io.out(historyText(file, current, shown, healthy));
  return EXIT_OK;
}

/** A file with a history but no manifest now (removed): NAME or NAME.yaml. */
function knownFile(stateDir: string, name: string): string | null {
  const files = historyFiles(stateDir).map((f) => f.fileName.toString());
  return files.find((f) => f === name) ?? files.find((f) => f === `${name}.yaml`) ?? null;
}

function historyText(
  file: string,
  current: string | null,
  versions: ShownVersion[],
  healthy: Version | null,
): string {
  const lines = [
    `${file}: ${versions.length} version(s), newest first; last known healthy: ${healthy ? healthy.sha256.slice(0, 12) : 'none'}`,
  ];
  if (current && versions[0]?.sha256 !== current) {
    lines.push(
      `  the file now (${current.slice(0, 12)}) is not in the history yet: \`breakglass history --record\``,
    );
  }
  for (const v of versions) {
    const marks = [
      v.current ? 'current' : null,
      v.lastKnownHealthy ? 'last known healthy' : v.healthy ? 'healthy' : null,
    ].filter(Boolean);
    lines.push('');
    lines.push(
      `${v.current ? '*' : ' '} ${v.sha256.slice(0, 12)}  ${v.at}  ${v.source}  ${v.size} B${marks.length ? `  (${marks.join(', ')})` : ''}`,
    );
    if (v.diff)
      for (const line of v.diff.replace(/\n$/, '').split('\n')) lines.push(`    ${escapeName(line)}`);
    else if (v.diff === null && v !== versions.at(-1))
      lines.push("    (no diff: a version's bytes are no longer kept)");
  }
  return `${lines.join('\n')}\n`;
}
