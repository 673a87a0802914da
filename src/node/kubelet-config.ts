// Reads the fields breakglass needs from kubelet's KubeletConfiguration file(s).
import path from 'node:path';
import { LineCounter, parseDocument, type YAMLError } from 'yaml';
import { listNodeDir, readNodeFile, rootPath } from './root-fs.js';

export interface ConfigField {
  /** For staticPodPath: an absolute path on the node (not root-prefixed). */
  value: string;
  /** The file it was read from (path on this machine). */
  from: string;
}

export interface KubeletConfigFields {
  staticPodPath?: ConfigField;
  containerRuntimeEndpoint?: ConfigField;
  podLogsDir?: ConfigField;
  /** kubelet's HTTP source of static pods: a URL it fetches pod manifests from (never fetched here). */
  staticPodURL?: ConfigField;
}

export interface KubeletConfigFile {
  exists: boolean;
  fields: KubeletConfigFields;
}

export async function readKubeletConfigFile(
  root: string,
  nodePath: string,
  problems: string[],
): Promise<KubeletConfigFile> {
  const hostPath = rootPath(root, nodePath);
  const read = await readNodeFile(root, nodePath);
  if (read.kind === 'missing') return { exists: false, fields: {} };
  if (read.kind === 'error') {
    problems.push(`cannot read ${hostPath}: ${read.reason}`);
    return { exists: true, fields: {} };
  }
  const data = parseYamlMapping(read.text, hostPath, problems);
  if (data === null) return { exists: true, fields: {} };
  checkKind(data, hostPath, problems);
  return { exists: true, fields: extractFields(data, nodePath, hostPath, problems) };
}

/**
 * kubelet's --config-dir: every `*.conf` file, in name order, is merged over the main config.
 * Returns the merged fields.
 */
export async function applyKubeletConfigDir(
  root: string,
  dirNodePath: string,
  base: KubeletConfigFields,
  problems: string[],
): Promise<KubeletConfigFields> {
  const listing = await listNodeDir(root, dirNodePath);
  if (listing.kind !== 'names') {
    const reason = listing.kind === 'missing' ? 'does not exist' : listing.reason;
    problems.push(`cannot list kubelet config directory ${rootPath(root, dirNodePath)}: ${reason}`);
    return base;
  }
  let merged = base;
  for (const name of listing.names.filter((n) => n.endsWith('.conf'))) {
    const dropIn = await readKubeletConfigFile(root, path.posix.join(dirNodePath, name), problems);
    merged = { ...merged, ...dropIn.fields };
  }
  return merged;
}

function parseYamlMapping(
  text: string,
  hostPath: string,
  problems: string[],
): Record<string, unknown> | null {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const error = doc.errors[0];
  if (error !== undefined) {
    problems.push(`cannot parse ${hostPath}: ${describeYamlError(error, lineCounter)}`);
    return null;
  }
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (err) {
    problems.push(`cannot parse ${hostPath}: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  }
  if (data === null || data === undefined) return {};
  if (!isRecord(data)) {
    problems.push(`cannot use ${hostPath}: it is not a YAML mapping`);
    return null;
  }
  return data;
}

function describeYamlError(error: YAMLError, lineCounter: LineCounter): string {
  const message = (error.message.split('\n')[0] ?? '').replace(/[\s:]+$/, '');
  const { line, col } = lineCounter.linePos(error.pos[0]);
  return `${message} at line ${line}, column ${col}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkKind(data: Record<string, unknown>, hostPath: string, problems: string[]): void {
  const kind = data.kind;
  if (kind !== undefined && kind !== 'KubeletConfiguration') {
    problems.push(`${hostPath} has kind ${JSON.stringify(kind)}, not KubeletConfiguration`);
  }
}

function extractFields(
  data: Record<string, unknown>,
  nodePath: string,
  hostPath: string,
  problems: string[],
): KubeletConfigFields {
  const fields: KubeletConfigFields = {};
  const staticPodPath = stringField(data, 'staticPodPath', hostPath, problems);
  if (staticPodPath !== null) {
    // kubelet resolves a relative staticPodPath against the config file's directory.
    const resolved = path.posix.resolve(path.posix.dirname(nodePath), staticPodPath);
    fields.staticPodPath = { value: resolved, from: hostPath };
  }
  const endpoint = stringField(data, 'containerRuntimeEndpoint', hostPath, problems);
  if (endpoint !== null) fields.containerRuntimeEndpoint = { value: endpoint, from: hostPath };
  const podLogsDir = stringField(data, 'podLogsDir', hostPath, problems);
  if (podLogsDir !== null) fields.podLogsDir = { value: podLogsDir, from: hostPath };
  const staticPodURL = stringField(data, 'staticPodURL', hostPath, problems);
  if (staticPodURL !== null) fields.staticPodURL = { value: staticPodURL, from: hostPath };
  return fields;
}

/** A non-empty string field; empty means "not set" to kubelet. */
function stringField(
  data: Record<string, unknown>,
  key: string,
  hostPath: string,
  problems: string[],
): string | null {
  const value = data[key];
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'string') return value;
  problems.push(`ignoring ${key} in ${hostPath}: it is not a string`);
  return null;
}
