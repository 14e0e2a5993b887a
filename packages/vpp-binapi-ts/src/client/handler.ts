// The contract between the dispatch core (dispatcher.ts, in-flight.ts) and the ways a caller asks
// (api/): the core owns the wire — window, queue, contexts, retvals, the control_ping that ends a
// dump, timeouts, the session's loss — and hands each request's outcome to the handler it was
// dispatched with, as undici's dispatcher does. A handler owns what its caller gets: a promise, a
// callback, details collected or passed on.
//
// Every call carries the `token` the request was dispatched with, so that one handler object can
// serve a whole bulk stream (requestAckTo: a million writes, one handler, no allocation each).
import type { MessageDef } from './types.js';

export interface RequestHandler {
  /** A dump: details until the control_ping_reply the core sends after the request, which ends it. */
  readonly stream: boolean;
  /** onReply gets the decoded reply; else undefined (only the retval mattered, read in place). */
  readonly decodesReply: boolean;
  /**
   * The caller's fields are lent for the call only (the caller reuses its object): a request
   * that waits for window space keeps a copy, and errors carry no fields.
   */
  readonly borrowsFields: boolean;
  /** The request completed: its reply (decodesReply) or, for a stream, the end of its details. */
  onReply(token: number, reply: unknown): void;
  /**
   * A stream's detail, `buf[start, end)` (message id first), valid during the call only; `def`
   * is its definition. Returns why the bytes are malformed (the session then fails), or nothing.
   */
  onDetail?(token: number, buf: Buffer, start: number, end: number, def: MessageDef): string | undefined;
  /** The request failed: refused (retval), timed out, lost with the session, not sendable. */
  onError(token: number, err: Error): void;
}
