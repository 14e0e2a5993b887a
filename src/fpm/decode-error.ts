// Thrown inside the decoders on malformed or unusable input and caught per message by the
// session decoder, which turns it into an error event: bounds checks stay one line each.
import type { RouteIdentity, UnusableKind } from '../route/types.js';

export class DecodeError extends Error {
  /** Set by the route decoder once it knows which route the message was about. */
  route?: RouteIdentity;
  /** Set by the LSP decoder once it knows the incoming label. */
  lsp?: { label: number; op: 'add' | 'del' };
  /** Set by the nexthop decoder once it knows the id: routes naming it cannot be installed. */
  nexthopId?: number;

  constructor(reason: string, readonly what: UnusableKind = 'malformed') {
    super(reason);
    this.name = 'DecodeError';
  }
}
