// Whether a file system has room for an etcd snapshot: at least twice the database's size free (the
// snapshot is about its size; twice leaves room for it to grow while it streams), and never less than
// 10 % of the file system free after it, so a snapshot cannot be what fills the node's disk. Pure.

export interface SpaceFacts {
  /** Bytes free to an unprivileged writer (statfs f_bavail). */
  free: number;
  /** The file system's size in bytes. */
  total: number;
  /** etcd's database size (Maintenance.Status dbSize). */
  dbSize: number;
}

export const MIN_FREE_AFTER = 0.1;

/** null when there is room; else the sentence that says why not. */
export function snapshotSpaceRefusal(dir: string, s: SpaceFacts): string | null {
  if (s.free < 2 * s.dbSize) {
    return `not enough space in ${dir} for an etcd snapshot: ${bytes(s.free)} free, twice the database (${bytes(s.dbSize)}) is needed`;
  }
  const after = s.free - s.dbSize;
  if (after < MIN_FREE_AFTER * s.total) {
    return `an etcd snapshot (${bytes(s.dbSize)}) would leave ${bytes(after)} free in ${dir}, less than 10 % of its ${bytes(s.total)}`;
  }
  return null;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
