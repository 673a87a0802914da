// Health probes of the static pods, the way kubelet probes them, but on loopback only: the manifest's
// own httpGet probe (scheme, port, path) sent to 127.0.0.1. Control-plane pods use hostNetwork and
// listen on all addresses, so a manifest naming the node's address is probed on 127.0.0.1 too, and the
// result says so. HTTPS without certificate verification, like kubelet's probes; 200 <= status < 400 is
// success (kubelet's rule, pkg/probe/http). No keep-alive, one deadline for the whole exchange, so a
// server that accepts and never answers cannot hold a probe.
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { sanitizeLine, sanitizeText } from '../util/sanitize.js';
import { formatDuration } from './disk.js';
import type { HealthEndpoint } from './manifests/types.js';

export const DEFAULT_PROBE_TIMEOUT_MS = 3000;
export const DEFAULT_HEALTH_INTERVAL_MS = 10_000;
/** How much of a probe's answer is kept (kubelet keeps 10 KiB; the view shows a line). */
export const BODY_PREVIEW_BYTES = 200;
const USER_AGENT = 'kube-probe/breakglass';

// ---------------------------------------------------------------------------------------------
// Loopback HTTP(S), shared with etcd-metrics.ts

/** 127.0.0.0/8, ::1 (and ::ffff:127.x.y.z), and the name localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  if (net.isIPv4(v4)) return v4.split('.')[0] === '127';
  if (net.isIPv6(h)) return /^(0{0,4}:){1,7}0{0,3}1$/.test(h) || h === '::1';
  return false;
}

/** The address to connect to for a loopback host: localhost is 127.0.0.1, never a name lookup. */
function loopbackAddress(host: string): string {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' ? '127.0.0.1' : h;
}

export function formatUrl(scheme: 'http' | 'https', host: string, port: number, path: string): string {
  const shownHost = net.isIPv6(host) ? `[${host}]` : host;
  return `${scheme}://${shownHost}:${port}${path}`;
}

export class RequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RequestError';
  }
}

export interface LoopbackGetOptions {
  scheme: 'http' | 'https';
  /** A loopback address; anything else is refused. */
  host: string;
  port: number;
  path: string;
  /** One deadline for connect, TLS, headers and body. */
  timeoutMs: number;
  /** Body bytes kept. */
  maxBytes: number;
  /** 'truncate': keep maxBytes and stop reading (probes); 'fail': an error beyond maxBytes (metrics). */
  overflow: 'truncate' | 'fail';
  headers?: Record<string, string>;
}

export interface LoopbackResponse {
  statusCode: number;
  statusMessage: string;
  /** From the start to the response headers. */
  latencyMs: number;
  body: Buffer;
  truncated: boolean;
}

/** A network or TLS failure in plain words: "connection refused", "TLS: wrong version number". */
export function describeRequestError(error: unknown): string {
  if (error instanceof RequestError) return error.message;
  const e = error as NodeJS.ErrnoException & { reason?: string; library?: string };
  const code = e?.code ?? '';
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return e.message === 'socket hang up'
        ? 'the server closed the connection without answering'
        : 'connection reset by the server';
    case 'EPIPE':
      return 'the server closed the connection';
    case 'EHOSTUNREACH':
      return 'no route to host';
    case 'ENETUNREACH':
      return 'network unreachable';
    case 'EADDRNOTAVAIL':
      return 'address not available on this node';
    case 'ETIMEDOUT':
      return 'connection timed out';
  }
  if (
    e?.library?.includes('SSL') ||
    code.startsWith('ERR_SSL_') ||
    code.startsWith('ERR_TLS_') ||
    code === 'EPROTO' ||
    /\bSSL\b|\bTLS\b/.test(e?.message ?? '')
  ) {
    // OpenSSL's "...:SSL routines:<function>:<reason>:<file>:<line>:" says it best in its reason.
    const openssl = /SSL routines:[^:]*:([^:]+)/.exec(e?.message ?? '')?.[1];
    return `TLS: ${sanitizeLine(e.reason ?? openssl ?? e.message ?? code)}`;
  }
  if (code.startsWith('HPE_')) return `not an HTTP answer (${sanitizeLine(e.reason ?? e.message ?? code)})`;
  const message = error instanceof Error ? error.message : String(error);
  return sanitizeLine(code && !message.includes(code) ? `${message} (${code})` : message);
}

/**
 * GET over loopback: no agent (no keep-alive), no certificate verification, no compression, one
 * deadline. Rejects with an Error whose message is one plain phrase (see describeRequestError).
 */
export function loopbackGet(options: LoopbackGetOptions): Promise<LoopbackResponse> {
  return new Promise((resolve, reject) => {
    if (!isLoopbackHost(options.host)) {
      reject(
        new RequestError(`refusing ${sanitizeLine(options.host)}: only loopback addresses are contacted`),
      );
      return;
    }
    const started = performance.now();
    let settled = false;
    let latencyMs = 0;
    let request: http.ClientRequest | null = null;
    const finish = (error: unknown, response?: LoopbackResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (error) reject(new RequestError(describeRequestError(error)));
      else resolve(response!);
      request?.destroy();
    };
    const deadline = setTimeout(
      () => finish(new RequestError(`timed out after ${formatDuration(options.timeoutMs)}`)),
      options.timeoutMs,
    );
    const requestOptions: https.RequestOptions = {
      hostname: loopbackAddress(options.host),
      port: options.port,
      path: options.path,
      method: 'GET',
      agent: false,
      headers: { 'User-Agent': USER_AGENT, Accept: '*/*', 'Accept-Encoding': 'identity', ...options.headers },
      // No DNS: the host is an address (localhost was mapped above).
      ...(options.scheme === 'https' ? { rejectUnauthorized: false } : {}),
    };
    try {
      request = (options.scheme === 'https' ? https : http).request(requestOptions, (res) => {
        latencyMs = performance.now() - started;
        const chunks: Buffer[] = [];
        let size = 0;
        const respond = (truncated: boolean) =>
          finish(null, {
            statusCode: res.statusCode ?? 0,
            statusMessage: res.statusMessage ?? '',
            latencyMs,
            body: Buffer.concat(chunks).subarray(0, options.maxBytes),
            truncated,
          });
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          chunks.push(chunk);
          if (size > options.maxBytes) {
            if (options.overflow === 'truncate') respond(true);
            else finish(new RequestError(`the answer is larger than ${options.maxBytes} bytes`));
          }
        });
        res.on('end', () => respond(false));
        res.on('error', (error) => finish(error));
        res.on('close', () => {
          if (!res.complete) finish(new RequestError('the connection closed in the middle of the answer'));
        });
      });
      request.on('error', (error) => finish(error));
      request.end();
    } catch (error) {
      // Synchronous refusals of node:http, e.g. a path with characters it will not send.
      finish(new RequestError(`cannot send the request: ${sanitizeLine((error as Error).message)}`));
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Probes

export interface HealthResult {
  /** kubelet's rule: 200 <= status < 400. */
  ok: boolean;
  statusCode: number | null;
  /** Time to the response headers; null when none came. */
  latencyMs: number | null;
  /** The first BODY_PREVIEW_BYTES of the answer, sanitized. */
  body: string;
  /** Plain words: "connection refused", "timed out after 3 s", "TLS: ...", "HTTP 500 Internal Server Error". */
  error: string | null;
  /** What was probed (sanitized for display), e.g. https://127.0.0.1:6443/livez. */
  url: string;
  /** The manifest's own host; null when it names none (kubelet would use the pod IP, the node's address). */
  manifestHost: string | null;
  /** true when the manifest's host is not loopback and 127.0.0.1 was probed instead. */
  hostReplaced: boolean;
  at: Date;
}

export interface ProbeOptions {
  timeoutMs?: number;
}

/** The loopback address probed for an endpoint: its own host when that is loopback, else 127.0.0.1. */
export function probeTarget(endpoint: HealthEndpoint): { host: string; replaced: boolean; path: string } {
  const own = endpoint.host;
  const loop = own !== null && isLoopbackHost(own);
  const path = endpoint.path.startsWith('/') ? endpoint.path : `/${endpoint.path}`;
  return { host: loop ? loopbackAddress(own) : '127.0.0.1', replaced: own !== null && !loop, path };
}

/** One probe. Never rejects: every failure is a result with ok false and an error in plain words. */
export async function probe(endpoint: HealthEndpoint, options: ProbeOptions = {}): Promise<HealthResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const scheme = endpoint.scheme === 'HTTPS' ? 'https' : 'http';
  const target = probeTarget(endpoint);
  const base = {
    url: sanitizeLine(formatUrl(scheme, target.host, endpoint.port, target.path)),
    manifestHost: endpoint.host === null ? null : sanitizeLine(endpoint.host),
    hostReplaced: target.replaced,
    at: new Date(),
  };
  try {
    const res = await loopbackGet({
      scheme,
      host: target.host,
      port: endpoint.port,
      path: target.path,
      timeoutMs,
      maxBytes: BODY_PREVIEW_BYTES,
      overflow: 'truncate',
    });
    const ok = res.statusCode >= 200 && res.statusCode < 400;
    return {
      ...base,
      ok,
      statusCode: res.statusCode,
      latencyMs: res.latencyMs,
      body: previewBody(res.body),
      error: ok
        ? null
        : `HTTP ${res.statusCode}${res.statusMessage ? ` ${sanitizeLine(res.statusMessage)}` : ''}`,
    };
  } catch (error) {
    return {
      ...base,
      ok: false,
      statusCode: null,
      latencyMs: null,
      body: '',
      error: describeRequestError(error),
    };
  }
}

/** UTF-8 text, a character cut at the byte limit dropped, control characters and escapes removed. */
function previewBody(body: Buffer): string {
  return sanitizeText(body.toString('utf8').replace(/\uFFFD+$/, '')).trimEnd();
}

// ---------------------------------------------------------------------------------------------
// The watcher

export interface HealthTarget {
  /** The caller's name for it (a pod, "kubelet"). */
  key: string;
  endpoint: HealthEndpoint;
}

export interface HealthWatcher {
  close(): void;
  /** A round now (targets with a probe still in flight are skipped). */
  probeNow(): void;
  /** Replaces the targets (manifests came and went); a round follows at once for new ones. */
  setTargets(targets: HealthTarget[]): void;
}

/**
 * Probes every target every `intervalMs` (first round at once). Never more than one probe in flight
 * per target: a target whose probe is still waiting is skipped for that round.
 */
export function watchHealth(
  targets: HealthTarget[],
  intervalMs: number = DEFAULT_HEALTH_INTERVAL_MS,
  onResult: (key: string, result: HealthResult) => void,
  onError: (error: Error) => void,
  options: ProbeOptions = {},
): HealthWatcher {
  let current = [...targets];
  const inFlight = new Set<string>();
  let closed = false;

  const probeOne = (target: HealthTarget) => {
    if (closed || inFlight.has(target.key)) return;
    inFlight.add(target.key);
    probe(target.endpoint, options)
      .then((result) => {
        if (!closed && current.some((t) => t.key === target.key)) onResult(target.key, result);
      })
      .catch((error: unknown) => {
        if (!closed)
          onError(new Error(`health probe of ${sanitizeLine(target.key)}: ${describeRequestError(error)}`));
      })
      .finally(() => inFlight.delete(target.key));
  };
  const round = () => {
    for (const target of current) probeOne(target);
  };

  const timer = setInterval(round, intervalMs);
  round();
  return {
    close() {
      closed = true;
      clearInterval(timer);
    },
    probeNow: round,
    setTargets(next) {
      const known = new Set(current.map((t) => t.key));
      current = [...next];
      for (const target of current) if (!known.has(target.key)) probeOne(target);
    },
  };
}
