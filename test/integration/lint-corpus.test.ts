// A corpus of broken and suspicious static pod directories. Each case is built on the real filesystem
// in a fresh temp directory and linted by the real binary, as an operator would run it on a node, and
// states every finding it must produce: nothing more, nothing less. The rule it checks against is
// kubelet's: every regular file whose name does not start with a dot is parsed as a pod.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { parse, stringify } from 'yaml';
import type { Finding, Severity } from '../../src/sources/manifests/types.js';
import { KUBEADM_MANIFESTS, kubeadmManifest, makeTempDir } from '../helpers/node-root.js';
import { breakglass, breakglassJson, type RunResult } from '../helpers/run.js';

interface LintJson {
  dir: string;
  error?: string;
  findings: Finding[];
}

/** A finding as a case states it: line and column only where the finding has them. */
interface Expected {
  file: string;
  severity: Severity;
  code: string;
  line?: number;
  column?: number;
}

interface Case {
  /** What is in the directory, in the operator's words. */
  name: string;
  /** Fills `dir`, the manifest directory (empty, root, mode 0700); `tmp` is scratch space beside it. */
  build: (dir: string, tmp: string) => void;
  /** Every finding lint must report, exactly. */
  expect: Expected[] | ((dir: string) => Expected[]);
  /** Exit code when it is not the rule (1 with an error finding, else 0). */
  exit?: number;
  /** Checks beyond the findings. */
  also?: (run: { result: RunResult; json: LintJson }, dir: string) => void;
}

const MiB = 1024 * 1024;
const PAUSE = 'registry.k8s.io/pause:3.10';
const ETCD = kubeadmManifest('etcd.yaml');
const APISERVER = kubeadmManifest('kube-apiserver.yaml');
const SCHEDULER = kubeadmManifest('kube-scheduler.yaml');

/** An OSC "set window title" sequence in a file name: ESC ] 0 ; ... BEL. */
const ESCAPE_NAME = 'kube-scheduler\x1b]0;pwned\x07.yaml';
const ESCAPE_SHOWN = 'kube-scheduler\\x1b]0;pwned\\x07.yaml';
/** A name saved from a Latin-1 terminal: 0xe9 alone is not valid UTF-8. */
const LATIN1_NAME = Buffer.from('kube-sch\xe9duler.yaml', 'latin1');
const LATIN1_SHOWN = 'kube-sch\\xe9duler.yaml';

// ---------------------------------------------------------------------------------------------
// Building directories

/** Writes a file as root with an exact mode (not reduced by the umask), as kubeadm does with 0600. */
function put(dir: string, name: string | Buffer, content: string | Buffer, mode = 0o600): void {
  const file =
    typeof name === 'string' ? path.join(dir, name) : Buffer.concat([Buffer.from(`${dir}/`), name]);
  fs.writeFileSync(file, content, { mode });
  fs.chmodSync(file, mode);
}

/** kubeadm's four manifests, 0600, except the ones named. */
function kubeadm(dir: string, except: string[] = []): void {
  for (const name of KUBEADM_MANIFESTS) if (!except.includes(name)) put(dir, name, kubeadmManifest(name));
}

/** `text` with `from` replaced by `to`; fails loudly if the fixture no longer contains `from`. */
function edit(text: string, from: string, to: string): string {
  assert.ok(text.includes(from), `fixture no longer contains ${JSON.stringify(from)}`);
  return text.replace(from, to);
}

/** The 1-based line of the first line of `text` that contains `needle`. */
function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(needle));
  assert.ok(index >= 0, `no line contains ${JSON.stringify(needle)}`);
  return index + 1;
}

/** A minimal valid pod in kube-system. */
function pod(name: string, spec: object = { containers: [{ name: 'main', image: PAUSE }] }): string {
  return stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'kube-system' }, spec });
}

/** A YAML manifest as a plain object, e.g. to write it as JSON. */
function fromYaml(text: string): unknown {
  return parse(text) as unknown;
}

/** `text` followed by YAML comment lines, exactly `size` bytes in all: still a valid manifest. */
function padTo(text: string, size: number): string {
  const line = `# ${'x'.repeat(97)}\n`;
  let out = text + line.repeat(Math.floor((size - text.length) / line.length));
  const rest = size - out.length;
  if (rest > 0) out += `${'#'.repeat(rest - 1)}\n`;
  assert.equal(Buffer.byteLength(out), size);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Stating findings

const error = (file: string, code: string, at?: { line: number; column: number }): Expected => ({
  file,
  severity: 'error',
  code,
  ...at,
});
const warning = (file: string, code: string, at?: { line: number; column: number }): Expected => ({
  file,
  severity: 'warning',
  code,
  ...at,
});
/** Both files define the same pod: each is flagged. */
const duplicates = (...files: string[]): Expected[] => files.map((file) => error(file, 'duplicate-pod'));

// ---------------------------------------------------------------------------------------------
// The corpus

const BROKEN_INDENT = edit(APISERVER, '        - --allow-privileged=true', '      - --allow-privileged=true');
const TAB_INDENT = edit(SCHEDULER, '  name: kube-scheduler\n', '\tname: kube-scheduler\n');
const NO_SPACE_AFTER_COLON = edit(SCHEDULER, '      image: registry', '      image:registry');
const TWO_IMAGES = edit(
  SCHEDULER,
  '      image: registry.k8s.io/kube-scheduler:v1.31.2\n',
  '      image: registry.k8s.io/kube-scheduler:v1.31.2\n      image: registry.k8s.io/kube-scheduler:v1.30.0\n',
);
const WITH_CONFIGMAP = `${SCHEDULER}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: scheduler-config\n`;
const MISSING_COMMA = '{\n  "apiVersion": "v1",\n  "kind": "Pod"\n  "metadata": {"name": "etcd"}\n}\n';
const TRUNCATED_JSON = '{\n  "apiVersion": "v1",\n  "kind": "Pod",\n  "metadata": {\n    "name": ';
const ETCD_JSON = `${JSON.stringify(fromYaml(ETCD), null, 2)}\n`;

const CASES: Case[] = [
  {
    name: "kubeadm's four manifests, root-owned 0600 in a 0700 directory: no finding at all",
    build: (dir) => kubeadm(dir),
    expect: [],
    also: (_run, dir) => {
      const stat = fs.statSync(dir);
      assert.equal(stat.mode & 0o777, 0o700);
      assert.equal(stat.uid, 0);
      for (const name of KUBEADM_MANIFESTS) {
        const file = fs.statSync(path.join(dir, name));
        assert.equal(file.mode & 0o777, 0o600, name);
        assert.equal(file.uid, 0, name);
      }
    },
  },

  // --- what kubelet cannot decode -----------------------------------------------------------
  {
    name: 'YAML syntax error: a flag added to kube-apiserver.yaml two spaces short',
    build: (dir) => {
      kubeadm(dir);
      put(dir, 'kube-apiserver.yaml', BROKEN_INDENT);
    },
    expect: [
      error('kube-apiserver.yaml', 'yaml-syntax', {
        line: lineOf(BROKEN_INDENT, '--allow-privileged'),
        column: 1,
      }),
    ],
  },
  {
    name: 'YAML syntax error: a tab used for indentation',
    build: (dir) => {
      kubeadm(dir);
      put(dir, 'kube-scheduler.yaml', TAB_INDENT);
    },
    expect: [error('kube-scheduler.yaml', 'yaml-syntax', { line: lineOf(TAB_INDENT, '\tname:'), column: 1 })],
  },
  {
    name: 'YAML syntax error: no space after the colon of image:',
    build: (dir) => {
      kubeadm(dir);
      put(dir, 'kube-scheduler.yaml', NO_SPACE_AFTER_COLON);
    },
    expect: [
      error('kube-scheduler.yaml', 'yaml-syntax', {
        line: lineOf(NO_SPACE_AFTER_COLON, 'image:registry'),
        column: 7,
      }),
    ],
  },
  {
    name: 'JSON syntax error: a missing comma',
    build: (dir) => {
      kubeadm(dir, ['etcd.yaml']);
      put(dir, 'etcd.json', MISSING_COMMA);
    },
    expect: [error('etcd.json', 'json-syntax', { line: 4, column: 3 })],
  },
  {
    name: 'JSON syntax error: a JSON manifest cut off mid-write (error at the end of the file)',
    build: (dir) => {
      kubeadm(dir, ['etcd.yaml']);
      put(dir, 'etcd.json', TRUNCATED_JSON);
    },
    expect: [error('etcd.json', 'json-syntax', { line: 5, column: 13 })],
  },
  {
    name: 'a valid JSON manifest (etcd as JSON): no finding',
    build: (dir) => {
      kubeadm(dir, ['etcd.yaml']);
      put(dir, 'etcd.json', ETCD_JSON);
    },
    expect: [],
  },
  {
    name: 'a valid JSON manifest saved with a UTF-8 byte order mark: kubelet loads it, no finding',
    build: (dir) => {
      kubeadm(dir, ['etcd.yaml']);
      put(dir, 'etcd.json', `\uFEFF${ETCD_JSON}`);
    },
    expect: [],
  },
  {
    name: 'an empty file (kube-scheduler.yaml truncated to 0 bytes)',
    build: (dir) => {
      kubeadm(dir);
      put(dir, 'kube-scheduler.yaml', '');
    },
    expect: [error('kube-scheduler.yaml', 'empty')],
  },
  {
    name: 'binary content: kube-controller-manager.yaml full of NUL bytes after a crash',
    build: (dir) => {
      kubeadm(dir);
      put(dir, 'kube-controller-manager.yaml', Buffer.alloc(4096));
    },
    expect: [error('kube-controller-manager.yaml', 'binary')],
  },
  {
    name: 'a huge file (17 MiB) in the directory: not read',
    build: (dir) => {
      kubeadm(dir);
      put(dir, 'dump.yaml', padTo('', 17 * MiB));
    },
    expect: [error('dump.yaml', 'huge')],
  },
  {
    name: "a valid manifest of 11 MiB: over kubelet's 10 MiB read limit, kubelet rejects it",
    build: (dir) => {
      kubeadm(dir);
      put(dir, 'kube-apiserver.yaml', padTo(APISERVER, 11 * MiB));
    },
    expect: [error('kube-apiserver.yaml', 'huge')],
  },
  {
    name: "a valid manifest of exactly 10 MiB: kubelet's read limit is reached, rejected",
    build: (dir) => {
      kubeadm(dir);
      put(dir, 'kube-apiserver.yaml', padTo(APISERVER, 10 * MiB));
    },
    expect: [error('kube-apiserver.yaml', 'huge')],
  },
  {
    name: 'a valid manifest one byte under 10 MiB: kubelet still loads it, only large',
    build: (dir) => {
      kubeadm(dir);
      put(dir, 'kube-apiserver.yaml', padTo(APISERVER, 10 * MiB - 1));
    },
    expect: [warning('kube-apiserver.yaml', 'large')],
  },
  {
    name: 'a large but valid manifest (300 KiB of comments)',
    build: (dir) => {
      kubeadm(dir);
      put(dir, 'kube-apiserver.yaml', padTo(APISERVER, 300 * 1024));
    },
    expect: [warning('kube-apiserver.yaml', 'large')],
  },

  // --- what kubelet decodes but is not a usable pod -----------------------------------------
  {
    name: 'not a Pod: a Deployment',
    build: (dir) => {
      kubeadm(dir);
      put(
        dir,
        'coredns.yaml',
        stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'coredns' }, spec: {} }),
      );
    },
    expect: [error('coredns.yaml', 'not-a-pod')],
  },
  {
    name: 'not a Pod: a ConfigMap',
    build: (dir) => {
      kubeadm(dir);
      put(
        dir,
        'scheduler-config.yaml',
        stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: {} }),
      );
    },
    expect: [error('scheduler-config.yaml', 'not-a-pod')],
  },
  {
    name: 'not a Pod: a PodList with two pods (kubelet decodes one Pod per file)',
    build: (dir) => {
      kubeadm(dir);
      const items = [fromYaml(pod('sidecar-a')), fromYaml(pod('sidecar-b'))];
      put(dir, 'sidecars.yaml', stringify({ apiVersion: 'v1', kind: 'PodList', items }));
    },
    expect: [error('sidecars.yaml', 'not-a-pod')],
  },
  {
    name: "an operator's notes file with no extension: loaded as a pod anyway",
    build: (dir) => {
      kubeadm(dir);
      put(dir, 'NOTES', 'restarted the apiserver at 03:12, certs renewed\n');
    },
    expect: [warning('NOTES', 'unusual-name'), error('NOTES', 'not-a-pod')],
  },
  {
    name: 'missing metadata.name',
    build: (dir) => {
      kubeadm(dir);
      put(dir, 'kube-scheduler.yaml', edit(SCHEDULER, '  name: kube-scheduler\n', ''));
    },
    expect: [error('kube-scheduler.yaml', 'missing-name')],
  },
  {
    name: 'invalid metadata.name: uppercase',
    build: (dir) => {
      kubeadm(dir);
      put(dir, 'kube-scheduler.yaml', edit(SCHEDULER, '  name: kube-scheduler', '  name: Kube-Scheduler'));
    },
    expect: [error('kube-scheduler.yaml', 'invalid-name')],
  },
  {
    name: 'no containers',
    build: (dir) => {
      kubeadm(dir);
      put(dir, 'debug.yaml', pod('debug', { containers: [] }));
    },
    expect: [error('debug.yaml', 'no-containers')],
  },
  {
    name: 'a container without an image',
    build: (dir) => {
      kubeadm(dir);
      put(
        dir,
        'kube-scheduler.yaml',
        edit(SCHEDULER, '      image: registry.k8s.io/kube-scheduler:v1.31.2\n', ''),
      );
    },
    expect: [error('kube-scheduler.yaml', 'container-image')],
  },
  {
    name: 'two containers with the same name',
    build: (dir) => {
      kubeadm(dir);
      const main = { name: 'main', image: PAUSE };
      put(dir, 'debug.yaml', pod('debug', { containers: [main, main] }));
    },
    expect: [error('debug.yaml', 'container-name')],
  },
  {
    name: 'a key repeated in one mapping (two image: lines): kubelet keeps the last, a warning',
    build: (dir) => {
      kubeadm(dir);
      put(dir, 'kube-scheduler.yaml', TWO_IMAGES);
    },
    expect: [
      warning('kube-scheduler.yaml', 'duplicate-key', { line: lineOf(TWO_IMAGES, 'v1.30.0'), column: 7 }),
    ],
  },
  {
    name: 'two YAML documents in one file: kubelet decodes only the first',
    build: (dir) => {
      kubeadm(dir);
      put(dir, 'kube-scheduler.yaml', WITH_CONFIGMAP);
    },
    expect: [
      warning('kube-scheduler.yaml', 'multiple-documents', {
        line: lineOf(WITH_CONFIGMAP, '---') + 1,
        column: 1,
      }),
    ],
  },
  {
    name: 'two files with the same pod name: both flagged',
    build: (dir) => {
      kubeadm(dir);
      put(dir, 'apiserver-v2.yaml', APISERVER);
    },
    expect: duplicates('apiserver-v2.yaml', 'kube-apiserver.yaml'),
  },

  // --- stray copies and editor leftovers: kubelet runs them as pods -------------------------
  {
    name: 'stray copy: kube-apiserver.yaml.bak',
    build: (dir) => {
      kubeadm(dir);
      put(dir, 'kube-apiserver.yaml.bak', APISERVER);
    },
    expect: [
      error('kube-apiserver.yaml.bak', 'stray-copy'),
      ...duplicates('kube-apiserver.yaml', 'kube-apiserver.yaml.bak'),
    ],
  },
  {
    name: 'stray copy: kube-apiserver.yaml.orig',
    build: (dir) => {
      kubeadm(dir);
      put(dir, 'kube-apiserver.yaml.orig', APISERVER);
    },
    expect: [
      error('kube-apiserver.yaml.orig', 'stray-copy'),
      ...duplicates('kube-apiserver.yaml', 'kube-apiserver.yaml.orig'),
    ],
  },
  {
    name: 'editor backup: kube-apiserver.yaml~',
    build: (dir) => {
      kubeadm(dir);
      put(dir, 'kube-apiserver.yaml~', APISERVER);
    },
    expect: [
      error('kube-apiserver.yaml~', 'stray-copy'),
      ...duplicates('kube-apiserver.yaml', 'kube-apiserver.yaml~'),
    ],
  },
  {
    name: "vim's write-test file 4913, left empty",
    build: (dir) => {
      kubeadm(dir);
      put(dir, '4913', '');
    },
    expect: [error('4913', 'stray-copy'), error('4913', 'empty')],
  },
  {
    name: 'a vim swap file without its leading dot: kube-apiserver.yaml.swp',
    build: (dir) => {
      kubeadm(dir);
      put(dir, 'kube-apiserver.yaml.swp', Buffer.concat([Buffer.from('b0VIM 9.1'), Buffer.alloc(4087)]));
    },
    expect: [error('kube-apiserver.yaml.swp', 'stray-copy'), error('kube-apiserver.yaml.swp', 'binary')],
  },
  {
    name: 'a write-file-atomic temp file left behind: kube-apiserver.yaml.12345',
    build: (dir) => {
      kubeadm(dir);
      put(dir, 'kube-apiserver.yaml.12345', APISERVER);
    },
    expect: [
      error('kube-apiserver.yaml.12345', 'stray-copy'),
      ...duplicates('kube-apiserver.yaml', 'kube-apiserver.yaml.12345'),
    ],
  },
  {
    name: '"disabled" by renaming in place: kube-apiserver.yaml.disabled still runs',
    build: (dir) => {
      kubeadm(dir, ['kube-apiserver.yaml']);
      put(dir, 'kube-apiserver.yaml.disabled', APISERVER);
    },
    expect: [error('kube-apiserver.yaml.disabled', 'stray-copy')],
  },
  {
    name: 'a backup by name: etcd-backup.yaml',
    build: (dir) => {
      kubeadm(dir);
      put(dir, 'etcd-backup.yaml', ETCD);
    },
    expect: [error('etcd-backup.yaml', 'stray-copy'), ...duplicates('etcd-backup.yaml', 'etcd.yaml')],
  },
  {
    name: 'an emacs autosave file: #etcd.yaml#',
    build: (dir) => {
      kubeadm(dir);
      put(dir, '#etcd.yaml#', ETCD);
    },
    expect: [error('#etcd.yaml#', 'stray-copy'), ...duplicates('#etcd.yaml#', 'etcd.yaml')],
  },
  {
    name: 'dot-prefixed leftovers (.kube-apiserver.yaml.swp, .etcd.yaml.bak): kubelet ignores them, no finding',
    build: (dir) => {
      kubeadm(dir);
      put(dir, '.kube-apiserver.yaml.swp', Buffer.concat([Buffer.from('b0VIM 9.1'), Buffer.alloc(4087)]));
      put(dir, '.etcd.yaml.bak', ETCD, 0o644);
    },
    expect: [],
  },

  // --- names that hide what they are ----------------------------------------------------------
  {
    name: 'a file name with an escape sequence (OSC set-title, BEL): shown escaped, never raw',
    build: (dir) => {
      kubeadm(dir);
      put(dir, ESCAPE_NAME, pod('title'));
    },
    expect: [warning(ESCAPE_SHOWN, 'name-control-chars')],
    also: ({ result }, dir) => {
      assert.ok(!result.stdout.includes('\x1b') && !result.stdout.includes('\x07'), 'raw control in JSON');
      const text = breakglass(['lint', '--manifests', dir, '--node-name', 'master-1']);
      assert.equal(text.status, 0);
      assert.ok(text.stdout.includes(ESCAPE_SHOWN), text.stdout);
      for (const out of [text.stdout, text.stderr]) {
        assert.ok(!out.includes('\x1b'), 'raw ESC in the text output');
        assert.ok(!out.includes('\x07'), 'raw BEL in the text output');
      }
    },
  },
  {
    name: 'a file name that is not valid UTF-8 (Latin-1 é)',
    build: (dir) => {
      kubeadm(dir);
      put(dir, LATIN1_NAME, pod('latin1'));
    },
    expect: [warning(LATIN1_SHOWN, 'name-encoding')],
  },

  // --- what the filesystem holds --------------------------------------------------------------
  {
    name: 'a symlink to a manifest kept elsewhere: kubelet follows it',
    build: (dir, tmp) => {
      kubeadm(dir, ['kube-scheduler.yaml']);
      fs.mkdirSync(path.join(tmp, 'store'), { mode: 0o700 });
      put(path.join(tmp, 'store'), 'kube-scheduler.yaml', SCHEDULER);
      fs.symlinkSync(path.join(tmp, 'store/kube-scheduler.yaml'), path.join(dir, 'kube-scheduler.yaml'));
    },
    expect: [warning('kube-scheduler.yaml', 'symlink')],
  },
  {
    name: 'a dangling symlink: its target was moved away',
    build: (dir, tmp) => {
      kubeadm(dir, ['kube-scheduler.yaml']);
      fs.symlinkSync(path.join(tmp, 'gone/kube-scheduler.yaml'), path.join(dir, 'kube-scheduler.yaml'));
    },
    expect: [error('kube-scheduler.yaml', 'symlink-dangling')],
  },
  {
    name: 'a subdirectory of backups: kubelet does not read it',
    build: (dir) => {
      kubeadm(dir);
      fs.mkdirSync(path.join(dir, 'backup'), { mode: 0o700 });
      kubeadm(path.join(dir, 'backup'));
    },
    expect: [warning('backup', 'subdirectory')],
  },
  {
    name: 'a FIFO: kubelet skips it (and lint must not block on it)',
    build: (dir) => {
      kubeadm(dir);
      execFileSync('mkfifo', ['-m', '600', path.join(dir, 'audit.fifo')]);
    },
    expect: [warning('audit.fifo', 'not-regular')],
  },
  {
    name: 'a manifest with mode 0644',
    build: (dir) => {
      kubeadm(dir);
      fs.chmodSync(path.join(dir, 'kube-apiserver.yaml'), 0o644);
    },
    expect: [warning('kube-apiserver.yaml', 'mode')],
  },
  {
    name: 'a manifest owned by nobody (uid 65534)',
    build: (dir) => {
      kubeadm(dir);
      fs.chownSync(path.join(dir, 'etcd.yaml'), 65534, 65534);
    },
    expect: [warning('etcd.yaml', 'owner')],
  },
  {
    name: 'the manifest directory with mode 0755',
    build: (dir) => {
      kubeadm(dir);
      fs.chmodSync(dir, 0o755);
    },
    expect: (dir) => [warning(dir, 'dir-mode')],
  },
  {
    name: 'the manifest directory owned by nobody (uid 65534)',
    build: (dir) => {
      kubeadm(dir);
      fs.chownSync(dir, 65534, 65534);
    },
    expect: (dir) => [warning(dir, 'dir-owner')],
  },
  {
    name: 'the manifest directory does not exist: a clear error, exit 1',
    build: (dir) => fs.rmdirSync(dir),
    expect: [],
    exit: 1,
    also: ({ json }, dir) => {
      assert.equal(json.error, `${dir} does not exist`);
      const text = breakglass(['lint', '--manifests', dir, '--node-name', 'master-1']);
      assert.equal(text.status, 1);
      assert.equal(text.stdout, '');
      assert.equal(text.stderr, `breakglass: static pod directory: ${dir} does not exist\n`);
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Running them

function asExpected(f: Finding): Expected {
  const e: Expected = { file: f.file, severity: f.severity, code: f.code };
  if (f.line !== undefined) e.line = f.line;
  if (f.column !== undefined) e.column = f.column;
  return e;
}

function sorted(findings: Expected[]): Expected[] {
  const key = (f: Expected) => [f.file, f.code, f.severity, f.line ?? 0, f.column ?? 0].join('\0');
  return [...findings].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

test('the corpus has at least 30 broken or suspicious directories, each named once', () => {
  const names = CASES.map((c) => c.name);
  assert.equal(new Set(names).size, names.length);
  assert.ok(CASES.length - 1 >= 30, `${CASES.length - 1} cases`);
});

for (const c of CASES) {
  test(c.name, () => {
    const tmp = makeTempDir('breakglass-lint-corpus-');
    try {
      const dir = path.join(tmp, 'manifests');
      fs.mkdirSync(dir, { mode: 0o700 });
      fs.chmodSync(dir, 0o700);
      c.build(dir, tmp);

      const run = breakglassJson<LintJson>(['lint', '--manifests', dir, '--node-name', 'master-1']);
      const expected = typeof c.expect === 'function' ? c.expect(dir) : c.expect;
      const context = `${c.name}\n${run.result.stdout}${run.result.stderr}`;

      assert.equal(run.json.dir, dir);
      assert.deepEqual(sorted(run.json.findings.map(asExpected)), sorted(expected), context);
      for (const f of run.json.findings) {
        assert.ok(f.message.length > 0, `${f.code} has no message`);
        assert.doesNotMatch(f.file, /[\x00-\x1f\x7f-\x9f]/, 'a raw control character in a file name');
      }
      const exit = c.exit ?? (expected.some((f) => f.severity === 'error') ? 1 : 0);
      assert.equal(run.result.status, exit, context);
      assert.doesNotMatch(run.result.stderr, /^\s+at /m, 'a stack trace');
      c.also?.(run, dir);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
}
