// The one piece of the Kubernetes API the apiserver stand-in serves beyond health and /version: the Node
// of the node the lab runs, enough to cordon it. GET /api/v1/nodes/<name> and a merge or strategic merge
// PATCH of spec.unschedulable, with the real server's order of refusals: authentication (a client
// certificate another CA signed is 401; no certificate is system:anonymous, 403, or 401 with
// --anonymous-auth=false), then the request itself (405, 415, 400, 422), then storage (503 while etcd does
// not answer), then the object (404, 409 on a stale resourceVersion). Errors are Status objects.
//
// Any certificate the cluster CA signed may read and patch the node: the lab has no RBAC, nor the Node
// authorizer's rules.
//
// Where the Node lives: the apiserver's pod mounts nothing writable (the CA bundles, the pki and the
// stand-in's code, all read-only), so it lives in this process's memory. A restart of the stand-in forgets
// a cordon and starts the resourceVersion again at 1; the real apiserver keeps the Node in etcd.
import * as fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { Dependency } from './dependency.js';
import { type ApiHandler, json } from './health.js';
import { log } from './log.js';

/** Beside standin.js (the lab writes it with the manifests): `{ "nodeName": "lab-master" }`. */
export const LAB_NODE_FILE = 'lab-node.json';

/** The real server's limit is 3 MiB; a cordon's patch is some 30 bytes. */
const MAX_BODY_BYTES = 1024 * 1024;
const PATCH_TYPES = ['application/merge-patch+json', 'application/strategic-merge-patch+json'];
const NODE_PATH = /^\/api\/v1\/nodes\/([^/]+)$/;

/** The node name the lab wrote beside the entry script, or null (then every name is not found). */
export function readLabNodeName(entryScript = process.argv[1] ?? ''): string | null {
  const file = path.join(path.dirname(entryScript), LAB_NODE_FILE);
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    const name = (parsed as { nodeName?: unknown } | null)?.nodeName;
    if (typeof name === 'string' && name !== '') return name;
    log('W', 'nodes.go:1', `${file} names no node: no node is served`);
  } catch (error) {
    log('W', 'nodes.go:1', `cannot read ${file} (${(error as Error).message}): no node is served`);
  }
  return null;
}

interface StatusFailure {
  code: number;
  reason: string;
  message: string;
  details?: object;
}

function fail(response: ServerResponse, failure: StatusFailure): void {
  json(response, failure.code, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: failure.message,
    reason: failure.reason,
    ...(failure.details ? { details: failure.details } : {}),
    code: failure.code,
  });
}

type Requester = { kind: 'user' } | { kind: 'anonymous' } | { kind: 'invalid'; why: string };

/** The x509 authenticator: a verified chain is a user; any other certificate fails; none is anonymous. */
function requester(socket: TLSSocket): Requester {
  if (socket.authorized) return { kind: 'user' };
  const peer = socket.getPeerCertificate();
  if (peer && Object.keys(peer).length > 0) {
    return { kind: 'invalid', why: String(socket.authorizationError ?? 'not verified') };
  }
  return { kind: 'anonymous' };
}

function authenticationFailure(request: IncomingMessage, verb: string, name: string, anonymousAuth: boolean) {
  const who = requester(request.socket as TLSSocket);
  if (who.kind === 'user') return null;
  if (who.kind === 'invalid' || !anonymousAuth) {
    if (who.kind === 'invalid') {
      log(
        'E',
        'authentication.go:73',
        `"Unable to authenticate the request" err="[x509: certificate signed by unknown authority (${who.why})]"`,
      );
    }
    return { code: 401, reason: 'Unauthorized', message: 'Unauthorized' };
  }
  return {
    code: 403,
    reason: 'Forbidden',
    message: `nodes "${name}" is forbidden: User "system:anonymous" cannot ${verb} resource "nodes" in API group "" at the cluster scope`,
    details: { name, kind: 'nodes' },
  };
}

/** The body, or null when it is longer than MAX_BODY_BYTES. */
function readBody(request: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

interface NodePatch {
  /** undefined: left as it is; null (merge patch's delete) is false. */
  unschedulable: boolean | undefined;
  resourceVersion: string | undefined;
}

const unmodeled = (field: string): StatusFailure => ({
  code: 422,
  reason: 'Invalid',
  message: `the lab's apiserver stand-in patches spec.unschedulable only, not ${field}`,
});

/** A patch of spec.unschedulable (and metadata's name and resourceVersion as preconditions), or why not. */
function parsePatch(body: string, name: string): NodePatch | StatusFailure {
  let patch: unknown;
  try {
    patch = JSON.parse(body);
  } catch (error) {
    return { code: 400, reason: 'BadRequest', message: `error decoding patch: ${(error as Error).message}` };
  }
  if (!isRecord(patch)) {
    return { code: 400, reason: 'BadRequest', message: 'error decoding patch: not a JSON object' };
  }
  const result: NodePatch = { unschedulable: undefined, resourceVersion: undefined };
  for (const [key, value] of Object.entries(patch)) {
    if ((key === 'apiVersion' && value === 'v1') || (key === 'kind' && value === 'Node')) continue;
    if (key === 'metadata' && isRecord(value)) {
      for (const [field, v] of Object.entries(value)) {
        if (field === 'resourceVersion' && typeof v === 'string') result.resourceVersion = v;
        else if (field !== 'name' || v !== name) return unmodeled(`metadata.${field}`);
      }
    } else if (key === 'spec' && isRecord(value)) {
      for (const [field, v] of Object.entries(value)) {
        if (field !== 'unschedulable' || !(typeof v === 'boolean' || v === null)) {
          return unmodeled(`spec.${field}`);
        }
        result.unschedulable = v === true;
      }
    } else return unmodeled(key);
  }
  return result;
}

interface NodeState {
  unschedulable: boolean;
  resourceVersion: number;
}

interface NodeObject {
  apiVersion: 'v1';
  kind: 'Node';
  metadata: { name: string; resourceVersion: string };
  spec: { unschedulable: boolean };
}

function nodeObject(name: string, node: NodeState): NodeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, resourceVersion: String(node.resourceVersion) },
    spec: { unschedulable: node.unschedulable },
  };
}

export interface NodesOptions {
  /** The one node that exists; null: none does. */
  nodeName: string | null;
  /** Storage: nothing is served while it fails. */
  etcd: Dependency;
  /** --anonymous-auth (kubeadm leaves the default, true). */
  anonymousAuth: boolean;
}

export function nodesApi({ nodeName, etcd, anonymousAuth }: NodesOptions): ApiHandler {
  const node: NodeState = { unschedulable: false, resourceVersion: 1 };

  /** The Node after the request, or the failure to answer with. */
  async function handle(request: IncomingMessage, name: string): Promise<NodeObject | StatusFailure> {
    const verb = request.method === 'GET' ? 'get' : request.method === 'PATCH' ? 'patch' : null;
    const denied = authenticationFailure(
      request,
      verb ?? request.method?.toLowerCase() ?? '',
      name,
      anonymousAuth,
    );
    if (denied) return denied;
    if (verb === null) {
      return {
        code: 405,
        reason: 'MethodNotAllowed',
        message: `the lab's apiserver stand-in serves GET and PATCH on nodes, not ${request.method}`,
      };
    }
    let patch: NodePatch | null = null;
    if (verb === 'patch') {
      const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (!PATCH_TYPES.includes(type)) {
        return {
          code: 415,
          reason: 'UnsupportedMediaType',
          message: `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`,
        };
      }
      const body = await readBody(request);
      if (body === null) {
        return {
          code: 413,
          reason: 'RequestEntityTooLarge',
          message: `Request entity too large: limit is ${MAX_BODY_BYTES}`,
        };
      }
      const parsed = parsePatch(body, name);
      if ('code' in parsed) return parsed;
      patch = parsed;
    }
    const storage = await etcd.current();
    if (!storage.ok) {
      return { code: 503, reason: 'ServiceUnavailable', message: `etcd is unavailable: ${storage.reason}` };
    }
    if (name !== nodeName) {
      return {
        code: 404,
        reason: 'NotFound',
        message: `nodes "${name}" not found`,
        details: { name, kind: 'nodes' },
      };
    }
    if (patch?.resourceVersion !== undefined && patch.resourceVersion !== String(node.resourceVersion)) {
      return {
        code: 409,
        reason: 'Conflict',
        message: `Operation cannot be fulfilled on nodes "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        details: { name, kind: 'nodes' },
      };
    }
    // As the real server: a patch that changes nothing keeps the resourceVersion.
    if (patch?.unschedulable !== undefined && patch.unschedulable !== node.unschedulable) {
      node.unschedulable = patch.unschedulable;
      node.resourceVersion += 1;
    }
    return nodeObject(name, node);
  }

  return {
    matches: (pathname) => NODE_PATH.test(pathname),
    async serve(request, response, url) {
      const encoded = NODE_PATH.exec(url.pathname)?.[1] ?? '';
      let name: string;
      try {
        name = decodeURIComponent(encoded);
      } catch {
        name = encoded;
      }
      const answer = await handle(request, name);
      if ('code' in answer) fail(response, answer);
      else json(response, 200, answer);
    },
  };
}
