// The handlers of one request, one reply (handler.ts): request()'s promise, and the bulk paths
// that spare a promise per request — requestCb (a callback with the decoded reply), requestAck
// (success or failure only: the reply is never decoded) and requestAckTo (one handler for a whole
// stream of requests, told apart by the caller's token).
import type { RequestHandler } from '../handler.js';

/** Completion of requestCb: (null, reply) or (error). */
export type ReplyCallback<Rep = any> = (err: Error | null, reply?: Rep) => void;
/** Completion of requestAck: null or the error. */
export type AckCallback = (err: Error | null) => void;
/** Completion of requestAckTo: the caller's token, and null or the error. */
export type TokenCallback = (token: number, err: Error | null) => void;

/** A promise's ends: rejected with the request's error. The base of request() and the dumps. */
export abstract class PromiseHandler<T> {
  readonly borrowsFields = false;
  constructor(
    protected readonly resolve: (v: T) => void,
    private readonly reject: (e: Error) => void,
  ) {}

  onError(_token: number, err: Error): void {
    this.reject(err);
  }
}

/** request(): the decoded reply. */
export class ReplyPromise extends PromiseHandler<any> implements RequestHandler {
  readonly stream = false;
  readonly decodesReply = true;

  onReply(_token: number, reply: unknown): void {
    this.resolve(reply);
  }
}

/**
 * requestCb() (the decoded reply to a node-style callback) and requestAck() (success or failure
 * only: the reply is not decoded, and the client keeps one handler for a stream of requests with
 * the same callback).
 */
export class ToCallback implements RequestHandler {
  readonly stream = false;
  readonly borrowsFields = false;
  constructor(
    readonly cb: ReplyCallback | AckCallback,
    readonly decodesReply: boolean,
  ) {}

  onReply(_token: number, reply: unknown): void {
    if (this.decodesReply) this.cb(null, reply);
    else (this.cb as AckCallback)(null);
  }

  onError(_token: number, err: Error): void {
    this.cb(err);
  }
}

/**
 * requestAckTo(): success or failure with the caller's token, the fields only borrowed; one
 * handler serves every request with the same callback (a bulk writer's million writes).
 */
export class AckToToken implements RequestHandler {
  readonly stream = false;
  readonly decodesReply = false;
  readonly borrowsFields = true;
  constructor(readonly cb: TokenCallback) {}

  onReply(token: number): void {
    this.cb(token, null);
  }

  onError(token: number, err: Error): void {
    this.cb(token, err);
  }
}
