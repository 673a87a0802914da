// The Kubernetes API, for exactly one thing: a node's spec.unschedulable (cordon and uncordon), read and
// patched with a kubeconfig's client certificate (kubeconfig.ts reads it; re-exported here). The server's
// certificate is always verified. Each request has one deadline for connect, TLS, headers and body, on a
// connection of its own; every failure is a KubeApiError in one line.
import type { ClientRequest } from 'node:http';
import * as https from 'node:https';
import { errnoCode } from '../util/fsx.js';
import { sanitizeLine } from '../util/sanitize.js';
import { formatDuration } from '../util/timeout.js';
import { isMap, type KubeApiConfig } from './kubeconfig.js';

export {
  type KubeApiConfig,
  type Kubeconfig,
  KubeconfigError,
  type ReadKubeconfigOptions,
  readKubeconfig,
} from './kubeconfig.js';

export const DEFAULT_KUBE_API_TIMEOUT_MS = 5_000;
/** A Node with its status is some 10 KiB; a Status far less. */
const MAX_RESPONSE_BYTES = 1024 * 1024;
/** Longest server message kept in an error. */
const MAX_MESSAGE_CHARS = 300;
const USER_AGENT = 'breakglass';

export type KubeApiErrorReason = 'refused' | 'timeout' | 'tls' | 'unreachable' | 'http' | 'invalid';

export class KubeApiError extends Error {
  constructor(
    message: string,
    readonly reason: KubeApiErrorReason,
    /** The HTTP status, for reason 'http'. */
    readonly status: number | null = null,
    /** The Status object's reason ('NotFound', 'Unauthorized', ...), when the server sent one. */
    readonly apiReason: string | null = null,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

export interface KubeNode {
  name: string;
  resourceVersion: string;
  unschedulable: boolean;
}

interface Answer {
  status: number;
  statusMessage: string;
  body: string;
}

const TLS_WORDS: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "is not signed by the kubeconfig's CA",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "is not signed by the kubeconfig's CA",
  SELF_SIGNED_CERT_IN_CHAIN: "is not signed by the kubeconfig's CA",
  DEPTH_ZERO_SELF_SIGNED_CERT: "is self-signed, not signed by the kubeconfig's CA",
  CERT_HAS_EXPIRED: 'has expired',
  CERT_NOT_YET_VALID: 'is not valid yet',
  ERR_TLS_CERT_ALTNAME_INVALID: 'does not name the address connected to',
};

/** Status.message of an error body, or the body's first line. */
function serverMessage(body: string): { message: string; apiReason: string | null } {
  try {
    const parsed: unknown = JSON.parse(body);
    if (isMap(parsed) && parsed.kind === 'Status') {
      return {
        message: typeof parsed.message === 'string' ? parsed.message : '',
        apiReason: typeof parsed.reason === 'string' && parsed.reason !== '' ? parsed.reason : null,
      };
    }
  } catch {
    // not JSON: the text itself
  }
  return { message: body.trim().split('\n')[0] ?? '', apiReason: null };
}

const clip = (text: string): string => {
  const line = sanitizeLine(text);
  return line.length > MAX_MESSAGE_CHARS ? `${line.slice(0, MAX_MESSAGE_CHARS)}…` : line;
};

function parseNode(body: string, what: string): KubeNode {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new KubeApiError(`${what}: the API server's answer is not JSON`, 'invalid');
  }
  const metadata = isMap(parsed) && isMap(parsed.metadata) ? parsed.metadata : null;
  if (!isMap(parsed) || parsed.kind !== 'Node' || !metadata || typeof metadata.name !== 'string') {
    throw new KubeApiError(`${what}: the API server's answer is not a Node`, 'invalid');
  }
  const spec = isMap(parsed.spec) ? parsed.spec : {};
  return {
    name: metadata.name,
    resourceVersion: typeof metadata.resourceVersion === 'string' ? metadata.resourceVersion : '',
    // omitempty: a schedulable node's spec has no unschedulable at all.
    unschedulable: spec.unschedulable === true,
  };
}

export class KubeApi {
  private readonly url: URL;

  constructor(
    private readonly config: KubeApiConfig,
    private readonly timeoutMs = DEFAULT_KUBE_API_TIMEOUT_MS,
  ) {
    this.url = new URL(config.server);
  }

  get server(): string {
    return this.url.origin;
  }

  async getNode(name: string): Promise<KubeNode> {
    const urlPath = nodePath(name);
    const answer = await this.request('GET', urlPath);
    return parseNode(answer.body, `GET ${urlPath}`);
  }

  /** A strategic merge patch of spec.unschedulable, as `kubectl cordon` sends; the Node after it. */
  async setUnschedulable(name: string, unschedulable: boolean): Promise<KubeNode> {
    const urlPath = nodePath(name);
    const body = JSON.stringify({ spec: { unschedulable } });
    const answer = await this.request('PATCH', urlPath, {
      contentType: 'application/strategic-merge-patch+json',
      body,
    });
    return parseNode(answer.body, `PATCH ${urlPath}`);
  }

  /** One request on a connection of its own; a 2xx answer, else a KubeApiError. */
  private request(
    method: 'GET' | 'PATCH',
    urlPath: string,
    payload?: { contentType: string; body: string },
  ): Promise<Answer> {
    const what = `${method} ${urlPath}`;
    const at = `the API server at ${this.server}`;
    return new Promise<Answer>((resolve, reject) => {
      let settled = false;
      let request: ClientRequest | undefined;
      const finish = (error: KubeApiError | null, answer?: Answer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) {
          request?.destroy();
          reject(error);
        } else resolve(answer!);
      };
      const timer = setTimeout(
        () =>
          finish(
            new KubeApiError(
              `${what}: ${at} did not answer within ${formatDuration(this.timeoutMs)}`,
              'timeout',
            ),
          ),
        this.timeoutMs,
      );
      try {
        request = this.send(method, urlPath, payload, what, finish);
      } catch (error) {
        // A key or certificate TLS cannot load throws before any connection.
        finish(
          new KubeApiError(
            `${what}: the client certificate or key cannot be used: ${clip(error instanceof Error ? error.message : String(error))}`,
            'tls',
          ),
        );
      }
    });
  }

  private send(
    method: 'GET' | 'PATCH',
    urlPath: string,
    payload: { contentType: string; body: string } | undefined,
    what: string,
    finish: (error: KubeApiError | null, answer?: Answer) => void,
  ): ClientRequest {
    const at = `the API server at ${this.server}`;
    const request = https.request(
      {
        method,
        host: this.url.hostname.replace(/^\[|\]$/g, ''),
        port: this.url.port === '' ? 443 : Number(this.url.port),
        path: urlPath,
        ...(this.config.ca === undefined ? {} : { ca: this.config.ca }),
        cert: this.config.cert,
        key: this.config.key,
        ...(this.config.tlsServerName === undefined ? {} : { servername: this.config.tlsServerName }),
        rejectUnauthorized: true,
        agent: false,
        headers: {
          Accept: 'application/json',
          'User-Agent': USER_AGENT,
          ...(payload
            ? { 'Content-Type': payload.contentType, 'Content-Length': Buffer.byteLength(payload.body) }
            : {}),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            finish(new KubeApiError(`${what}: ${at} answered with more than 1 MiB`, 'invalid'));
          } else chunks.push(chunk);
        });
        response.on('error', (error) => finish(this.transportError(what, error)));
        response.on('end', () => {
          const answer = {
            status: response.statusCode ?? 0,
            statusMessage: response.statusMessage ?? '',
            body: Buffer.concat(chunks).toString('utf8'),
          };
          if (answer.status >= 200 && answer.status < 300) finish(null, answer);
          else finish(this.httpError(what, answer));
        });
      },
    );
    request.on('error', (error) => finish(this.transportError(what, error)));
    request.end(payload?.body);
    return request;
  }

  private httpError(what: string, answer: Answer): KubeApiError {
    const { message, apiReason } = serverMessage(answer.body);
    const status = `${answer.status}${apiReason ? ` ${apiReason}` : answer.statusMessage ? ` ${answer.statusMessage}` : ''}`;
    const text = message === '' ? '' : `: ${clip(message)}`;
    return new KubeApiError(
      `${what}: the API server at ${this.server} answered ${status}${text}`,
      'http',
      answer.status,
      apiReason,
    );
  }

  private transportError(what: string, error: Error): KubeApiError {
    const at = `the API server at ${this.server}`;
    const code = errnoCode(error) ?? (error as { code?: string }).code ?? '';
    if (code === 'ECONNREFUSED') return new KubeApiError(`${what}: ${at} refused the connection`, 'refused');
    if (code === 'ECONNRESET' || code === 'EPIPE') {
      return new KubeApiError(`${what}: ${at} closed the connection`, 'unreachable');
    }
    if (code === 'ETIMEDOUT') return new KubeApiError(`${what}: ${at} did not answer (${code})`, 'timeout');
    if (TLS_WORDS[code]) {
      return new KubeApiError(`${what}: ${at} has a certificate that ${TLS_WORDS[code]} (${code})`, 'tls');
    }
    if (/^ERR_SSL_|^ERR_TLS_|CERT/.test(code)) {
      return new KubeApiError(`${what}: TLS with ${at} failed: ${clip(error.message)}`, 'tls');
    }
    if (['EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL'].includes(code)) {
      return new KubeApiError(`${what}: ${at} is unreachable (${code})`, 'unreachable');
    }
    return new KubeApiError(`${what}: ${at}: ${clip(error.message)}`, 'unreachable');
  }
}

function nodePath(name: string): string {
  return `/api/v1/nodes/${encodeURIComponent(name)}`;
}
