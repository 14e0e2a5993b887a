// The handlers of a dump (handler.ts: a stream of details ended by the control_ping_reply):
// dump() collects the decoded details, dumpEach() hands each over as it comes and counts them,
// dumpRaw() hands over the undecoded bytes.
import type { RequestHandler } from '../handler.js';
import type { MessageDef } from '../types.js';
import { PromiseHandler } from './reply.js';

/** A dump whose details are decoded (a malformed one fails the session) and taken one by one. */
abstract class DecodedDump<T> extends PromiseHandler<T> implements RequestHandler {
  readonly stream = true;
  readonly decodesReply = false;

  onDetail(_token: number, buf: Buffer, s: number, e: number, def: MessageDef): string | undefined {
    let detail: unknown;
    try {
      detail = def.decode(buf, s, e);
    } catch (err) {
      return `cannot decode ${def.name}: ${(err as Error).message}`;
    }
    this.take(detail);
    return undefined;
  }

  protected abstract take(detail: unknown): void;
  abstract onReply(): void;
}

/** dump(): every detail, decoded, in an array. */
export class DumpCollect extends DecodedDump<unknown[]> {
  private readonly details: unknown[] = [];

  protected take(detail: unknown): void {
    this.details.push(detail);
  }

  onReply(): void {
    this.resolve(this.details);
  }
}

/** dumpEach(): each detail decoded to the caller's callback; resolves with how many came. */
export class DumpEach extends DecodedDump<number> {
  private details = 0;
  constructor(resolve: (n: number) => void, reject: (e: Error) => void, private readonly each: (detail: any) => void) {
    super(resolve, reject);
  }

  protected take(detail: unknown): void {
    this.details++;
    this.each(detail);
  }

  onReply(): void {
    this.resolve(this.details);
  }
}

/** dumpRaw(): each detail's bytes to the caller's callback; resolves with how many came. */
export class DumpRaw extends PromiseHandler<number> implements RequestHandler {
  readonly stream = true;
  readonly decodesReply = false;
  private details = 0;
  constructor(resolve: (n: number) => void, reject: (e: Error) => void, private readonly each: (buf: Buffer, start: number, end: number) => void) {
    super(resolve, reject);
  }

  onDetail(_token: number, buf: Buffer, s: number, e: number): undefined {
    this.details++;
    this.each(buf, s, e);
    return undefined;
  }

  onReply(): void {
    this.resolve(this.details);
  }
}
