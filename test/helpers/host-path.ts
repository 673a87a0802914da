// A PATH with every command of the host's but some, as on a master that lacks them (kubeadm's masters
// have no etcdctl or etcdutl): a directory of links, removed by the caller.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const HOST_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export function pathWithout(names: string[]): string {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'bg-path-'));
  for (const dir of HOST_PATH) {
    for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
      const link = path.join(bin, name);
      if (!names.includes(name) && !fs.existsSync(link)) fs.symlinkSync(path.join(dir, name), link);
    }
  }
  return bin;
}
