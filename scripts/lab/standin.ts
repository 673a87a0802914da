// Stand-ins for kube-apiserver, kube-controller-manager and kube-scheduler, honest where breakglass can
// see them: the real flags (an unknown one fails like the real binary), real TLS on the real ports, health
// endpoints that follow the component's real dependency (etcd for the apiserver, the apiserver for the
// others), klog-style lines on stderr, exit 0 on SIGTERM.
//
//   node /opt/breakglass/standin.js kube-apiserver --etcd-servers=https://127.0.0.1:2379 ...
//
// The lab copies this one compiled file into the node root and runs it in a container: it must import
// nothing but node: built-ins.
import * as fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as http from 'node:http';
import * as https from 'node:https';
import type { TLSSocket } from 'node:tls';

const COMPONENTS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;
type Component = (typeof COMPONENTS)[number];

const VERSION = { major: '1', minor: '31', gitVersion: 'v1.31.2-lab' };
const CHECK_CACHE_MS = 1_000;
const CHECK_TIMEOUT_MS = 2_000;
const CHECK_INTERVAL_MS = 1_000;
const CERT_RELOAD_INTERVAL_MS = 1_000;

// ---------------------------------------------------------------------------------------------
// klog

type Severity = 'I' | 'W' | 'E' | 'F';

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `I1122 04:30:00.000000       1 server.go:123] message`, in UTC (the containers' local time). */
function klogLine(severity: Severity, source: string, message: string, now = new Date()): string {
  const date = `${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}`;
  const time = `${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())}`;
  const micros = pad(now.getUTCMilliseconds() * 1000, 6);
  return `${severity}${date} ${time}.${micros} ${String(process.pid).padStart(7)} ${source}] ${message}\n`;
}

function log(severity: Severity, source: string, message: string): void {
  process.stderr.write(klogLine(severity, source, message));
}

// ---------------------------------------------------------------------------------------------
// Flags, as pflag parses them

type FlagType = 'string' | 'bool' | 'int';
type FlagTable = Record<string, FlagType>;

const SERVING_FLAGS: FlagTable = {
  'bind-address': 'string',
  'secure-port': 'int',
  'tls-cert-file': 'string',
  'tls-private-key-file': 'string',
  'tls-cipher-suites': 'string',
  'tls-min-version': 'string',
  'feature-gates': 'string',
  'logging-format': 'string',
  profiling: 'bool',
  v: 'int',
  vmodule: 'string',
};

const DELEGATED_AUTH_FLAGS: FlagTable = {
  'authentication-kubeconfig': 'string',
  'authorization-kubeconfig': 'string',
  'client-ca-file': 'string',
  'requestheader-client-ca-file': 'string',
  kubeconfig: 'string',
  'leader-elect': 'bool',
  'leader-elect-lease-duration': 'string',
  'leader-elect-renew-deadline': 'string',
  'leader-elect-retry-period': 'string',
};

/** What kubeadm writes for each component, plus the serving flags and a few that operators often add. */
const KNOWN_FLAGS: Record<Component, FlagTable> = {
  'kube-apiserver': {
    ...SERVING_FLAGS,
    'advertise-address': 'string',
    'allow-privileged': 'bool',
    'anonymous-auth': 'bool',
    'audit-log-maxage': 'int',
    'audit-log-maxbackup': 'int',
    'audit-log-maxsize': 'int',
    'audit-log-path': 'string',
    'audit-policy-file': 'string',
    'authorization-mode': 'string',
    'client-ca-file': 'string',
    'disable-admission-plugins': 'string',
    'enable-admission-plugins': 'string',
    'enable-bootstrap-token-auth': 'bool',
    'encryption-provider-config': 'string',
    'etcd-cafile': 'string',
    'etcd-certfile': 'string',
    'etcd-keyfile': 'string',
    'etcd-prefix': 'string',
    'etcd-servers': 'string',
    'event-ttl': 'string',
    'kubelet-client-certificate': 'string',
    'kubelet-client-key': 'string',
    'kubelet-preferred-address-types': 'string',
    'proxy-client-cert-file': 'string',
    'proxy-client-key-file': 'string',
    'requestheader-allowed-names': 'string',
    'requestheader-client-ca-file': 'string',
    'requestheader-extra-headers-prefix': 'string',
    'requestheader-group-headers': 'string',
    'requestheader-username-headers': 'string',
    'runtime-config': 'string',
    'service-account-issuer': 'string',
    'service-account-key-file': 'string',
    'service-account-signing-key-file': 'string',
    'service-cluster-ip-range': 'string',
    'service-node-port-range': 'string',
  },
  'kube-controller-manager': {
    ...SERVING_FLAGS,
    ...DELEGATED_AUTH_FLAGS,
    'allocate-node-cidrs': 'bool',
    'cluster-cidr': 'string',
    'cluster-name': 'string',
    'cluster-signing-cert-file': 'string',
    'cluster-signing-key-file': 'string',
    controllers: 'string',
    'node-cidr-mask-size': 'int',
    'root-ca-file': 'string',
    'service-account-private-key-file': 'string',
    'service-cluster-ip-range': 'string',
    'terminated-pod-gc-threshold': 'int',
    'use-service-account-credentials': 'bool',
  },
  'kube-scheduler': { ...SERVING_FLAGS, ...DELEGATED_AUTH_FLAGS, config: 'string' },
};

const DEFAULT_SECURE_PORT: Record<Component, number> = {
  'kube-apiserver': 6443,
  'kube-controller-manager': 10257,
  'kube-scheduler': 10259,
};

class FlagError extends Error {}

type Flags = Map<string, string>;

function flagName(arg: string): { name: string; value: string | undefined } | null {
  const match = /^--?([^=-][^=]*)(?:=([\s\S]*))?$/.exec(arg);
  if (!match) return null;
  // pflag: a single dash is a shorthand; only -v (klog's verbosity) has one in these components.
  if (!arg.startsWith('--') && match[1] !== 'v')
    throw new FlagError(`unknown shorthand flag: '${match[1]}' in ${arg}`);
  return { name: match[1]!, value: match[2] };
}

function checkValue(name: string, type: FlagType, value: string): void {
  if (type === 'bool' && !/^(1|t|T|TRUE|true|True|0|f|F|FALSE|false|False)$/.test(value)) {
    throw new FlagError(
      `invalid argument "${value}" for "--${name}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`,
    );
  }
  if (type === 'int' && !/^[-+]?\d+$/.test(value)) {
    throw new FlagError(
      `invalid argument "${value}" for "--${name}" flag: strconv.ParseInt: parsing "${value}": invalid syntax`,
    );
  }
}

/** `--name=value`, `--name value`, a bare boolean `--name`; `--` ends the flags. */
function parseFlags(component: Component, args: string[]): { flags: Flags; positional: string[] } {
  const known = KNOWN_FLAGS[component];
  const flags: Flags = new Map();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positional.push(...args.slice(i + 1));
      break;
    }
    const parsed = flagName(arg);
    if (!parsed) {
      positional.push(arg);
      continue;
    }
    const type = known[parsed.name];
    if (!type) throw new FlagError(`unknown flag: --${parsed.name}`);
    let value = parsed.value;
    if (value === undefined && type === 'bool') value = 'true';
    if (value === undefined) {
      if (i + 1 >= args.length) throw new FlagError(`flag needs an argument: --${parsed.name}`);
      value = args[++i]!;
    }
    checkValue(parsed.name, type, value);
    flags.set(parsed.name, value);
  }
  return { flags, positional };
}

// ---------------------------------------------------------------------------------------------
// Configuration from the flags

interface Serving {
  bindAddress: string;
  port: number;
  certFile: string;
  keyFile: string;
}

/** PEM contents; each absent when its flag is (etcd over plain http needs none). */
interface TlsClient {
  ca?: string;
  cert?: string;
  key?: string;
}

function servingOf(component: Component, flags: Flags): Serving {
  const port = Number(flags.get('secure-port') ?? DEFAULT_SECURE_PORT[component]);
  if (port < 1 || port > 65535) {
    throw new FlagError(
      `--secure-port ${port} must be between 1 and 65535, inclusive. It cannot be turned off with 0`,
    );
  }
  const certFile = flags.get('tls-cert-file');
  const keyFile = flags.get('tls-private-key-file');
  if (!certFile || !keyFile) {
    throw new FlagError(
      'the lab stand-in needs --tls-cert-file and --tls-private-key-file: it cannot self-sign',
    );
  }
  // The real default is 0.0.0.0; the lab listens on loopback only.
  return { bindAddress: flags.get('bind-address') ?? '127.0.0.1', port, certFile, keyFile };
}

function readFileOrFail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const goWords: Record<string, string> = {
      ENOENT: 'no such file or directory',
      EACCES: 'permission denied',
    };
    throw new Error(`open ${file}: ${goWords[code] ?? code}`);
  }
}

interface Kubeconfig {
  server: string;
  tls: TlsClient;
}

/** The first value of a kubeconfig key (`    server: https://…`): the lab's kubeconfigs hold one of each. */
function kubeconfigValue(text: string, key: string): string | undefined {
  return new RegExp(`^\\s*${key}:\\s*(\\S+)\\s*$`, 'm').exec(text)?.[1];
}

function kubeconfigPem(text: string, dataKey: string, fileKey: string, file: string): string {
  const data = kubeconfigValue(text, dataKey);
  if (data) return Buffer.from(data, 'base64').toString('utf8');
  const path = kubeconfigValue(text, fileKey);
  if (path) return readFileOrFail(path);
  throw new Error(`${file}: no ${dataKey} nor ${fileKey}`);
}

function readKubeconfig(file: string): Kubeconfig {
  const text = readFileOrFail(file);
  const server = kubeconfigValue(text, 'server');
  if (!server) throw new Error(`invalid configuration: ${file} names no server`);
  return {
    server,
    tls: {
      ca: kubeconfigPem(text, 'certificate-authority-data', 'certificate-authority', file),
      cert: kubeconfigPem(text, 'client-certificate-data', 'client-certificate', file),
      key: kubeconfigPem(text, 'client-key-data', 'client-key', file),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The dependency: checked over TLS, cached, transitions logged

interface CheckResult {
  ok: boolean;
  /** Why it failed, in Go's words where it matters (dial tcp …: connect: connection refused). */
  reason: string;
}

function goStyleError(url: URL, error: NodeJS.ErrnoException): string {
  const address = `${url.hostname}:${url.port}`;
  if (error.code === 'ECONNREFUSED') return `dial tcp ${address}: connect: connection refused`;
  if (error.code === 'ETIMEDOUT') return 'context deadline exceeded';
  if (error.code === 'CERT_HAS_EXPIRED') {
    return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
  }
  if (error.code?.startsWith('ERR_TLS') || error.code?.includes('CERT')) {
    return `tls: failed to verify certificate: ${error.message}`;
  }
  return error.message;
}

/** A new connection each time, as a probe makes it: a changed certificate on the other side is seen at once. */
function getOnNewConnection(url: URL, tls: TlsClient): Promise<{ status: number; body: string }> {
  const client = url.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const request = client.get(
      url,
      { ...tls, rejectUnauthorized: true, agent: false, timeout: CHECK_TIMEOUT_MS },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    request.on('error', reject);
  });
}

async function checkEndpoint(
  url: URL,
  tls: TlsClient,
  healthy: (status: number, body: string) => string | null,
): Promise<CheckResult> {
  try {
    const { status, body } = await getOnNewConnection(url, tls);
    const problem = healthy(status, body);
    return problem === null ? { ok: true, reason: '' } : { ok: false, reason: problem };
  } catch (error) {
    return { ok: false, reason: goStyleError(url, error as NodeJS.ErrnoException) };
  }
}

interface Dependency {
  /** Cached for CHECK_CACHE_MS; concurrent callers share one check. */
  current(): Promise<CheckResult>;
}

function monitor(
  run: () => Promise<CheckResult>,
  onChange: (result: CheckResult, previous: CheckResult | null) => void,
): Dependency {
  let last: { result: CheckResult; at: number } | null = null;
  let inFlight: Promise<CheckResult> | null = null;
  const refresh = async (): Promise<CheckResult> => {
    const result = await run();
    const previous = last?.result ?? null;
    last = { result, at: Date.now() };
    if (previous === null || previous.ok !== result.ok) onChange(result, previous);
    return result;
  };
  const current = (): Promise<CheckResult> => {
    if (last && Date.now() - last.at < CHECK_CACHE_MS) return Promise.resolve(last.result);
    inFlight ??= refresh().finally(() => {
      inFlight = null;
    });
    return inFlight;
  };
  setInterval(() => void current(), CHECK_INTERVAL_MS);
  return { current };
}

// ---------------------------------------------------------------------------------------------
// Health endpoints, in the API server's format

interface HealthCheck {
  name: string;
  /** null: always passes. */
  dependsOn: Dependency | null;
}

function plain(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-cache, private',
  });
  response.end(body);
}

function json(response: ServerResponse, status: number, body: object): void {
  response.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  response.end(`${JSON.stringify(body, null, 2)}\n`);
}

async function runChecks(checks: HealthCheck[]): Promise<{ name: string; result: CheckResult }[]> {
  return Promise.all(
    checks.map(async (c) => ({
      name: c.name,
      result: c.dependsOn ? await c.dependsOn.current() : { ok: true, reason: '' },
    })),
  );
}

/** `ok`, or every check with [+]/[-] and `<endpoint> check failed` (reasons withheld, as for anonymous). */
async function serveHealth(endpoint: string, checks: HealthCheck[], url: URL, response: ServerResponse) {
  const excluded = new Set(url.searchParams.getAll('exclude'));
  const results = await runChecks(checks.filter((c) => !excluded.has(c.name)));
  const failed = results.filter((r) => !r.result.ok);
  if (failed.length === 0 && !url.searchParams.has('verbose')) {
    plain(response, 200, 'ok');
    return;
  }
  const lines = results.map((r) =>
    r.result.ok ? `[+]${r.name} ok` : `[-]${r.name} failed: reason withheld`,
  );
  lines.push(`${endpoint} check ${failed.length === 0 ? 'passed' : 'failed'}`);
  plain(response, failed.length === 0 ? 200 : 500, `${lines.join('\n')}\n`);
}

/** /livez/etcd: one check alone. */
async function serveSingleCheck(check: HealthCheck | undefined, response: ServerResponse) {
  if (!check) {
    plain(response, 404, '404 page not found\n');
    return;
  }
  const result = check.dependsOn ? await check.dependsOn.current() : { ok: true, reason: '' };
  if (result.ok) plain(response, 200, 'ok');
  else plain(response, 500, `internal server error: ${result.reason}\n`);
}

function forbidden(response: ServerResponse, urlPath: string): void {
  json(response, 403, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `forbidden: User "system:anonymous" cannot get path "${urlPath}"`,
    reason: 'Forbidden',
    details: {},
    code: 403,
  });
}

function versionBody(): object {
  return {
    ...VERSION,
    gitCommit: '5864a4677267e6adeae276ad85882a8714d69d9d',
    gitTreeState: 'clean',
    buildDate: '2024-10-22T20:28:14Z',
    goVersion: 'go1.22.8',
    compiler: 'gc',
    platform: `linux/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}

type Routes = Record<string, HealthCheck[]>;

function serviceUnavailable(response: ServerResponse): void {
  json(response, 503, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'the lab stand-in serves health and /version only',
    reason: 'ServiceUnavailable',
    code: 503,
  });
}

/** The health endpoints (/livez, /livez/etcd), /version, and 403 (anonymous) or 503 (authenticated) for the rest. */
async function route(routes: Routes, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'https://localhost');
  const [, endpoint = '', single] = url.pathname.split('/');
  const checks = routes[`/${endpoint}`];
  if (checks && single === undefined) await serveHealth(endpoint, checks, url, response);
  else if (checks)
    await serveSingleCheck(
      checks.find((c) => c.name === single),
      response,
    );
  else if (url.pathname === '/version' || url.pathname === '/version/') json(response, 200, versionBody());
  else if (!(request.socket as TLSSocket).authorized) forbidden(response, url.pathname);
  else serviceUnavailable(response);
}

// ---------------------------------------------------------------------------------------------
// Serving

interface CertKeyPair {
  cert: string;
  key: string;
}

function readServingPair(serving: Serving): CertKeyPair {
  return { cert: readFileOrFail(serving.certFile), key: readFileOrFail(serving.keyFile) };
}

/** The serving pair and the CA client certificates are verified against (absent: anonymous only). */
function secureContext(pair: CertKeyPair, clientCa: string | undefined) {
  return { ...pair, ...(clientCa ? { ca: clientCa } : {}) };
}

/** Like the real components' dynamic serving content: a changed cert/key pair on disk is served from then on. */
function reloadServingPairOnChange(
  server: https.Server,
  serving: Serving,
  loaded: CertKeyPair,
  clientCa: string | undefined,
): void {
  let current = loaded;
  const name = `serving-cert::${serving.certFile}::${serving.keyFile}`;
  setInterval(() => {
    let next: CertKeyPair;
    try {
      next = readServingPair(serving);
    } catch {
      return;
    }
    if (next.cert === current.cert && next.key === current.key) return;
    try {
      server.setSecureContext(secureContext(next, clientCa));
      log('I', 'dynamic_serving_content.go:192', `"Loaded a new cert/key pair" name="${name}"`);
    } catch (error) {
      log(
        'E',
        'dynamic_serving_content.go:166',
        `"Failed to load the cert/key pair" name="${name}" err="${String(error)}"`,
      );
    }
    current = next;
  }, CERT_RELOAD_INTERVAL_MS).unref();
}

function listen(serving: Serving, routes: Routes, clientCa: string | undefined): Promise<https.Server> {
  const pair = readServingPair(serving);
  const server = https.createServer(
    {
      ...secureContext(pair, clientCa),
      // Anonymous requests are served, as kubeadm's default --anonymous-auth=true does.
      requestCert: clientCa !== undefined,
      rejectUnauthorized: false,
    },
    (request, response) => {
      route(routes, request, response).catch((error: unknown) => {
        log('E', 'wrap.go:53', `"Unhandled error" err="${String(error)}"`);
        if (!response.headersSent) plain(response, 500, 'Internal Server Error\n');
      });
    },
  );
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const address = `${serving.bindAddress}:${serving.port}`;
      const detail = error.code === 'EADDRINUSE' ? 'bind: address already in use' : error.message;
      reject(new Error(`failed to listen on ${address}: listen tcp ${address}: ${detail}`));
    });
    server.listen(serving.port, serving.bindAddress, () => {
      log('I', 'secure_serving.go:213', `Serving securely on ${serving.bindAddress}:${serving.port}`);
      reloadServingPairOnChange(server, serving, pair, clientCa);
      resolve(server);
    });
  });
}

function logFlags(flags: Flags): void {
  if (Number(flags.get('v') ?? 0) < 1) return;
  for (const [name, value] of [...flags].sort()) log('I', 'flags.go:64', `FLAG: --${name}="${value}"`);
}

// ---------------------------------------------------------------------------------------------
// The components

function etcdDependency(flags: Flags): Dependency {
  const first = flags.get('etcd-servers')?.split(',')[0];
  if (!first) throw new FlagError('[--etcd-servers must be specified]');
  const url = new URL('/health', first);
  const pem = (flag: string) => {
    const file = flags.get(flag);
    return file ? readFileOrFail(file) : undefined;
  };
  const tls = { ca: pem('etcd-cafile'), cert: pem('etcd-certfile'), key: pem('etcd-keyfile') };
  const address = `${url.hostname}:${url.port}`;
  return monitor(
    () =>
      checkEndpoint(url, tls, (status, body) =>
        status === 200 && /"health"\s*:\s*"true"/.test(body)
          ? null
          : `etcd answered ${status}: ${body.trim()}`,
      ),
    (result, previous) => {
      if (result.ok) {
        log('I', 'healthz.go:176', previous ? 'etcd check passed again' : `etcd at ${address} is healthy`);
        return;
      }
      if (result.reason.startsWith('dial tcp')) {
        log(
          'W',
          'logging.go:55',
          `[core] [Channel #1 SubChannel #2]grpc: addrConn.createTransport failed to connect to {Addr: "${address}", ServerName: "${address}", }. Err: connection error: desc = "transport: Error while dialing: ${result.reason}"`,
        );
      }
      log('E', 'healthz.go:261', `etcd check failed: [-]etcd failed: ${result.reason}`);
    },
  );
}

const passing = (name: string): HealthCheck => ({ name, dependsOn: null });

/** The real apiserver's checks, short of most post-start hooks; etcd's decide. */
function apiserverRoutes(etcd: Dependency): Routes {
  const hooks = [
    'poststarthook/start-apiserver-admission-initializer',
    'poststarthook/rbac/bootstrap-roles',
  ].map(passing);
  const base = [passing('ping'), passing('log'), { name: 'etcd', dependsOn: etcd }];
  const livez = [...base, ...hooks];
  const readyz = [
    ...base,
    { name: 'etcd-readiness', dependsOn: etcd },
    passing('informer-sync'),
    ...hooks,
    passing('shutdown'),
  ];
  return { '/livez': livez, '/readyz': readyz, '/healthz': livez };
}

async function runApiserver(flags: Flags): Promise<void> {
  const serving = servingOf('kube-apiserver', flags);
  const etcd = etcdDependency(flags);
  const clientCaFile = flags.get('client-ca-file');
  log(
    'I',
    'options.go:228',
    `external host was not specified, using ${flags.get('advertise-address') ?? serving.bindAddress}`,
  );
  log('I', 'server.go:150', `Version: ${VERSION.gitVersion}`);
  await listen(serving, apiserverRoutes(etcd), clientCaFile ? readFileOrFail(clientCaFile) : undefined);
  void etcd.current();
}

const LEASE_NAME: Record<Component, string> = {
  'kube-apiserver': '',
  'kube-controller-manager': 'kube-controller-manager',
  'kube-scheduler': 'kube-scheduler',
};

function apiserverDependency(component: Component, flags: Flags): Dependency {
  const file = flags.get('kubeconfig') ?? flags.get('authentication-kubeconfig');
  if (!file)
    throw new FlagError(
      'invalid configuration: no configuration has been provided, try setting --kubeconfig',
    );
  const kubeconfig = readKubeconfig(file);
  const url = new URL('/readyz', kubeconfig.server);
  const lease = `kube-system/${LEASE_NAME[component]}`;
  const leaseUrl = `${kubeconfig.server}/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${LEASE_NAME[component]}?timeout=5s`;
  return monitor(
    () =>
      checkEndpoint(url, kubeconfig.tls, (status) =>
        status === 200 ? null : `the server answered ${status} on /readyz`,
      ),
    (result, previous) => {
      if (result.ok) {
        if (!previous) log('I', 'leaderelection.go:254', `attempting to acquire leader lease ${lease}...`);
        log('I', 'leaderelection.go:268', `successfully acquired lease ${lease}`);
        return;
      }
      log(
        'E',
        'leaderelection.go:436',
        `error retrieving resource lock ${lease}: Get "${leaseUrl}": ${result.reason}`,
      );
    },
  );
}

async function runController(component: Component, flags: Flags): Promise<void> {
  const serving = servingOf(component, flags);
  const apiserver = apiserverDependency(component, flags);
  const source = component === 'kube-scheduler' ? 'server.go:167' : 'controllermanager.go:197';
  const what = component === 'kube-scheduler' ? 'Starting Kubernetes Scheduler' : 'Starting';
  log('I', source, `"${what}" version="${VERSION.gitVersion}"`);
  const checks: HealthCheck[] = [passing('ping'), { name: 'leaderElection', dependsOn: apiserver }];
  const routes: Routes =
    component === 'kube-scheduler'
      ? { '/healthz': checks, '/livez': checks, '/readyz': checks }
      : { '/healthz': checks };
  await listen(serving, routes, undefined);
  void apiserver.current();
}

// ---------------------------------------------------------------------------------------------
// main

function isComponent(name: string | undefined): name is Component {
  return (COMPONENTS as readonly string[]).includes(name ?? '');
}

/** SIGTERM (kubelet stopping the pod) and SIGINT end the process with 0, in start-up too. */
function exitZeroOnSignals(): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      log(
        'I',
        'genericapiserver.go:541',
        `"[graceful-termination] shutdown event" name="ShutdownInitiated" signal="${signal}"`,
      );
      process.exit(0);
    });
  }
}

/** Flag errors as cobra prints them; anything else as the components' run.go does. */
function reportFailure(error: unknown): void {
  if (error instanceof FlagError) {
    process.stderr.write(`Error: ${error.message}\n`);
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  log('E', 'run.go:72', `"command failed" err="${message}"`);
}

/** An exit code, or 'serving' until a signal ends the process. */
async function main(argv: string[]): Promise<number | 'serving'> {
  const [component, ...args] = argv;
  if (!isComponent(component)) {
    process.stderr.write(`usage: standin.js ${COMPONENTS.join('|')} [--flag=value ...]\n`);
    return 2;
  }
  exitZeroOnSignals();
  try {
    const { flags, positional } = parseFlags(component, args);
    if (positional.length > 0) {
      throw new FlagError(`"${component}" does not take any arguments, got ${JSON.stringify(positional)}`);
    }
    logFlags(flags);
    if (component === 'kube-apiserver') await runApiserver(flags);
    else await runController(component, flags);
    return 'serving';
  } catch (error) {
    reportFailure(error);
    return 1;
  }
}

main(process.argv.slice(2)).then((outcome) => {
  if (outcome !== 'serving') process.exit(outcome);
});
