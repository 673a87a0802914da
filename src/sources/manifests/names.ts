// What a manifest file name says about the file, before its content is read. Pure.

export interface StrayCopy {
  /** Why the name looks like a copy or a leftover, in the operator's words. */
  reason: string;
}

const BACKUP_SUFFIX =
  /\.(bak|backup|bk|orig|old|save|sav|prev|previous|copy|disabled|disable|off|tmp|temp|swp|swo|swx|rej|dpkg-old|dpkg-dist|dpkg-new|dpkg-bak|rpmsave|rpmnew|rpmorig|ucf-old|ucf-dist)$/i;
const BACKUP_WORD = /(^|[-_. ])(bak|backup|orig|old|copy|save|disabled)([-_. ]|\d|$)/i;
const MANIFEST_EXTENSION = /\.(ya?ml|json)$/i;

export function strayCopy(name: string): StrayCopy | null {
  if (name.endsWith('~')) return { reason: 'editor backup (ends with ~)' };
  if (/^#.*#$/.test(name)) return { reason: 'emacs autosave file' };
  if (name === '4913') return { reason: "vim's write-test file (4913)" };
  if (/^\d+$/.test(name)) return { reason: 'name is only digits, like an editor probe file' };
  const suffix = BACKUP_SUFFIX.exec(name);
  if (suffix) return { reason: `backup or leftover (.${suffix[1]})` };
  if (/\.(ya?ml|json)\.\d+$/i.test(name))
    return { reason: 'temporary file of an atomic write (name.yaml.<digits>)' };
  if (/\.(ya?ml|json)[-_.]\S+$/i.test(name)) return { reason: 'copy with a suffix after the extension' };
  const stem = name.replace(MANIFEST_EXTENSION, '');
  const word = BACKUP_WORD.exec(stem);
  if (word) return { reason: `copy or backup ("${word[2]}" in the name)` };
  if (/\(\d+\)|\bcopy\b/i.test(stem)) return { reason: 'copy made by a file manager' };
  return null;
}

export function hasManifestExtension(name: string): boolean {
  return MANIFEST_EXTENSION.test(name);
}
