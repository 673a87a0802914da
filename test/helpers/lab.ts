// The lab that scripts/test.ts starts for the tests: real dockerd and containerd (CRI) with local images,
// and the lab's control plane (systemd, kubelet.service, static pods) on top.
import { LAB_IMAGES } from '../../scripts/lab/images.js';
import { LAB_ENV_VARIABLES, type LabEnv } from '../../scripts/lab/lab.js';

export type { LabEnv } from '../../scripts/lab/lab.js';

export function labEnv(): LabEnv {
  const value = (key: keyof typeof LAB_ENV_VARIABLES) => process.env[LAB_ENV_VARIABLES[key]];
  const dir = value('dir');
  const dockerSocket = value('dockerSocket');
  const containerdSocket = value('containerdSocket');
  const podLogsDir = value('podLogsDir');
  const nodeRoot = value('nodeRoot');
  const dbusAddress = value('dbusAddress');
  const journalDir = value('journalDir');
  const portOffset = value('portOffset');
  if (!dir || !dockerSocket || !containerdSocket || !podLogsDir || !nodeRoot || !dbusAddress || !journalDir) {
    throw new Error('the lab is not up: run the tests with `npm test`, which starts it (scripts/test.ts)');
  }
  return {
    dir,
    dockerSocket,
    containerdSocket,
    podLogsDir,
    nodeRoot,
    dbusAddress,
    journalDir,
    portOffset: Number(portOffset ?? 0),
    images: { ...LAB_IMAGES },
  };
}

/** The lab when the tests run on one, else null: a suite then skips with `needs the lab (npm test)`. */
export function labOrNull(): LabEnv | null {
  try {
    return labEnv();
  } catch {
    return null;
  }
}
