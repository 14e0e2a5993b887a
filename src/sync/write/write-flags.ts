// The writer's state of one route (Entry.writeState): whether it is queued for a write or a held
// delete, in flight, waiting for a retry, or parked until its VPP table exists. The writer, its
// retries and the table maker set these; everyone else only asks.
import type { Entry } from '../state/route-entry.js';

const ADD = 1;
const DEL = 2;
const SENDING = 4;
const RETRY = 8;
/** Scratch bit of a queue compaction. */
const COMPACT = 16;
/** Parked until its VPP table exists (table-maker.ts): not part of the backlog. */
const TABLE = 32;

/** Nothing under way for the route: not queued, in flight, retried or parked. */
export function isWriteIdle(e: Entry): boolean {
  return e.writeState === 0;
}

/** Asks, sets and clears one of the bits. */
function flag(bit: number) {
  return {
    is: (e: Entry): boolean => (e.writeState & bit) !== 0,
    mark: (e: Entry): void => {
      e.writeState |= bit;
    },
    clear: (e: Entry): void => {
      e.writeState &= ~bit;
    },
  };
}

/** In the add queue (a write of what it wants); off it. */
export const { is: isQueuedAdd, clear: dequeueAdd } = flag(ADD);
/** Among the held deletes; off them. */
export const { is: isQueuedDelete, clear: dequeueDelete } = flag(DEL);
/** A write of it is in flight. */
export const { is: isSending, mark: markSending, clear: clearSending } = flag(SENDING);
/** VPP refused its last write: a retry is due (write-retries.ts). */
export const { is: isRetrying, mark: markRetrying, clear: clearRetrying } = flag(RETRY);
/** Parked until its VPP table exists (table-maker.ts). */
export const { is: isParked, mark: markParked, clear: clearParked } = flag(TABLE);
/** Seen by the add queue's compaction under way (cleared before it ends). */
export const { is: isCompactSeen, mark: markCompactSeen, clear: clearCompactSeen } = flag(COMPACT);

/** Queued for the add queue, no longer for a delete. */
export function queueAdd(e: Entry): void {
  e.writeState = (e.writeState & ~DEL) | ADD;
}

/** Queued for a held delete, no longer for the add queue. */
export function queueDelete(e: Entry): void {
  e.writeState = (e.writeState & ~ADD) | DEL;
}

/** Off both queues. */
export function dequeue(e: Entry): void {
  e.writeState &= ~(ADD | DEL);
}

/** What the writer is doing with the route, for the operator (null: nothing). */
export function writeStage(e: Entry): 'retrying' | 'in-flight' | 'waiting-for-table' | 'queued' | null {
  if (e.writeState & RETRY) return 'retrying';
  if (e.writeState & SENDING) return 'in-flight';
  if (e.writeState & TABLE) return 'waiting-for-table';
  if (e.writeState & (ADD | DEL)) return 'queued';
  return null;
}
