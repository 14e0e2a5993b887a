import { retvalName } from '../errors.js';

export class VppError extends Error {
  override name = 'VppError';
}

/** A reply carried a negative retval. */
export class VppRetvalError extends VppError {
  override name = 'VppRetvalError';
  readonly retvalName: string | undefined;
  constructor(
    readonly messageName: string,
    readonly retval: number,
    readonly request: unknown,
  ) {
    const rn = retvalName(retval);
    super(`${messageName}: VPP returned ${retval}${rn ? ` (${rn})` : ''}`);
    this.retvalName = rn;
  }
}

export class VppTimeoutError extends VppError {
  override name = 'VppTimeoutError';
  constructor(readonly messageName: string, readonly timeoutMs: number, readonly request: unknown) {
    super(`${messageName}: no reply from VPP within ${timeoutMs} ms`);
  }
}

/** The session ended (socket lost, malformed data, close()) before the reply came. */
export class VppDisconnectedError extends VppError {
  override name = 'VppDisconnectedError';
  constructor(readonly messageName: string, readonly reason: string) {
    super(`${messageName}: VPP session lost before the reply (${reason})`);
  }
}

export interface CrcMismatch {
  name: string;
  ours: string;
  /** name_crc entries VPP offers for that name; empty when it offers none. */
  offered: string[];
}

export class VppCrcMismatchError extends VppError {
  override name = 'VppCrcMismatchError';
  constructor(readonly mismatches: CrcMismatch[]) {
    super(
      'VPP API mismatch: ' +
        mismatches
          .map((m) => `${m.name}: ours ${m.ours}, VPP offers ${m.offered.length ? m.offered.join(', ') : 'not offered at all'}`)
          .join('; '),
    );
  }
}

/** A message the caller did not list as required/optional, or an optional one VPP lacks. */
export class VppUnavailableError extends VppError {
  override name = 'VppUnavailableError';
}

export class VppProtocolError extends VppError {
  override name = 'VppProtocolError';
}
