// The client's errors, one class each, with a stable `code` (as Node's system errors have):
// callers tell them apart by class (instanceof) or code, never by name or message text.
import { retvalName } from '../errors.js';

export type VppErrorCode = 'VPP_ERROR' | 'VPP_RETVAL' | 'VPP_TIMEOUT' | 'VPP_DISCONNECTED' | 'VPP_CRC_MISMATCH' | 'VPP_UNAVAILABLE' | 'VPP_PROTOCOL';

export class VppError extends Error {
  override name = 'VppError';
  readonly code: VppErrorCode = 'VPP_ERROR';
}

/** A reply carried a negative retval: VPP refused the request. */
export class VppRetvalError extends VppError {
  override name = 'VppRetvalError';
  override readonly code = 'VPP_RETVAL';
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

/**
 * No reply within the timeout. Not a refusal: VPP may have applied the request, or may yet (its
 * reply, should it come, is dropped), so what it did is unknown.
 */
export class VppTimeoutError extends VppError {
  override name = 'VppTimeoutError';
  override readonly code = 'VPP_TIMEOUT';
  constructor(readonly messageName: string, readonly timeoutMs: number, readonly request: unknown) {
    super(`${messageName}: no reply from VPP within ${timeoutMs} ms`);
  }
}

/** The session ended (socket lost, malformed data, close()) before the reply came. */
export class VppDisconnectedError extends VppError {
  override name = 'VppDisconnectedError';
  override readonly code = 'VPP_DISCONNECTED';
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
  override readonly code = 'VPP_CRC_MISMATCH';
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
  override readonly code = 'VPP_UNAVAILABLE';
}

export class VppProtocolError extends VppError {
  override name = 'VppProtocolError';
  override readonly code = 'VPP_PROTOCOL';
}
