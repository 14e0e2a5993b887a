// The dispatch core: every request, whatever way its caller asked (api/), goes through dispatch()
// with the handler that gets its outcome (handler.ts). Here: the window (requests past it wait in
// order), the encoding straight into the session's write buffer, the control_ping after a dump,
// and the matching of what comes back (in-flight.ts). The session itself is connection.ts's.
import { VppDisconnectedError, VppUnavailableError } from './errors.js';
import type { RequestHandler } from './handler.js';
import { InFlight, type ReplyOutcome } from './in-flight.js';
import type { Connection } from './connection.js';
import type { MessageTable } from './message-table.js';
import type { RequestStat } from './request-stats.js';
import type { MessageDef, VppLogger } from './types.js';
import { Fifo } from '../fifo.js';

interface Queued {
  def: MessageDef;
  fields: any;
  handler: RequestHandler;
  token: number;
}

export class Dispatcher {
  private readonly flight: InFlight;
  /** Requests past the window, oldest first (bounded by the caller: see room). */
  private readonly queue = new Fifo<Queued>();

  constructor(
    private readonly conn: Connection,
    readonly window: number,
    log: VppLogger,
    /** A handler (the caller's code) threw: logged by the client, the session goes on. */
    private readonly threw: (e: unknown) => void,
    now: () => number,
  ) {
    this.flight = new InFlight(window, log, threw, now);
  }

  /** Requests sent and not yet answered. */
  get inflight(): number {
    return this.flight.count;
  }

  /** Requests waiting for window space. */
  get queued(): number {
    return this.queue.size;
  }

  /** Requests that can be sent now without waiting for window space. */
  get room(): number {
    return this.conn.ready && this.queue.size === 0 ? this.window - this.flight.count : 0;
  }

  /** Sends `def` with `fields` (or queues it behind the window); its outcome goes to `handler` with `token`. */
  dispatch(def: MessageDef, fields: any, handler: RequestHandler, token: number): void {
    if (!this.conn.ready) {
      this.fail(handler, token, new VppDisconnectedError(def.name, this.conn.closing ? 'client closed' : 'not connected'));
      return;
    }
    if (this.flight.count >= this.window || this.queue.size > 0) {
      // a borrowing caller may rewrite its object, nested fields included, once the call returns
      this.queue.push({ def, fields: handler.borrowsFields ? structuredClone(fields) : fields, handler, token });
      return;
    }
    this.send(def, fields, handler, token);
  }

  private send(def: MessageDef, fields: any, handler: RequestHandler, token: number): void {
    const msgs = this.conn.msgs!;
    const [id, replyId] = msgs.ids(def);
    if (id < 0 || replyId < 0) {
      this.fail(handler, token, new VppUnavailableError(`${def.key} is not offered by this VPP (or not known to the client)`));
      return;
    }
    const ctx = this.flight.freeContext();
    const clientIndex = this.conn.clientIndex;
    // The session's own fields go into the caller's object (no copy per request on the fast
    // path); a frozen object gets a copy.
    let msg = fields;
    try {
      msg.client_index = clientIndex;
      msg.context = ctx;
    } catch {
      msg = { ...fields, client_index: clientIndex, context: ctx };
    }
    const writer = this.conn.writer;
    try {
      const size = def.size(msg);
      const at = writer.reserve(size);
      try {
        def.encodeInto(writer.buffer, at, id, msg);
      } catch (err) {
        writer.unreserve(size);
        throw err;
      }
    } catch (err) {
      this.fail(handler, token, err as Error);
      return;
    }
    if (handler.stream) {
      const at = writer.reserve(10);
      const b = writer.buffer;
      b.writeUInt16BE(msgs.pingId, at);
      b.writeUInt32BE(clientIndex >>> 0, at + 2);
      b.writeUInt32BE(ctx, at + 6);
    }
    this.flight.add(ctx, def, fields, handler, token, replyId);
  }

  /** A reply, detail or ping reply of the session: to its request; queued ones go out as room frees. */
  reply(buf: Buffer, s: number, e: number, id: number, kind: number, msgs: MessageTable): ReplyOutcome {
    const r = this.flight.reply(buf, s, e, id, kind, msgs);
    if (r === true) this.drain();
    return r;
  }

  /** Sends what waited for window space, as far as the window allows. */
  drain(): void {
    const q = this.queue;
    // runs after every reply: with nothing queued, leave at once (and allocate nothing)
    while (q.size > 0 && this.flight.count < this.window && this.conn.ready) {
      const item = q.shift()!;
      this.send(item.def, item.fields, item.handler, item.token);
    }
  }

  /** The session ended: every request in flight or queued fails with VppDisconnectedError. */
  lost(reason: string): void {
    this.flight.failAll((name) => new VppDisconnectedError(name, reason));
    this.queue.drain((item) => this.fail(item.handler, item.token, new VppDisconnectedError(item.def.name, reason)));
  }

  /** Requests sent before `limit` (ms) fail with a timeout; how many did. */
  expire(limit: number, timeoutMs: number): number {
    return this.flight.expire(limit, timeoutMs);
  }

  /** The time until now was not VPP's (the socket was not read): requests in flight wait afresh. */
  restartClocks(): void {
    this.flight.restartClocks();
  }

  requestStats(): ReadonlyMap<string, RequestStat> {
    return this.flight.requestStats();
  }

  /** A request that never went out: its handler hears why at once. */
  private fail(handler: RequestHandler, token: number, err: Error): void {
    try {
      handler.onError(token, err);
    } catch (e) {
      this.threw(e);
    }
  }
}
