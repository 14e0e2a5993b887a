// Requests sent and not yet answered: a ring of slots indexed by context & mask, each holding the
// handler its request was dispatched with (handler.ts), so that the hot path allocates nothing
// per request. Replies, details and the control_ping that ends a dump are matched to their slot
// by context and handed to the handler; requests that wait too long fail with a timeout.
// Completed requests are counted by message (request-stats.ts).
import { VppRetvalError, VppTimeoutError } from './errors.js';
import type { RequestHandler } from './handler.js';
import { K_PING_REPLY, K_REPLY, type MessageTable } from './message-table.js';
import { mergeStats, newRequestStat, record, resultOf, type RequestStat } from './request-stats.js';
import type { MessageDef, VppLogger } from './types.js';

/** What a reply did: the request it answered completed, or nothing changed, or the stream is broken (why). */
export type ReplyOutcome = true | false | string;

export class InFlight {
  readonly mask: number;
  /** The request's handler; undefined: the slot is free. */
  private readonly sHandler: (RequestHandler | undefined)[];
  private readonly sCtx: Float64Array;
  /** The number the request was dispatched with, handed back to its handler. */
  private readonly sToken: Float64Array;
  private readonly sReplyId: Uint16Array;
  /** When the request was sent, or a dump's last detail came: what its timeout counts from. */
  private readonly sSent: Float64Array;
  /** performance.now() at send, for the latency histogram. */
  private readonly sStart: Float64Array;
  private readonly sDef: (MessageDef | undefined)[];
  /** The request's fields, for its error (none for a handler that only borrowed them). */
  private readonly sFields: unknown[];
  private nextContext = 1;
  /** Requests in flight. */
  count = 0;
  private readonly stats = new Map<MessageDef, RequestStat>();

  constructor(
    window: number,
    private readonly log: VppLogger,
    private readonly threw: (e: unknown) => void,
    /** Monotonic milliseconds: what a request's wait is measured on (see VppClientOptions.now). */
    private readonly clock: () => number,
  ) {
    let cap = 1024;
    while (cap < window * 4) cap *= 2;
    this.mask = cap - 1;
    this.sHandler = new Array(cap).fill(undefined);
    this.sCtx = new Float64Array(cap);
    this.sToken = new Float64Array(cap);
    this.sReplyId = new Uint16Array(cap);
    this.sSent = new Float64Array(cap);
    this.sStart = new Float64Array(cap);
    this.sDef = new Array(cap).fill(undefined);
    this.sFields = new Array(cap).fill(undefined);
  }

  /** The context the next add() takes: its slot is free. */
  freeContext(): number {
    let ctx = this.nextContext;
    while (this.sHandler[ctx & this.mask] !== undefined) ctx = ctx >= 0xffff_ffff ? 1 : ctx + 1;
    this.nextContext = ctx;
    return ctx;
  }

  /** Records a request sent with context `ctx` (from freeContext()), answered by message `replyId`. */
  add(ctx: number, def: MessageDef, fields: unknown, handler: RequestHandler, token: number, replyId: number): void {
    const slot = ctx & this.mask;
    this.nextContext = ctx >= 0xffff_ffff ? 1 : ctx + 1;
    this.sHandler[slot] = handler;
    this.sCtx[slot] = ctx;
    this.sToken[slot] = token;
    this.sReplyId[slot] = replyId;
    this.sSent[slot] = this.now();
    this.sStart[slot] = this.nowHr;
    this.sDef[slot] = def;
    this.sFields[slot] = handler.borrowsFields ? undefined : fields;
    this.count++;
  }

  /**
   * A reply, detail or ping reply (`kind`, message `id`, context at s+2): delivered to its
   * request's handler. Returns true when a request completed (the window has room again).
   */
  reply(buf: Buffer, s: number, e: number, id: number, kind: number, msgs: MessageTable): ReplyOutcome {
    if (e - s < 6) return `message id ${id} truncated at ${e - s} bytes`;
    const ctx = buf.readUInt32BE(s + 2);
    const slot = ctx & this.mask;
    const h = this.sHandler[slot];
    if (h === undefined || this.sCtx[slot] !== ctx) {
      // A reply to a request that already timed out.
      this.log.debug({ msgId: id, context: ctx }, 'vpp reply for no pending request');
      return false;
    }
    if (h.stream) {
      if (kind === K_PING_REPLY) return this.complete(slot, h, undefined);
      if (id !== this.sReplyId[slot]) {
        // A "_get" stream (lcp_itf_pair_get) ends its details with its own reply before our ping.
        if (kind === K_REPLY && msgs.defById[id]?.name === `${this.sDef[slot]!.name}_reply`) {
          const rv = e - s >= 10 ? buf.readInt32BE(s + 6) : 0;
          if (rv >= 0) return false;
          this.failSlot(slot, new VppRetvalError(this.sDef[slot]!.name, rv, this.sFields[slot]));
          return true;
        }
        return this.unexpected(id, ctx, msgs);
      }
      // A long dump is alive while details keep coming: its timeout counts from the last one.
      this.sSent[slot] = this.now();
      try {
        return h.onDetail!(this.sToken[slot]!, buf, s, e, msgs.defById[id]!) ?? false;
      } catch (err) {
        this.threw(err);
        return false;
      }
    }
    if (id !== this.sReplyId[slot]) return this.unexpected(id, ctx, msgs);
    if (e - s < 10) return `${msgs.defById[id]?.name ?? id} truncated at ${e - s} bytes`;
    const rv = buf.readInt32BE(s + 6);
    if (rv < 0) {
      this.failSlot(slot, new VppRetvalError(this.sDef[slot]!.name, rv, this.sFields[slot]));
      return true;
    }
    if (!h.decodesReply) return this.complete(slot, h, undefined);
    let reply: unknown;
    try {
      reply = msgs.defById[id]!.decode(buf, s, e);
    } catch (err) {
      return `cannot decode ${msgs.defById[id]!.name}: ${(err as Error).message}`;
    }
    return this.complete(slot, h, reply);
  }

  private complete(slot: number, h: RequestHandler, reply: unknown): true {
    const token = this.sToken[slot]!;
    this.release(slot, 'ok');
    try {
      h.onReply(token, reply);
    } catch (err) {
      this.threw(err);
    }
    return true;
  }

  private unexpected(id: number, ctx: number, msgs: MessageTable): string {
    return `got ${msgs.defById[id]?.name ?? `id ${id}`} for context ${ctx}, which awaits the reply to ${this.sDef[ctx & this.mask]?.name}`;
  }

  /** Every request in flight fails with the error `err(name)` makes. */
  failAll(err: (name: string) => Error): void {
    for (let slot = 0; slot <= this.mask; slot++) {
      if (this.sHandler[slot] !== undefined) this.failSlot(slot, err(this.sDef[slot]!.name));
    }
    this.count = 0;
  }

  /** Requests sent before `limit` (ms) fail with a timeout; how many did. */
  expire(limit: number, timeoutMs: number): number {
    let n = 0;
    let first: { message: string; context: number } | null = null;
    for (let slot = 0; slot <= this.mask; slot++) {
      if (this.sHandler[slot] === undefined || this.sSent[slot]! > limit) continue;
      const def = this.sDef[slot]!;
      first ??= { message: def.name, context: this.sCtx[slot]! };
      this.failSlot(slot, new VppTimeoutError(def.name, timeoutMs, this.sFields[slot]));
      n++;
    }
    // one line per sweep, not per request: a stalled VPP times a whole window out at once
    if (first) this.log.warn({ ...first, requests: n, timeoutMs }, 'vpp request timed out');
    return n;
  }

  /** The time until now was not VPP's (the socket was not read): requests in flight wait afresh. */
  restartClocks(): void {
    const now = this.now();
    for (let slot = 0; slot <= this.mask; slot++) if (this.sHandler[slot] !== undefined) this.sSent[slot] = now;
  }

  /** Completed requests by message name: results and latency. */
  requestStats(): ReadonlyMap<string, RequestStat> {
    // two definitions may carry one message (a bulk encoder beside the generated one): one row
    const out = new Map<string, RequestStat>();
    for (const st of this.stats.values()) {
      const seen = out.get(st.message);
      out.set(st.message, seen ? mergeStats(seen, st) : st);
    }
    return out;
  }

  /**
   * The clock read once per turn of the event loop: the requests of a burst (and the details of
   * a dump chunk) go out or arrive within one turn anyway, timeouts are seconds, and the clock
   * cost more than all the other bookkeeping of a request. The latency histogram reads
   * performance.now() on the same terms (its resolution is one turn).
   */
  private nowMs = 0;
  private nowHr = 0;
  private nowRead = false;
  private readonly forgetNow = (): void => {
    this.nowRead = false;
  };

  private now(): number {
    if (!this.nowRead) {
      this.nowRead = true;
      this.nowMs = this.clock();
      this.nowHr = performance.now();
      queueMicrotask(this.forgetNow);
    }
    return this.nowMs;
  }

  private release(slot: number, result: string): void {
    const def = this.sDef[slot]!;
    let st = this.stats.get(def);
    if (!st) this.stats.set(def, (st = newRequestStat(def.name)));
    this.now();
    record(st, result, (this.nowHr - this.sStart[slot]!) / 1000);
    this.sHandler[slot] = undefined;
    this.sDef[slot] = undefined;
    this.sFields[slot] = undefined;
    this.count--;
  }

  /** Frees a slot and hands its handler the error. */
  private failSlot(slot: number, err: Error): void {
    const h = this.sHandler[slot]!;
    const token = this.sToken[slot]!;
    this.release(slot, resultOf(err));
    try {
      h.onError(token, err);
    } catch (e) {
      this.threw(e);
    }
  }
}
