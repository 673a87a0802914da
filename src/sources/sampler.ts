// The loop every sampling source shares: read now, then again `intervalMs` after each read ends, so
// reads never overlap however slow the node is; failures in plain words; nothing reported after close().
import { plainError } from '../util/timeout.js';

export interface Sampler {
  close(): void;
}

export function sampleEvery<T>(
  intervalMs: number,
  read: () => Promise<T>,
  onSample: (sample: T) => void,
  onError: (error: Error) => void,
): Sampler {
  let closed = false;
  let timer: NodeJS.Timeout | null = null;
  const loop = async () => {
    try {
      const sample = await read();
      if (!closed) onSample(sample);
    } catch (error) {
      if (!closed) onError(plainError(error));
    }
    if (!closed) timer = setTimeout(loop, intervalMs);
  };
  void loop();
  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
    },
  };
}
