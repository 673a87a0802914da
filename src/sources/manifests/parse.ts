// Turns a manifest's bytes into pods the way kubelet's file source would, with findings for
// everything that would make kubelet skip or reject it. Pure: no I/O.
import { LineCounter, parseAllDocuments } from 'yaml';
import { escapeName } from '../../util/sanitize.js';
import type { ContainerSpec, Finding, HealthEndpoint, PodManifest, Severity, VolumeMount } from './types.js';

export interface ParseResult {
  pods: PodManifest[];
  findings: Omit<Finding, 'file'>[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function finding(severity: Severity, code: string, message: string, pos?: { line: number; col: number }) {
  const f: Omit<Finding, 'file'> = { severity, code, message };
  if (pos) {
    f.line = pos.line;
    f.column = pos.col;
  }
  return f;
}

export function parseManifestText(text: string, nodeName: string): ParseResult {
  // kubelet's YAML reader skips a byte order mark, even before JSON.
  const body = text.replace(/^\uFEFF/, '');
  const trimmed = body.trimStart();
  if (trimmed === '') {
    return {
      pods: [],
      findings: [finding('error', 'empty', 'empty file: kubelet cannot decode a pod from it')],
    };
  }
  const decoded = trimmed.startsWith('{') || trimmed.startsWith('[') ? decodeJson(body) : decodeYaml(body);
  if ('failure' in decoded) return { pods: [], findings: [decoded.failure] };
  const result = podsFromObject(decoded.value, nodeName);
  result.findings.unshift(...decoded.warnings);
  return result;
}

type Decoded = { value: Json; warnings: Omit<Finding, 'file'>[] } | { failure: Omit<Finding, 'file'> };

function decodeJson(text: string): Decoded {
  try {
    return { value: JSON.parse(text) as Json, warnings: [] };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // A file cut off mid-write ends early: V8 then gives no position, the error is at the end.
    const position = /position (\d+)/.exec(message);
    const offset = position ? Number(position[1]) : /end of JSON input/.test(message) ? text.length : null;
    const pos = offset === null ? undefined : lineAndColumn(text, offset);
    return { failure: finding('error', 'json-syntax', `JSON syntax error: ${firstLine(message)}`, pos) };
  }
}

function decodeYaml(text: string): Decoded {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, version: '1.1', prettyErrors: false });
  if (!Array.isArray(docs)) return { failure: finding('error', 'empty', 'empty file: no YAML document') };
  const nonEmpty = docs.filter((d) => d.contents !== null || d.errors.length > 0);
  const first = nonEmpty[0];
  if (!first) return { failure: finding('error', 'empty', 'no YAML document in the file') };
  // kubelet's YAML reader accepts a repeated key and keeps the last value: suspicious, not fatal.
  const error = first.errors.find((e) => e.code !== 'DUPLICATE_KEY');
  if (error) {
    const pos = lineCounter.linePos(error.pos[0]);
    return {
      failure: finding('error', 'yaml-syntax', `YAML syntax error: ${firstLine(error.message)}`, pos),
    };
  }
  const warnings: Omit<Finding, 'file'>[] = first.errors.map((e) => {
    const key = /^[^:\n]*/.exec(text.slice(e.pos[0]))![0].trim();
    return finding(
      'warning',
      'duplicate-key',
      `key "${escapeName(key)}" appears twice in the same mapping: kubelet silently keeps the last value`,
      lineCounter.linePos(e.pos[0]),
    );
  });
  if (nonEmpty.length > 1) {
    const second = nonEmpty[1]!;
    const start = second.contents?.range?.[0];
    warnings.push(
      finding(
        'warning',
        'multiple-documents',
        `${nonEmpty.length} YAML documents in one file: kubelet decodes only the first`,
        start === undefined ? undefined : lineCounter.linePos(start),
      ),
    );
  }
  return { value: first.toJS({ maxAliasCount: 100 }) as Json, warnings };
}

function podsFromObject(value: Json, nodeName: string): ParseResult {
  if (!isObject(value)) {
    return {
      pods: [],
      findings: [finding('error', 'not-a-pod', 'not a Kubernetes object (expected kind: Pod)')],
    };
  }
  if (value.kind === 'PodList') {
    // kubelet's file source decodes a single Pod only (lists work only from a manifest URL).
    return {
      pods: [],
      findings: [
        finding(
          'error',
          'not-a-pod',
          'a PodList: kubelet loads one Pod per file and rejects a list, so none of its pods run',
        ),
      ],
    };
  }
  return podFromObject(value, nodeName);
}

function podFromObject(value: JsonObject, nodeName: string): ParseResult {
  const findings: Omit<Finding, 'file'>[] = [];
  if (value.kind !== 'Pod' || value.apiVersion !== 'v1') {
    const what = `apiVersion ${describe(value.apiVersion)}, kind ${describe(value.kind)}`;
    return {
      pods: [],
      findings: [
        finding('error', 'not-a-pod', `not a Pod (${what}): kubelet expects apiVersion v1, kind Pod`),
      ],
    };
  }
  const metadata = isObject(value.metadata) ? value.metadata : {};
  const spec = isObject(value.spec) ? value.spec : {};
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  if (name === '') {
    findings.push(finding('error', 'missing-name', 'metadata.name is missing: kubelet rejects the pod'));
  } else if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    findings.push(
      finding(
        'error',
        'invalid-name',
        `metadata.name "${escapeName(name)}" is not a valid DNS subdomain: kubelet rejects it`,
      ),
    );
  }
  const namespace =
    typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : 'default';
  if (!DNS_LABEL.test(namespace)) {
    findings.push(
      finding('error', 'invalid-namespace', `metadata.namespace "${escapeName(namespace)}" is not valid`),
    );
  }
  const containers = containerList(spec.containers);
  const initContainers = containerList(spec.initContainers);
  if (containers.length === 0) {
    findings.push(finding('error', 'no-containers', 'spec.containers is empty: kubelet rejects the pod'));
  }
  const seen = new Set<string>();
  for (const c of [...initContainers, ...containers]) {
    if (c.name === '') findings.push(finding('error', 'container-name', 'a container has no name'));
    else if (seen.has(c.name)) {
      findings.push(
        finding('error', 'container-name', `container name "${escapeName(c.name)}" is used twice`),
      );
    }
    seen.add(c.name);
    if (c.image === '') {
      findings.push(finding('error', 'container-image', `container "${escapeName(c.name)}" has no image`));
    }
  }
  const pod: PodManifest = {
    name,
    namespace,
    mirrorPodName: name === '' ? '' : `${name}-${nodeName.toLowerCase()}`,
    hostNetwork: spec.hostNetwork === true,
    containers,
    initContainers,
    health: healthEndpoint(spec.containers),
    readiness: healthEndpoint(spec.containers, ['readinessProbe']),
    hostPathVolumes: hostPathVolumes(spec.volumes),
    labels: stringMap(metadata.labels),
    annotations: stringMap(metadata.annotations),
  };
  return { pods: name === '' ? [] : [pod], findings };
}

function containerList(value: Json | undefined): ContainerSpec[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isObject).map((c) => {
    const argv = [...stringList(c.command), ...stringList(c.args)];
    return {
      name: typeof c.name === 'string' ? c.name : '',
      image: typeof c.image === 'string' ? c.image : '',
      argv,
      flags: parseFlags(argv),
      volumeMounts: volumeMounts(c.volumeMounts),
    };
  });
}

function volumeMounts(value: Json | undefined): VolumeMount[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isObject).map((m) => ({
    name: typeof m.name === 'string' ? m.name : '',
    mountPath: typeof m.mountPath === 'string' ? m.mountPath : '',
    readOnly: m.readOnly === true,
  }));
}

export function parseFlags(argv: string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  for (const arg of argv) {
    const m = /^--?([A-Za-z0-9][-A-Za-z0-9_.]*)(?:=([\s\S]*))?$/.exec(arg);
    if (m) flags[m[1]!] = m[2] ?? 'true';
  }
  return flags;
}

const PROBES = [
  ['livenessProbe', 'liveness'],
  ['readinessProbe', 'readiness'],
  ['startupProbe', 'startup'],
] as const;

/** The first HTTP probe of the pod, liveness first: the endpoint kubelet itself checks. */
function healthEndpoint(
  value: Json | undefined,
  only: readonly (typeof PROBES)[number][0][] = PROBES.map(([f]) => f),
): HealthEndpoint | null {
  if (!Array.isArray(value)) return null;
  for (const [field, probe] of PROBES.filter(([f]) => only.includes(f))) {
    for (const c of value.filter(isObject)) {
      const p = c[field];
      if (!isObject(p) || !isObject(p.httpGet)) continue;
      const get = p.httpGet;
      const port = resolvePort(get.port, c.ports);
      if (port === null) continue;
      return {
        probe,
        scheme: typeof get.scheme === 'string' && get.scheme.toUpperCase() === 'HTTPS' ? 'HTTPS' : 'HTTP',
        host: typeof get.host === 'string' && get.host !== '' ? get.host : null,
        port,
        path: typeof get.path === 'string' && get.path !== '' ? get.path : '/',
      };
    }
  }
  return null;
}

function resolvePort(port: Json | undefined, ports: Json | undefined): number | null {
  if (typeof port === 'number' && Number.isInteger(port)) return port;
  if (typeof port !== 'string') return null;
  if (/^\d+$/.test(port)) return Number(port);
  if (!Array.isArray(ports)) return null;
  const named = ports.filter(isObject).find((p) => p.name === port);
  return named && typeof named.containerPort === 'number' ? named.containerPort : null;
}

function hostPathVolumes(value: Json | undefined): { name: string; path: string }[] {
  if (!Array.isArray(value)) return [];
  const out: { name: string; path: string }[] = [];
  for (const v of value.filter(isObject)) {
    if (isObject(v.hostPath) && typeof v.hostPath.path === 'string') {
      out.push({ name: typeof v.name === 'string' ? v.name : '', path: v.hostPath.path });
    }
  }
  return out;
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringList(value: Json | undefined): string[] {
  return Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))) : [];
}

function stringMap(value: Json | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObject(value))
    for (const [k, v] of Object.entries(value)) out[k] = typeof v === 'string' ? v : String(v);
  return out;
}

function describe(value: Json | undefined): string {
  return value === undefined ? 'missing' : JSON.stringify(value);
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}

function lineAndColumn(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - before.lastIndexOf('\n') };
}
