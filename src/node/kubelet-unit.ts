// Rebuilds kubelet's command line the way systemd assembles it from kubelet.service and its drop-ins.
import { listNodeDir, readNodeFile, rootPath } from './root-fs.js';
import { isEnvName, parseEnvFile, parseUnitFile, splitWords, type UnitDirective } from './words.js';

/** One command-line word and the file (path on this machine) its text came from. */
export interface Arg {
  text: string;
  from: string;
}

export interface KubeletCommandLine {
  /** Arguments after the executable. */
  args: Arg[];
  /** kubelet.service as read (path on this machine), null when no unit was found. */
  unit: string | null;
  /** True when any unit, drop-in or kubeadm environment file was found. */
  sawKubeletFiles: boolean;
  problems: string[];
}

// systemd's system unit search path, highest priority first; /lib matters on distros without merged /usr.
const UNIT_DIRS = [
  '/etc/systemd/system',
  '/run/systemd/system',
  '/usr/local/lib/systemd/system',
  '/usr/lib/systemd/system',
  '/lib/systemd/system',
];
const UNIT_NAME = 'kubelet.service';

const KUBEADM_ENV_FILES = [
  '/var/lib/kubelet/kubeadm-flags.env',
  '/etc/default/kubelet',
  '/etc/sysconfig/kubelet',
];
const KUBEADM_EXEC_START = ['/usr/bin/kubelet', '$KUBELET_KUBEADM_ARGS', '$KUBELET_EXTRA_ARGS'];

interface EnvValue {
  value: string;
  from: string;
}

interface EnvFileRef {
  nodePath: string;
  optional: boolean;
  namedIn: string;
}

interface ServiceSettings {
  environment: Map<string, EnvValue>;
  environmentFiles: EnvFileRef[];
  execStart: { words: string[]; from: string } | null;
}

interface UnitFile {
  hostPath: string;
  text: string;
}

export async function readKubeletCommandLine(root: string): Promise<KubeletCommandLine> {
  const problems: string[] = [];
  const unit = await findUnit(root, problems);
  const dropIns = await findDropIns(root, problems);
  if (unit === null) {
    if (dropIns.length > 0) problems.push(`found ${UNIT_NAME} drop-ins but no ${UNIT_NAME} unit`);
    return kubeadmFallback(root, problems, dropIns.length > 0);
  }
  const settings = applyUnitFiles([unit, ...dropIns], problems);
  if (settings.execStart === null) {
    const reason = unit.text.trim() === '' ? 'is empty or masked' : 'has no ExecStart';
    problems.push(`${unit.hostPath} ${reason}; reading kubeadm's files directly`);
    return kubeadmFallback(root, problems, true);
  }
  const { env } = await loadEnvironment(root, settings, problems);
  return {
    args: expandExecStart(settings.execStart, env),
    unit: unit.hostPath,
    sawKubeletFiles: true,
    problems,
  };
}

/** Without a usable unit, read the files kubeadm's drop-in would have pulled in. */
async function kubeadmFallback(
  root: string,
  problems: string[],
  sawUnitFiles: boolean,
): Promise<KubeletCommandLine> {
  const settings: ServiceSettings = {
    environment: new Map(),
    environmentFiles: KUBEADM_ENV_FILES.map((nodePath) => ({ nodePath, optional: true, namedIn: 'kubeadm' })),
    execStart: { words: KUBEADM_EXEC_START, from: 'kubeadm default command line' },
  };
  const { env, filesRead } = await loadEnvironment(root, settings, problems);
  return {
    args: expandExecStart(settings.execStart!, env),
    unit: null,
    sawKubeletFiles: sawUnitFiles || filesRead > 0,
    problems,
  };
}

async function findUnit(root: string, problems: string[]): Promise<UnitFile | null> {
  for (const dir of UNIT_DIRS) {
    const nodePath = `${dir}/${UNIT_NAME}`;
    const hostPath = rootPath(root, nodePath);
    const read = await readNodeFile(root, nodePath);
    if (read.kind === 'text') return { hostPath, text: read.text };
    if (read.kind === 'error') problems.push(`cannot read ${hostPath}: ${read.reason}`);
  }
  return null;
}

/** Drop-ins from all unit directories; a file in a higher-priority directory hides a same-named one. */
async function findDropIns(root: string, problems: string[]): Promise<UnitFile[]> {
  const winners = new Map<string, string>();
  for (const dir of UNIT_DIRS) {
    const dropInDir = `${dir}/${UNIT_NAME}.d`;
    const listing = await listNodeDir(root, dropInDir);
    if (listing.kind === 'error')
      problems.push(`cannot list ${rootPath(root, dropInDir)}: ${listing.reason}`);
    if (listing.kind !== 'names') continue;
    for (const name of listing.names) {
      if (name.endsWith('.conf') && !winners.has(name)) winners.set(name, `${dropInDir}/${name}`);
    }
  }
  const files: UnitFile[] = [];
  for (const name of [...winners.keys()].sort()) {
    const nodePath = winners.get(name)!;
    const hostPath = rootPath(root, nodePath);
    const read = await readNodeFile(root, nodePath);
    if (read.kind === 'text') files.push({ hostPath, text: read.text });
    else if (read.kind === 'error') problems.push(`cannot read ${hostPath}: ${read.reason}`);
  }
  return files;
}

function applyUnitFiles(files: UnitFile[], problems: string[]): ServiceSettings {
  const settings: ServiceSettings = { environment: new Map(), environmentFiles: [], execStart: null };
  for (const file of files) {
    for (const directive of parseUnitFile(file.text)) {
      if (directive.section === 'Service') applyDirective(settings, directive, file.hostPath, problems);
    }
  }
  return settings;
}

function applyDirective(settings: ServiceSettings, d: UnitDirective, from: string, problems: string[]): void {
  switch (d.key) {
    case 'Environment':
      applyEnvironment(settings, d.value, from);
      return;
    case 'EnvironmentFile':
      applyEnvironmentFile(settings, d.value, from);
      return;
    case 'ExecStart':
      applyExecStart(settings, d, from, problems);
      return;
  }
}

function applyEnvironment(settings: ServiceSettings, value: string, from: string): void {
  if (value === '') {
    settings.environment.clear();
    return;
  }
  for (const word of splitWords(value)) {
    const eq = word.indexOf('=');
    const name = word.slice(0, eq);
    if (eq > 0 && isEnvName(name)) settings.environment.set(name, { value: word.slice(eq + 1), from });
  }
}

function applyEnvironmentFile(settings: ServiceSettings, value: string, from: string): void {
  if (value === '') {
    settings.environmentFiles = [];
    return;
  }
  const optional = value.startsWith('-');
  settings.environmentFiles.push({ nodePath: optional ? value.slice(1) : value, optional, namedIn: from });
}

function applyExecStart(settings: ServiceSettings, d: UnitDirective, from: string, problems: string[]): void {
  if (d.value === '') {
    settings.execStart = null;
    return;
  }
  if (settings.execStart !== null) {
    problems.push(
      `${from} line ${d.line}: a second ExecStart without a reset (systemd refuses this); using it`,
    );
  }
  settings.execStart = { words: execStartWords(d.value), from };
}

/** Drops ExecStart's prefixes (-, :, +, !, !!, @); with @ the second word is argv[0], not an argument. */
function execStartWords(value: string): string[] {
  const prefix = /^[-@:+!]*/.exec(value)?.[0] ?? '';
  const words = splitWords(value.slice(prefix.length));
  return prefix.includes('@') ? [words[0] ?? '', ...words.slice(2)] : words;
}

/** Environment= first; EnvironmentFile= files then override it, in the order they were named. */
async function loadEnvironment(
  root: string,
  settings: ServiceSettings,
  problems: string[],
): Promise<{ env: Map<string, EnvValue>; filesRead: number }> {
  const env = new Map(settings.environment);
  let filesRead = 0;
  for (const ref of settings.environmentFiles) {
    const hostPath = rootPath(root, ref.nodePath);
    const read = await readNodeFile(root, ref.nodePath);
    if (read.kind === 'text') {
      filesRead += 1;
      for (const { name, value } of parseEnvFile(read.text)) env.set(name, { value, from: hostPath });
    } else if (read.kind === 'error') {
      problems.push(`cannot read ${hostPath}: ${read.reason}`);
    } else if (!ref.optional) {
      problems.push(
        `${hostPath} does not exist, but ${ref.namedIn} requires it (systemd would not start kubelet)`,
      );
    }
  }
  return { env, filesRead };
}

/** systemd expansion: a lone `$NAME` word splits into words; `${NAME}` is replaced inside one word. */
function expandExecStart(execStart: { words: string[]; from: string }, env: Map<string, EnvValue>): Arg[] {
  return execStart.words.slice(1).flatMap((word) => expandWord(word, execStart.from, env));
}

function expandWord(word: string, from: string, env: Map<string, EnvValue>): Arg[] {
  if (word.startsWith('$') && word[1] !== '{' && word[1] !== '$') {
    const entry = env.get(word.slice(1));
    return entry === undefined ? [] : splitWords(entry.value).map((text) => ({ text, from: entry.from }));
  }
  let origin = from;
  const text = word.replace(/\$\$|\$\{([^}]*)\}/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    const entry = env.get(name ?? '');
    if (entry !== undefined && origin === from) origin = entry.from;
    return entry?.value ?? '';
  });
  return [{ text, from: origin }];
}
