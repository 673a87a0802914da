// GET over loopback, shared by the health probes and etcd's metrics: plain HTTP(S) to 127.0.0.0/8 or
// ::1 only, no agent (no keep-alive), no certificate verification (like kubelet's probes), no
// compression, one deadline for the whole exchange, so a server that accepts and never answers cannot
// hold a caller. Every failure is one plain phrase.
import type { ClientRequest } from 'node:http';
import type { RequestOptions } from 'node:https';
import * as net from 'node:net';
import { sanitizeLine } from '../util/sanitize.js';
import { formatDuration } from '../util/timeout.js';

// Not `import ... from 'node:http'`: an ES module import of node:http builds its facade from every
// export, and reading them loads undici (Node's fetch), 40 ms of start-up for every command that probes.
const http = process.getBuiltinModule('node:http');
const https = process.getBuiltinModule('node:https');

const USER_AGENT = 'kube-probe/breakglass';

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
export function loopbackAddress(host: string): string {
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
    let request: ClientRequest | null = null;
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
    const requestOptions: RequestOptions = {
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
