/** A container runtime call that failed: one line for `status`, and the rest of status still works. */
export class RuntimeError extends Error {
  constructor(
    message: string,
    readonly reason: 'missing' | 'permission' | 'timeout' | 'unsupported' | 'refused' | 'failed',
  ) {
    super(message);
    this.name = 'RuntimeError';
  }
}
