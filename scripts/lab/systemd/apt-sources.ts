// The Debian mirror debootstrap fetches from, read from this machine's apt configuration (one-line
// sources.list files and deb822 *.sources alike).
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The suite the lab's systemd root file system is built from. */
export const DEBIAN_SUITE = 'bookworm';
const APT_SOURCES_LIST = '/etc/apt/sources.list';
const APT_SOURCES_DIR = '/etc/apt/sources.list.d';

export interface AptSource {
  types: string[];
  uris: string[];
  suites: string[];
  components: string[];
}

/** One-line style: `deb [ options ] uri suite [component...]`; comments and other types are dropped. */
export function parseOneLineSources(text: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine
      .replace(/#.*/, '')
      .replace(/\[[^\]]*\]/, ' ')
      .trim();
    const [type, uri, suite, ...components] = line.split(/\s+/);
    if (!type || !uri || !suite) continue;
    sources.push({ types: [type], uris: [uri], suites: [suite], components });
  }
  return sources;
}

/** deb822 style (*.sources): stanzas of `Field: value` separated by blank lines; `Enabled: no` drops one. */
export function parseDeb822Sources(text: string): AptSource[] {
  const stanzas = text
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .join('\n')
    .split(/\n\s*\n/);
  return stanzas.map(parseDeb822Stanza).filter((source): source is AptSource => source !== null);
}

function parseDeb822Stanza(stanza: string): AptSource | null {
  const fields = new Map<string, string>();
  let current = '';
  for (const line of stanza.split('\n')) {
    if (/^\s/.test(line) && current) fields.set(current, `${fields.get(current)} ${line.trim()}`);
    const match = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
    if (!match) continue;
    current = match[1]!.toLowerCase();
    fields.set(current, match[2]!.trim());
  }
  if (fields.get('enabled')?.toLowerCase() === 'no' || !fields.has('uris')) return null;
  const words = (name: string) => (fields.get(name) ?? '').split(/\s+/).filter(Boolean);
  return {
    types: words('types'),
    uris: words('uris'),
    suites: words('suites'),
    components: words('components'),
  };
}

/** Debian's main archive: the first `deb` source that serves `<suite> main`. */
export function findDebianMirror(sources: AptSource[], suite = DEBIAN_SUITE): string | null {
  const found = sources.find(
    (s) => s.types.includes('deb') && s.suites.includes(suite) && s.components.includes('main'),
  );
  return found?.uris[0] ?? null;
}

/** apt's own order: sources.list, then sources.list.d's *.list and *.sources by name. */
export function readAptSources(): AptSource[] {
  const files = fs.existsSync(APT_SOURCES_DIR)
    ? fs
        .readdirSync(APT_SOURCES_DIR)
        .filter((name) => name.endsWith('.list') || name.endsWith('.sources'))
        .sort()
        .map((name) => path.join(APT_SOURCES_DIR, name))
    : [];
  return [APT_SOURCES_LIST, ...files].flatMap((file) => {
    if (!fs.existsSync(file)) return [];
    const text = fs.readFileSync(file, 'utf8');
    return file.endsWith('.sources') ? parseDeb822Sources(text) : parseOneLineSources(text);
  });
}

export function debianMirror(): string {
  const mirror = findDebianMirror(readAptSources());
  if (!mirror) {
    throw new Error(
      `no apt source serves "${DEBIAN_SUITE} main" in ${APT_SOURCES_LIST} or ${APT_SOURCES_DIR}: debootstrap needs Debian's mirror`,
    );
  }
  return mirror;
}
