// The client's errors, one class each, with a stable `code` (as Node's system errors have):
// callers tell them apart with the predicates at the end (isDisconnected(err), …), which read the
// code, so that they hold across two copies of the package (a duplicate install, where instanceof
// fails); never by name or message text.
import { retvalName } from '../errors.js';
import { codeOf, hasCode } from '../error-code.js';

export type VppErrorCode = 'VPP_ERROR' | 'VPP_RETVAL' | 'VPP_TIMEOUT' | 'VPP_DISCONNECTED' | 'VPP_CRC_MISMATCH' | 'VPP_UNAVAILABLE' | 'VPP_PROTOCOL';
const VPP_ERROR_CODES: ReadonlySet<unknown> = new Set<VppErrorCode>(['VPP_ERROR', 'VPP_RETVAL', 'VPP_TIMEOUT', 'VPP_DISCONNECTED', 'VPP_CRC_MISMATCH', 'VPP_UNAVAILABLE', 'VPP_PROTOCOL']);

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

/** Any of the client's errors (a VppError of this or another copy of the package). */
export function isVppError(err: unknown): err is VppError {
  return VPP_ERROR_CODES.has(codeOf(err));
}

/** VPP refused the request (a negative retval): `retval`, `retvalName`. */
export const isRetvalError = hasCode<VppRetvalError>('VPP_RETVAL');
/** No reply in time: VPP may have done it or not. */
export const isTimeout = hasCode<VppTimeoutError>('VPP_TIMEOUT');
/** The session ended before the reply (or there was none). */
export const isDisconnected = hasCode<VppDisconnectedError>('VPP_DISCONNECTED');
/** connect(): VPP speaks another version of a required message. */
export const isCrcMismatch = hasCode<VppCrcMismatchError>('VPP_CRC_MISMATCH');
/** The message is not offered by this VPP (or not known to the client). */
export const isUnavailable = hasCode<VppUnavailableError>('VPP_UNAVAILABLE');
/** VPP sent something the protocol does not allow. */
export const isProtocolError = hasCode<VppProtocolError>('VPP_PROTOCOL');
