// Who goes first in a round of bench:real's turns. VPP's speed drifts over minutes and a turn can
// leave something behind for the next (its deletes, the allocator's state), so the order rotates:
// neither may favour one client.

/** The clients of a round: the raw client, its copy (raw B, REAL_BENCH_AA=three) and fibmgr's place (raw B's in an A/A run). */
export type TurnClient = 'raw' | 'copy' | 'fibmgr';

/**
 * A three-way run's orders, one a round in turn: over six rounds each client is in each place
 * twice and goes before each other one three times within a round; and, rounds run one after
 * another (the sixth before the first of the next cycle), no client follows itself and each
 * follows each other one three times.
 */
const THREE_ORDERS: readonly (readonly TurnClient[])[] = [
  ['raw', 'copy', 'fibmgr'], ['raw', 'fibmgr', 'copy'], ['fibmgr', 'copy', 'raw'],
  ['copy', 'raw', 'fibmgr'], ['copy', 'fibmgr', 'raw'], ['fibmgr', 'raw', 'copy'],
];

/** Rounds in a three-way run's cycle of orders: its round count must be a multiple, or the balance above does not hold. */
export const THREE_WAY_CYCLE = THREE_ORDERS.length;

/** Round `round`'s order (from 1): two-way, raw first in odd rounds and fibmgr's place in even ones. */
export function turnOrder(round: number, three: boolean): readonly TurnClient[] {
  if (!Number.isInteger(round) || round < 1) throw new RangeError(`round ${round} is not a whole number from 1`);
  if (three) return THREE_ORDERS[(round - 1) % THREE_WAY_CYCLE]!;
  return round % 2 === 0 ? ['fibmgr', 'raw'] : ['raw', 'fibmgr'];
}
