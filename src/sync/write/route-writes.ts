// One route write at a time as a request of the bulk route encoder (vpp-binapi-ts, bulk/): the request
// object is reused (a client reads it during its call only) and a path array's bytes are encoded
// once. VppAdapter and the dry run write through it, so both send the same bytes.
import type { MessageDef } from 'vpp-binapi-ts';
import { routeRequestDef, type RouteRequest, type RouteRequestDef } from 'vpp-binapi-ts';
import type { Prefix } from '../../route/types.js';
import { v4Prefix } from '../../route/prefix.js';
import { pathFields } from '../vpp/vpp-fields.js';
import type { VppPath } from '../vpp/vpp-port.js';

const NO_PATHS: Buffer = Buffer.alloc(0);

export class RouteWrites {
  readonly def: RouteRequestDef;
  private readonly pathCache = new WeakMap<readonly VppPath[], Buffer>();
  private readonly req: RouteRequest = { client_index: 0, context: 0, is_add: true, table: 0, prefix: v4Prefix(0, 0), src: 0, paths: NO_PATHS };

  constructor(gen: MessageDef) {
    this.def = routeRequestDef(gen);
  }

  /**
   * The request for a replace (paths) or delete (null), `prefix` as it is (the encoder reads its
   * words); throws when the paths cannot be encoded.
   */
  request(table: number, prefix: Prefix, paths: readonly VppPath[] | null, src: number): RouteRequest {
    let bytes: Buffer = NO_PATHS;
    if (paths !== null) {
      const cached = this.pathCache.get(paths);
      if (cached) bytes = cached;
      else this.pathCache.set(paths, (bytes = this.def.pathBytes(paths.map(pathFields))));
    }
    const r = this.req;
    r.is_add = paths !== null;
    r.table = table;
    r.prefix = prefix;
    r.src = src;
    r.paths = bytes;
    return r;
  }
}
