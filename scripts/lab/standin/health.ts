// Health endpoints, in the API server's format, and /version.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { CheckResult, Dependency } from './dependency.js';

export const VERSION = { major: '1', minor: '31', gitVersion: 'v1.31.2-lab' };

export interface HealthCheck {
  name: string;
  /** null: always passes. */
  dependsOn: Dependency | null;
}

export function plain(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-cache, private',
  });
  response.end(body);
}

export function json(response: ServerResponse, status: number, body: object): void {
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

export type Routes = Record<string, HealthCheck[]>;

/** A piece of the API beyond health (the apiserver's node, nodes.ts): the paths it serves, and how. */
export interface ApiHandler {
  matches(pathname: string): boolean;
  serve(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void>;
}

function serviceUnavailable(response: ServerResponse): void {
  json(response, 503, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'the lab stand-in serves health, /version and its node only',
    reason: 'ServiceUnavailable',
    code: 503,
  });
}

/**
 * The health endpoints (/livez, /livez/etcd), /version, the API handler's paths, and 403 (anonymous) or 503
 * (authenticated) for the rest.
 */
export async function route(
  routes: Routes,
  request: IncomingMessage,
  response: ServerResponse,
  api?: ApiHandler,
): Promise<void> {
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
  else if (api?.matches(url.pathname)) await api.serve(request, response, url);
  else if (!(request.socket as TLSSocket).authorized) forbidden(response, url.pathname);
  else serviceUnavailable(response);
}
