// Errors a QMP conversation can end in. QEMU's own failures keep its `class` and `desc`
// untouched: operators search QEMU's sources and mailing lists for the exact text.

/** QEMU answered `{"error": {"class", "desc"}}`; `message` is `desc` verbatim. */
export class QmpCommandError extends Error {
  constructor(
    readonly command: string,
    readonly errorClass: string,
    readonly desc: string,
  ) {
    super(desc);
    this.name = 'QmpCommandError';
  }
}

/** The socket closed (QEMU quit or died) while a command or a wait was outstanding. */
export class QmpConnectionClosedError extends Error {
  constructor(
    readonly reason: string,
    readonly command?: string,
  ) {
    super(
      command
        ? `QMP connection closed before "${command}" was answered: ${reason}`
        : `QMP connection closed: ${reason}`,
    );
    this.name = 'QmpConnectionClosedError';
  }
}

export class QmpTimeoutError extends Error {
  constructor(
    readonly waitingFor: string,
    readonly timeoutMs: number,
  ) {
    super(`no ${waitingFor} within ${timeoutMs} ms`);
    this.name = 'QmpTimeoutError';
  }
}

/** QEMU sent something that is not QMP (or the greeting never came). */
export class QmpProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QmpProtocolError';
  }
}
