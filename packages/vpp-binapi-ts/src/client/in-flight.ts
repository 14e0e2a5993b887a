// Requests sent and not yet answered: a ring of slots indexed by context & mask, so that the hot
// path allocates nothing per request beyond the caller's promise; replies, details and the
// control_ping that ends a dump are matched to their slot by context; requests that wait too
// long fail with a timeout. Completed requests are counted by message (request-stats.ts).
import { VppRetvalError, VppTimeoutError } from './errors.js';
import { K_PING_REPLY, K_REPLY, type MessageTable } from './message-table.js';
import { mergeStats, newRequestStat, record, resultOf, type RequestStat } from './request-stats.js';
import type { MessageDef, VppLogger } from './types.js';

export const S_FREE = 0;
export const S_REQUEST = 1;
export const S_DUMP = 2;
export const S_CALLBACK = 3; // a request whose completion calls its resolver as a node-style callback
export const S_ACK = 4; // S_CALLBACK without decoding the reply: only its retval matters
export const S_TOKEN = 5; // S_ACK whose callback is shared by many requests: it gets (token, error)

/** Where dumpEach() puts its per-detail callback in the request's fields (never encoded). */
export const EACH = Symbol('each');
/** Set beside EACH by dumpRaw(): the callback takes the undecoded payload. */
export const RAW = Symbol('raw');

export type Resolver = (v: any, w?: any) => void;
export type Rejecter = (e: Error) => void;

/**
 * Hands a caller its error as the kind of request wants it. A function, not a closure made per
 * request: no allocation on the hot path.
 */
export function settle(kind: number, resolve: Resolver, reject: Rejecter | undefined, err: Error, token: number, threw: (e: unknown) => void): void {
  try {
    if (reject) reject(err);
    else if (kind === S_TOKEN) resolve(token, err);
    else resolve(err);
  } catch (e) {
    threw(e);
  }
}

/** What a reply did: the request it answered completed, or nothing changed, or the stream is broken (why). */
export type ReplyOutcome = true | false | string;

export class InFlight {
  readonly mask: number;
  private readonly sCtx: Float64Array;
  private readonly sState: Uint8Array;
  private readonly sReplyId: Uint16Array;
  private readonly sSent: Float64Array;
  /** performance.now() at send, for the latency histogram (sSent moves on with a dump's details). */
  private readonly sStart: Float64Array;
  private readonly sDef: (MessageDef | undefined)[];
  private readonly sFields: unknown[];
  private readonly sResolve: (Resolver | undefined)[];
  private readonly sReject: (Rejecter | undefined)[];
  private readonly sDetails: (unknown[] | undefined)[];
  private readonly sEach: (((d: unknown) => void) | undefined)[];
  /** The dump's callback takes undecoded payloads (dumpRaw). */
  private readonly sRaw: boolean[];
  private readonly sToken: Float64Array;
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
    this.sCtx = new Float64Array(cap);
    this.sState = new Uint8Array(cap);
    this.sReplyId = new Uint16Array(cap);
    this.sSent = new Float64Array(cap);
    this.sStart = new Float64Array(cap);
    this.sDef = new Array(cap);
    this.sFields = new Array(cap);
    this.sResolve = new Array(cap);
    this.sReject = new Array(cap);
    this.sDetails = new Array(cap);
    this.sEach = new Array(cap);
    this.sRaw = new Array(cap).fill(false);
    this.sToken = new Float64Array(cap);
  }

  /** The context the next add() takes: its slot is free. */
  freeContext(): number {
    let ctx = this.nextContext;
    while (this.sState[ctx & this.mask] !== S_FREE) ctx = ctx >= 0xffff_ffff ? 1 : ctx + 1;
    this.nextContext = ctx;
    return ctx;
  }

  /** Records a request sent with context `ctx` (from freeContext()), answered by message `replyId`. */
  add(ctx: number, kind: number, def: MessageDef, fields: any, resolve: Resolver, reject: Rejecter | undefined, token: number, replyId: number): void {
    const slot = ctx & this.mask;
    this.nextContext = ctx >= 0xffff_ffff ? 1 : ctx + 1;
    if (kind === S_DUMP) {
      const each = (fields as Record<symbol, unknown>)[EACH] as ((d: unknown) => void) | undefined;
      this.sEach[slot] = each;
      this.sRaw[slot] = (fields as Record<symbol, unknown>)[RAW] === true;
      this.sDetails[slot] = each ? undefined : [];
    }
    this.sCtx[slot] = ctx;
    this.sState[slot] = kind;
    this.sReplyId[slot] = replyId;
    this.sSent[slot] = this.now();
    this.sStart[slot] = this.nowHr;
    this.sDef[slot] = def;
    this.sFields[slot] = kind === S_TOKEN ? undefined : fields;
    // a dump has no token: dumpEach counts its details there
    this.sToken[slot] = kind === S_DUMP ? 0 : token;
    this.sResolve[slot] = resolve;
    this.sReject[slot] = reject;
    this.count++;
  }

  /**
   * A reply, detail or ping reply (`kind`, message `id`, context at s+2): delivered to its
   * request. Returns true when a request completed (the window has room again).
   */
  reply(buf: Buffer, s: number, e: number, id: number, kind: number, msgs: MessageTable): ReplyOutcome {
    if (e - s < 6) return `message id ${id} truncated at ${e - s} bytes`;
    const ctx = buf.readUInt32BE(s + 2);
    const slot = ctx & this.mask;
    const state = this.sState[slot];
    if (state === S_FREE || this.sCtx[slot] !== ctx) {
      // A reply to a request that already timed out.
      this.log.debug({ msgId: id, context: ctx }, 'vpp reply for no pending request');
      return false;
    }
    if (state === S_DUMP) {
      if (kind === K_PING_REPLY) {
        const res = this.sResolve[slot]!;
        const details = this.sEach[slot] ? this.sToken[slot] : this.sDetails[slot]!;
        this.release(slot);
        this.call(res, details);
        return true;
      }
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
      if (this.sRaw[slot]) {
        this.sToken[slot]!++;
        try { (this.sEach[slot] as unknown as (b: Buffer, s: number, e: number) => void)(buf, s, e); } catch (err) { this.threw(err); }
        return false;
      }
      let detail: unknown;
      try {
        detail = msgs.defById[id]!.decode(buf, s, e);
      } catch (err) {
        return `cannot decode ${msgs.defById[id]!.name}: ${(err as Error).message}`;
      }
      const each = this.sEach[slot];
      if (each) {
        this.sToken[slot]!++;
        try { each(detail); } catch (err) { this.threw(err); }
      } else this.sDetails[slot]!.push(detail);
      return false;
    }
    if (id !== this.sReplyId[slot]) return this.unexpected(id, ctx, msgs);
    if (e - s < 10) return `${msgs.defById[id]?.name ?? id} truncated at ${e - s} bytes`;
    const rv = buf.readInt32BE(s + 6);
    if (rv < 0) {
      this.failSlot(slot, new VppRetvalError(this.sDef[slot]!.name, rv, this.sFields[slot]));
      return true;
    }
    const res = this.sResolve[slot]!;
    if (state === S_ACK) {
      this.release(slot);
      this.call(res, null);
      return true;
    }
    if (state === S_TOKEN) {
      const token = this.sToken[slot]!;
      this.release(slot);
      this.call2(res, token, null);
      return true;
    }
    let reply: unknown;
    try {
      reply = msgs.defById[id]!.decode(buf, s, e);
    } catch (err) {
      return `cannot decode ${msgs.defById[id]!.name}: ${(err as Error).message}`;
    }
    this.release(slot);
    if (state === S_CALLBACK) this.call2(res, null, reply);
    else this.call(res, reply);
    return true;
  }

  private unexpected(id: number, ctx: number, msgs: MessageTable): string {
    return `got ${msgs.defById[id]?.name ?? `id ${id}`} for context ${ctx}, which awaits the reply to ${this.sDef[ctx & this.mask]?.name}`;
  }

  private call(res: Resolver, a: unknown): void {
    try {
      res(a);
    } catch (err) {
      this.threw(err);
    }
  }

  private call2(res: Resolver, a: unknown, b: unknown): void {
    try {
      res(a, b);
    } catch (err) {
      this.threw(err);
    }
  }

  /** Every request in flight fails with the error `err(name)` makes. */
  failAll(err: (name: string) => Error): void {
    for (let slot = 0; slot <= this.mask; slot++) {
      if (this.sState[slot] !== S_FREE) this.failSlot(slot, err(this.sDef[slot]!.name));
    }
    this.count = 0;
  }

  /** Requests sent before `limit` (ms) fail with a timeout; how many did. */
  expire(limit: number, timeoutMs: number): number {
    let n = 0;
    let first: { message: string; context: number } | null = null;
    for (let slot = 0; slot <= this.mask; slot++) {
      if (this.sState[slot] === S_FREE || this.sSent[slot]! > limit) continue;
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
    for (let slot = 0; slot <= this.mask; slot++) if (this.sState[slot] !== S_FREE) this.sSent[slot] = now;
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

  private release(slot: number, result = 'ok'): void {
    const def = this.sDef[slot]!;
    let st = this.stats.get(def);
    if (!st) this.stats.set(def, (st = newRequestStat(def.name)));
    this.now();
    record(st, result, (this.nowHr - this.sStart[slot]!) / 1000);
    this.sState[slot] = S_FREE;
    this.sDef[slot] = undefined;
    this.sFields[slot] = undefined;
    this.sResolve[slot] = undefined;
    this.sReject[slot] = undefined;
    this.sDetails[slot] = undefined;
    this.sEach[slot] = undefined;
    this.sRaw[slot] = false;
    this.count--;
  }

  /** Frees a slot and hands its caller the error. */
  private failSlot(slot: number, err: Error): void {
    const state = this.sState[slot]!;
    const res = this.sResolve[slot]!;
    const rej = this.sReject[slot];
    const token = this.sToken[slot]!;
    this.release(slot, resultOf(err));
    try {
      if (state === S_TOKEN) res(token, err);
      else if (state >= S_CALLBACK) res(err);
      else rej!(err);
    } catch (e) {
      this.threw(e);
    }
  }
}
