// The lab that scripts/test.ts starts for the tests: real dockerd and containerd (CRI) with local images.
import { LAB_IMAGES } from '../../scripts/lab/images.js';
import { LAB_ENV_VARIABLES, type LabEnv } from '../../scripts/lab/lab.js';

export type { LabEnv } from '../../scripts/lab/lab.js';

export function labEnv(): LabEnv {
  const dir = process.env[LAB_ENV_VARIABLES.dir];
  const dockerSocket = process.env[LAB_ENV_VARIABLES.dockerSocket];
  const containerdSocket = process.env[LAB_ENV_VARIABLES.containerdSocket];
  const podLogsDir = process.env[LAB_ENV_VARIABLES.podLogsDir];
  if (!dir || !dockerSocket || !containerdSocket || !podLogsDir) {
    throw new Error('the lab is not up: run the tests with `npm test`, which starts it (scripts/test.ts)');
  }
  return { dir, dockerSocket, containerdSocket, podLogsDir, images: { ...LAB_IMAGES } };
}
