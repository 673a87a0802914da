// The dependency a component's health follows: checked over TLS, cached, transitions logged.
import * as http from 'node:http';
import * as https from 'node:https';
import type { TlsClient } from './config.js';

const CHECK_CACHE_MS = 1_000;
const CHECK_TIMEOUT_MS = 2_000;
const CHECK_INTERVAL_MS = 1_000;

export interface CheckResult {
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

export async function checkEndpoint(
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

export interface Dependency {
  /** Cached for CHECK_CACHE_MS; concurrent callers share one check. */
  current(): Promise<CheckResult>;
}

export function monitor(
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
