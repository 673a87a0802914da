export type Severity = 'error' | 'warning';

export interface Finding {
  /** File name as shown (escaped), or the directory path for directory-wide findings. */
  file: string;
  severity: Severity;
  /** Stable identifier of the rule, for scripts and tests. */
  code: string;
  message: string;
  line?: number;
  column?: number;
}

export interface HealthEndpoint {
  probe: 'liveness' | 'readiness' | 'startup';
  scheme: 'HTTP' | 'HTTPS';
  /** null: the probe names no host, so kubelet uses the pod IP (the node's address with hostNetwork). */
  host: string | null;
  port: number;
  path: string;
}

export interface ContainerSpec {
  name: string;
  image: string;
  /** command followed by args, as the container runs them. */
  argv: string[];
  /** `--flag=value` and `--flag` (value 'true') from argv; the last occurrence wins. */
  flags: Record<string, string>;
  /** The container's volumeMounts; `name` refers to a pod volume (see PodManifest.hostPathVolumes). */
  volumeMounts: VolumeMount[];
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly: boolean;
}

export interface PodManifest {
  name: string;
  namespace: string;
  /** What the API server would show: `<name>-<node name>`. */
  mirrorPodName: string;
  hostNetwork: boolean;
  containers: ContainerSpec[];
  initContainers: ContainerSpec[];
  health: HealthEndpoint | null;
  /** Its readinessProbe's endpoint: what says it serves (the API server's /readyz), not just lives. */
  readiness: HealthEndpoint | null;
  hostPathVolumes: { name: string; path: string }[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export type EntryKind = 'file' | 'symlink' | 'directory' | 'other';

export interface ManifestFile {
  /** The name as a string; exact when the name is valid UTF-8. */
  name: string;
  /** The name with control characters and invalid bytes made visible. Always use this for display. */
  displayName: string;
  /** The raw name bytes: the only exact handle when a name is not valid UTF-8. */
  rawName: Buffer;
  path: string;
  kind: EntryKind;
  /** kubelet parses this entry as a pod: a non-dot name that is a regular file or a symlink to one. */
  loadedByKubelet: boolean;
  symlinkTarget: string | null;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeMs: number;
  /** A rename (mv) changes it, not mtime: when the file last took these bytes is the later of the two. */
  ctimeMs: number;
  sha256: string | null;
  /** The content as read (valid UTF-8, at most LARGE_MANIFEST_BYTES), for pointing at its lines; else null. */
  text: string | null;
  /** One for a valid manifest; none for a broken one (kubelet decodes one Pod per file). */
  pods: PodManifest[];
  findings: Finding[];
}

export interface ManifestDirSnapshot {
  dir: string;
  /** Set when the directory itself cannot be listed; files is then empty. */
  error: string | null;
  files: ManifestFile[];
  /** Findings about the directory itself (missing, mode, owner). */
  findings: Finding[];
}
