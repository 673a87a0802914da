// What goes wrong talking to systemd over D-Bus, in one line an operator can act on. Pure.

const SYSTEMD = 'org.freedesktop.systemd1';

export type SystemdErrorReason =
  | 'missing' // no socket, or systemd is not on this bus
  | 'refused' // nothing listens, or the handshake failed
  | 'permission'
  | 'timeout'
  | 'not-found' // no such unit
  | 'job-failed'
  | 'aborted'
  | 'closed' // the connection broke, or the source was closed
  | 'failed';

export class SystemdError extends Error {
  constructor(
    message: string,
    readonly reason: SystemdErrorReason,
  ) {
    super(message);
    this.name = 'SystemdError';
  }
}

/** What a failed call or a broken connection was about, for the message. */
export interface FailureContext {
  address: string;
  /** e.g. 'reading kubelet.service' */
  doing: string;
  /** The unit concerned, for "kubelet.service: unit not found". */
  unit?: string;
  timeoutMs: number;
  /** Whether the D-Bus handshake had completed. */
  handshaken: boolean;
  /** The transport or handshake error that ended the connection, if any. */
  cause?: unknown;
  /** The source was closed by its owner. */
  closedByOwner?: boolean;
}

const ERRNO_WORDS: Record<string, string> = {
  ENOENT: 'no such socket',
  ECONNREFUSED: 'nothing listens on the socket; is dbus running?',
  EACCES: 'permission denied; run as root',
  EPERM: 'operation not permitted; run as root',
  ENOTSOCK: 'not a socket',
  ECONNRESET: 'reset by the peer',
  EPIPE: 'broken pipe',
  ETIMEDOUT: 'timed out',
};

const ERRNO_REASON: Record<string, SystemdErrorReason> = {
  ENOENT: 'missing',
  ENOTSOCK: 'missing',
  ECONNREFUSED: 'refused',
  EACCES: 'permission',
  EPERM: 'permission',
};

/** Any failure of a call (dbus-native's errors, systemd's error replies) as one line for an operator. */
export function describeFailure(err: unknown, ctx: FailureContext): SystemdError {
  const bus = `systemd over D-Bus at ${ctx.address}`;
  const e = (err ?? {}) as { code?: unknown; dbusName?: unknown; message?: unknown; cause?: unknown };
  const message = oneLine(typeof e.message === 'string' ? e.message : String(err));
  if (err instanceof SystemdError) return err;
  if (ctx.closedByOwner) return new SystemdError(`${ctx.doing}: the systemd source was closed`, 'closed');
  if (e.code === 'ETIMEDOUT') {
    return ctx.handshaken
      ? new SystemdError(`${bus} did not answer within ${seconds(ctx.timeoutMs)} (${ctx.doing})`, 'timeout')
      : new SystemdError(
          `${bus} did not answer within ${seconds(ctx.timeoutMs)} (the socket accepts connections but no D-Bus handshake came)`,
          'timeout',
        );
  }
  if (e.code === 'ABORT_ERR') return new SystemdError(`${ctx.doing}: cancelled`, 'aborted');
  if (e.code === 'ECONNCLOSED') return connectionFailure(bus, ctx.cause ?? e.cause, ctx.handshaken);
  switch (e.dbusName) {
    case 'org.freedesktop.systemd1.NoSuchUnit':
      return new SystemdError(`${ctx.unit ?? ctx.doing}: unit not found`, 'not-found');
    case 'org.freedesktop.DBus.Error.ServiceUnknown':
    case 'org.freedesktop.DBus.Error.NameHasNoOwner':
      return new SystemdError(`${bus}: systemd (${SYSTEMD}) is not on this bus`, 'missing');
    case 'org.freedesktop.DBus.Error.AccessDenied':
    case 'org.freedesktop.DBus.Error.InteractiveAuthorizationRequired':
    case 'org.freedesktop.DBus.Error.AuthFailed':
      return new SystemdError(`${ctx.doing}: refused by systemd: ${message}; run as root`, 'permission');
  }
  if (typeof e.dbusName === 'string') {
    return new SystemdError(`${ctx.doing}: ${message} (${e.dbusName})`, 'failed');
  }
  return new SystemdError(`${ctx.doing}: ${message}`, 'failed');
}

/** The connection ended: cannot connect (before the handshake), or broke (after). */
export function connectionFailure(bus: string, cause: unknown, handshaken: boolean): SystemdError {
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
    const words = ERRNO_WORDS[code] ?? oneLine((cause as Error).message ?? '');
    return handshaken
      ? new SystemdError(`${bus}: the connection broke (${code}: ${words})`, 'closed')
      : new SystemdError(`${bus}: cannot connect (${code}: ${words})`, ERRNO_REASON[code] ?? 'refused');
  }
  if (cause instanceof Error) {
    return handshaken
      ? new SystemdError(`${bus}: the connection broke (${oneLine(cause.message)})`, 'closed')
      : new SystemdError(`${bus}: the D-Bus handshake failed (${oneLine(cause.message)})`, 'refused');
  }
  return handshaken
    ? new SystemdError(`${bus}: the bus closed the connection`, 'closed')
    : new SystemdError(`${bus}: the bus closed the connection during the D-Bus handshake`, 'refused');
}

export function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

export function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
