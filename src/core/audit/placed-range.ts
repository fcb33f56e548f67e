/**
 * Counting the orders placed in a time window (the order-rate limits), for
 * both back ends. Each placement has the next placed_seq (1, 2, 3...: see
 * row-builders.ts), so the count is the distance between the first and the
 * last placement in the window: two lookups in the index on
 * (created_at, placed_seq), never a walk of the window. Both lookups are in
 * one statement: the order path counts two windows per order (the last
 * minute and the day), and a statement's own cost (a round trip on
 * PostgreSQL, the binding and stepping in better-sqlite3) is most of the
 * price of an index lookup this size.
 */

/** The first and last placement sequence numbers in the window (null: none there). */
export interface PlacedRange {
  first_seq: number | null;
  last_seq: number | null;
}

/**
 * The first placement's sequence number in the window, as a scalar subquery: `from` is the operator on the
 * window's start ('>' or '>='), `start` and `end` the placeholders of its bounds (the end inclusive). A
 * placement with created_at after the end is never the first.
 */
export const firstPlacedSql = (from: '>' | '>=', start: string, end: string): string =>
  `(SELECT placed_seq FROM order_history WHERE placed_seq IS NOT NULL AND created_at ${from} ${start} AND created_at <= ${end} ORDER BY created_at, placed_seq LIMIT 1)`;

/** The last placement's sequence number at or before `end` (a placeholder), as a scalar subquery. */
export const lastPlacedSql = (end: string): string =>
  `(SELECT placed_seq FROM order_history WHERE placed_seq IS NOT NULL AND created_at <= ${end} ORDER BY created_at DESC, placed_seq DESC LIMIT 1)`;

/** The statement: `p(n)` is the n-th parameter's placeholder (1: the window's start, 2: its end). */
export const placedRangeSql = (from: '>' | '>=', p: (n: number) => string): string =>
  `SELECT ${firstPlacedSql(from, p(1), p(2))} AS first_seq, ${lastPlacedSql(p(2))} AS last_seq`;

/** How many placements the window holds. */
export function placedInRange(range: PlacedRange | undefined): number {
  if (range === undefined || range.first_seq === null || range.last_seq === null) return 0;
  return range.last_seq >= range.first_seq ? range.last_seq - range.first_seq + 1 : 0;
}
