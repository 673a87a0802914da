// The layers of src/ as ARCHITECTURE.md draws them, checked on the source itself: which folder may
// import which, the write sides reachable only from src/ops, the command layer imported by nothing but
// the entry point, no import cycle (type-only imports included), pure folders free of I/O and React.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../helpers/paths.js';

const SRC = path.join(REPO_ROOT, 'src');

interface Import {
  from: string;
  /** Resolved to a file under src/ (.ts/.tsx), or the bare specifier ('node:fs', 'ink'). */
  to: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.tsx?$/.test(e.name) ? [p] : [];
  });
}

const IMPORT = /^(import|export)\s+(type\s+)?[^'"]*?\bfrom\s+['"]([^'"]+)['"]|^import\s+['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): Import[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: Import[] = [];
  const add = (spec: string, typeOnly: boolean) => {
    if (!spec.startsWith('.')) return out.push({ from: file, to: spec, typeOnly });
    const resolved = path.resolve(path.dirname(file), spec).replace(/\.js$/, '');
    const to = [`${resolved}.ts`, `${resolved}.tsx`].find((p) => fs.existsSync(p));
    assert.ok(to, `${rel(file)} imports ${spec}, which is no file under src/`);
    out.push({ from: file, to, typeOnly });
  };
  for (const m of text.matchAll(IMPORT)) add((m[3] ?? m[4])!, Boolean(m[2]));
  for (const m of text.matchAll(DYNAMIC)) add(m[1]!, false);
  return out;
}

const rel = (file: string) => path.relative(SRC, file);
/** The folder under src/ a file belongs to: 'model', 'sources', ...; the entry point is 'entry'. */
const layerOf = (file: string) => (rel(file).includes('/') ? rel(file).split('/')[0]! : 'entry');

const FILES = sourceFiles(SRC);
const IMPORTS = FILES.flatMap(importsOf);
const LOCAL = IMPORTS.filter((i) => i.to.startsWith(SRC));

/** What each folder may import at run time (type-only imports may also reach `types`). */
const MAY_IMPORT: Record<string, { values: string[]; types?: string[] }> = {
  util: { values: ['util'] },
  clients: { values: ['clients', 'util'] },
  node: { values: ['node', 'util'], types: ['sources'] },
  sources: { values: ['sources', 'clients', 'node', 'util'] },
  model: { values: ['model', 'node', 'util'], types: ['sources'] },
  ops: { values: ['ops', 'clients', 'sources', 'node', 'util'] },
  store: { values: ['store', 'model', 'sources', 'clients', 'node', 'util'], types: ['procedures'] },
  procedures: { values: ['procedures', 'ops', 'model', 'sources', 'node', 'util'] },
  ui: { values: ['ui', 'model', 'store', 'procedures', 'node', 'util'], types: ['sources'] },
  cli: { values: ['cli', 'ui', 'store', 'procedures', 'ops', 'model', 'sources', 'clients', 'node', 'util'] },
  entry: { values: ['cli'] },
};

test('each folder imports only the layers below it', () => {
  const wrong = LOCAL.filter((i) => {
    const rules = MAY_IMPORT[layerOf(i.from)];
    assert.ok(rules, `${rel(i.from)}: a folder ARCHITECTURE.md does not know`);
    const target = layerOf(i.to);
    return !(rules.values.includes(target) || (i.typeOnly && rules.types?.includes(target)));
  });
  assert.deepEqual(
    wrong.map((i) => `${rel(i.from)} -> ${rel(i.to)}${i.typeOnly ? ' (type)' : ''}`),
    [],
  );
});

test('the command layer is imported by the entry point only', () => {
  const intoCli = LOCAL.filter((i) => layerOf(i.to) === 'cli' && !['cli', 'entry'].includes(layerOf(i.from)));
  assert.deepEqual(
    intoCli.map((i) => rel(i.from)),
    [],
  );
});

test('the write sides of the runtime and of systemd are reached from src/ops only', () => {
  const control = LOCAL.filter((i) => rel(i.to).startsWith('ops/control/') && layerOf(i.from) !== 'ops');
  assert.deepEqual(
    control.map((i) => `${rel(i.from)} -> ${rel(i.to)}`),
    [],
  );
});

test('the pure folders do no I/O and render nothing', () => {
  const pure = IMPORTS.filter(
    (i) =>
      !i.typeOnly &&
      (layerOf(i.from) === 'model' || rel(i.from).startsWith('ui/state/')) &&
      !i.to.startsWith(SRC),
  );
  assert.deepEqual(
    pure.map((i) => `${rel(i.from)} -> ${i.to}`),
    [],
  );
});

test('no import cycle, type-only imports included', () => {
  const edges = new Map<string, string[]>();
  for (const i of LOCAL) edges.set(i.from, [...(edges.get(i.from) ?? []), i.to]);
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (file: string, trail: string[]) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      cycles.push([...trail.slice(trail.indexOf(file)), file].map(rel).join(' -> '));
      return;
    }
    state.set(file, 'open');
    for (const next of edges.get(file) ?? []) visit(next, [...trail, file]);
    state.set(file, 'done');
  };
  for (const file of FILES) visit(file, []);
  assert.deepEqual(cycles, []);
});

test('files stay about 400 lines at most', () => {
  const long = FILES.map((f) => ({ f, lines: fs.readFileSync(f, 'utf8').split('\n').length })).filter(
    (x) => x.lines > 420,
  );
  assert.deepEqual(
    long.map((x) => `${rel(x.f)}: ${x.lines} lines`),
    [],
  );
});
