// Test helper: a whole stream through one decoder, optionally cut into chunks.
import { FpmSessionDecoder, type FpmSessionDecoderOptions } from '../../src/fpm/session-decoder.js';
import type { RouteEvent } from '../../src/route/types.js';

export function decodeAll(data: Buffer, opts: FpmSessionDecoderOptions = {}, cuts: number[] = []): { events: RouteEvent[]; decoder: FpmSessionDecoder } {
  const decoder = new FpmSessionDecoder(opts);
  const events: RouteEvent[] = [];
  let prev = 0;
  for (const c of [...cuts, data.length]) {
    events.push(...decoder.push(data.subarray(prev, c)));
    prev = c;
  }
  events.push(...decoder.end());
  return { events, decoder };
}

/** Route and group events without the extra group keys, as plain JSON values. */
export function plain(e: unknown): unknown {
  return JSON.parse(JSON.stringify(e));
}
