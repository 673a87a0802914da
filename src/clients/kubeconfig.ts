// A kubeconfig read as kubectl reads it, for a client-certificate connection: the current context's
// cluster (server, certificate-authority-data or certificate-authority, tls-server-name) and user
// (client-certificate-data and client-key-data, or files: relative to the kubeconfig's directory, absolute
// ones under the node's root). Token, exec, auth-provider and password users are refused, and so is
// insecure-skip-tls-verify. Every refusal is a KubeconfigError in one sentence naming the file.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import { errnoCode } from '../util/fsx.js';
import { sanitizeLine } from '../util/sanitize.js';

export class KubeconfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeconfigError';
  }
}

/** What a request needs from a kubeconfig: PEM text throughout. */
export interface KubeApiConfig {
  /** https://host:port, as the kubeconfig's cluster says. */
  server: string;
  /** PEM; undefined: the system's CAs. */
  ca?: string;
  cert: string;
  key: string;
  /** The cluster's tls-server-name: the name the server's certificate is checked against. */
  tlsServerName?: string;
}

export interface Kubeconfig extends KubeApiConfig {
  /** The file read. */
  file: string;
  context: string;
  user: string;
}

export interface ReadKubeconfigOptions {
  /** The node's root on this machine: an absolute path inside the kubeconfig is a path on the node. */
  root?: string;
}

type YamlMap = Record<string, unknown>;

export const isMap = (value: unknown): value is YamlMap =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const quote = (text: string): string =>
  JSON.stringify(sanitizeLine(text.length > 100 ? `${text.slice(0, 100)}…` : text));

/** The entry `name` of a kubeconfig list (clusters, contexts, users) and its inner map. */
function entry(config: YamlMap, list: string, inner: string, name: string): YamlMap | null {
  const entries = Array.isArray(config[list]) ? config[list].filter(isMap) : [];
  const found = entries.find((e) => e.name === name);
  if (!found) return null;
  return isMap(found[inner]) ? found[inner] : {};
}

const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';

/** `what` names the file: "the kubeconfig /etc/kubernetes/admin.conf". */
async function readText(file: string, what: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT') throw new KubeconfigError(`${what} is not there`);
    if (code === 'EACCES') throw new KubeconfigError(`${what} cannot be read: permission denied`);
    if (code === 'EISDIR') throw new KubeconfigError(`${what} is a directory`);
    throw new KubeconfigError(`${what} cannot be read: ${sanitizeLine(String(error))}`);
  }
}

/**
 * One PEM of the kubeconfig: `<key>-data` (base64) or `<key>` (a file: relative to the kubeconfig's
 * directory, absolute under the node's root); undefined when neither is set.
 */
async function pem(
  map: YamlMap,
  key: string,
  file: string,
  options: ReadKubeconfigOptions,
): Promise<string | undefined> {
  const data = map[`${key}-data`];
  if (nonEmpty(data)) {
    const text = Buffer.from(data.replace(/\s+/g, ''), 'base64').toString('utf8');
    if (!text.includes('-----BEGIN ')) {
      throw new KubeconfigError(`the kubeconfig ${file} has a ${key}-data that is not base64 of a PEM`);
    }
    return text;
  }
  const named = map[key];
  if (!nonEmpty(named)) return undefined;
  const onHost = path.isAbsolute(named)
    ? path.join(options.root ?? '/', named)
    : path.resolve(path.dirname(file), named);
  const what = `the ${key} ${onHost} named in the kubeconfig ${file}`;
  const text = await readText(onHost, what);
  if (!text.includes('-----BEGIN ')) throw new KubeconfigError(`${what} is not PEM`);
  return text;
}

function parseConfig(text: string, file: string): YamlMap {
  const doc = parseDocument(text, { version: '1.1', uniqueKeys: false });
  if (doc.errors.length > 0) {
    const line = doc.errors[0]!.linePos?.[0]?.line;
    throw new KubeconfigError(`the kubeconfig ${file} is not valid YAML${line ? ` (line ${line})` : ''}`);
  }
  const config: unknown = doc.toJS();
  if (!isMap(config)) throw new KubeconfigError(`the kubeconfig ${file} is not a YAML mapping`);
  return config;
}

function clientCredentialsMissing(user: YamlMap, userName: string, file: string): KubeconfigError {
  const what =
    nonEmpty(user.token) || nonEmpty(user.tokenFile)
      ? 'authenticates with a token'
      : isMap(user.exec)
        ? 'authenticates with an exec plugin'
        : isMap(user['auth-provider'])
          ? 'authenticates with an auth provider'
          : nonEmpty(user.username)
            ? 'authenticates with a password'
            : 'has no client certificate';
  return new KubeconfigError(
    `the kubeconfig ${file}: its user ${quote(userName)} ${what}, and token auth is not supported (a client certificate is needed)`,
  );
}

/** The current context's server, CA and client certificate; a KubeconfigError in one sentence otherwise. */
export async function readKubeconfig(file: string, options: ReadKubeconfigOptions = {}): Promise<Kubeconfig> {
  const config = parseConfig(await readText(file, `the kubeconfig ${file}`), file);
  const contextName = config['current-context'];
  if (!nonEmpty(contextName)) throw new KubeconfigError(`the kubeconfig ${file} has no current-context`);
  const context = entry(config, 'contexts', 'context', contextName);
  if (!context) {
    throw new KubeconfigError(
      `the kubeconfig ${file}: its current-context ${quote(contextName)} is not among its contexts`,
    );
  }
  const clusterName = context.cluster;
  const userName = context.user;
  if (!nonEmpty(clusterName) || !nonEmpty(userName)) {
    throw new KubeconfigError(
      `the kubeconfig ${file}: its context ${quote(contextName)} names no ${nonEmpty(clusterName) ? 'user' : 'cluster'}`,
    );
  }
  const cluster = entry(config, 'clusters', 'cluster', clusterName);
  if (!cluster) {
    throw new KubeconfigError(
      `the kubeconfig ${file}: its cluster ${quote(clusterName)} is not among its clusters`,
    );
  }
  const server = cluster.server;
  if (!nonEmpty(server)) {
    throw new KubeconfigError(`the kubeconfig ${file}: its cluster ${quote(clusterName)} has no server`);
  }
  let url: URL;
  try {
    url = new URL(server.trim());
  } catch {
    throw new KubeconfigError(`the kubeconfig ${file}: its server ${quote(server)} is not a URL`);
  }
  if (url.protocol !== 'https:') {
    throw new KubeconfigError(`the kubeconfig ${file}: its server ${quote(server)} is not an https:// URL`);
  }
  if (cluster['insecure-skip-tls-verify'] === true) {
    throw new KubeconfigError(
      `the kubeconfig ${file}: its cluster ${quote(clusterName)} sets insecure-skip-tls-verify, and breakglass always verifies the server's certificate`,
    );
  }
  const user = entry(config, 'users', 'user', userName);
  if (!user) {
    throw new KubeconfigError(`the kubeconfig ${file}: its user ${quote(userName)} is not among its users`);
  }
  const ca = await pem(cluster, 'certificate-authority', file, options);
  const cert = await pem(user, 'client-certificate', file, options);
  const key = await pem(user, 'client-key', file, options);
  if (cert === undefined) throw clientCredentialsMissing(user, userName, file);
  if (key === undefined) {
    throw new KubeconfigError(
      `the kubeconfig ${file}: its user ${quote(userName)} has a client certificate but no client key`,
    );
  }
  const tlsServerName = nonEmpty(cluster['tls-server-name']) ? cluster['tls-server-name'].trim() : undefined;
  return {
    file,
    context: contextName,
    user: userName,
    server: url.origin,
    ...(ca === undefined ? {} : { ca }),
    cert,
    key,
    ...(tlsServerName === undefined ? {} : { tlsServerName }),
  };
}
