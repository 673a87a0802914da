// Health probes of the static pods, the way kubelet probes them, but on loopback only: the manifest's
// own httpGet probe (scheme, port, path) sent to 127.0.0.1. Control-plane pods use hostNetwork and
// listen on all addresses, so a manifest naming the node's address is probed on 127.0.0.1 too, and the
// result says so. HTTPS without certificate verification, like kubelet's probes; 200 <= status < 400 is
// success (kubelet's rule, pkg/probe/http). No keep-alive, one deadline for the whole exchange, so a
// server that accepts and never answers cannot hold a probe.
import { sanitizeLine, sanitizeText } from '../util/sanitize.js';
import {
  describeRequestError,
  formatUrl,
  isLoopbackHost,
  loopbackAddress,
  loopbackGet,
} from './loopback-http.js';
import type { HealthEndpoint } from './manifests/types.js';

export const DEFAULT_PROBE_TIMEOUT_MS = 3000;
export const DEFAULT_HEALTH_INTERVAL_MS = 10_000;
/** How much of a probe's answer is kept (kubelet keeps 10 KiB; the view shows a line). */
export const BODY_PREVIEW_BYTES = 200;

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
