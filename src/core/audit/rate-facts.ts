/**
 * What the order-rate limits and the duplicate guard read from the store for
 * one order (risk/history.ts), in one statement on both back ends: the
 * order messages (placements and modifications) of the last minute and of
 * the risk day, and when the same order was last placed. These were five
 * statements per order before transmit (five round trips on PostgreSQL), each
 * a lookup or two in a small index range: a statement's own cost was most of
 * their price. Each part is the query of its single-purpose method
 * (countPlaced, countModifications, lastPlacedWithKey), as a scalar
 * subquery: the same indexes (EXPLAIN in rate-facts.test.ts), the same
 * counts (the store contract suite compares them).
 */
import { firstPlacedSql, lastPlacedSql, placedInRange } from './placed-range.js';

/** The windows: (minuteFrom, to] and [dayFrom, to], timestamps as stored (UTC ISO 8601 with milliseconds). */
export interface RateFactsQuery {
  minuteFromIso: string;
  dayFromIso: string;
  toIso: string;
  /** riskKeyOf() of the order: its last placement at or before `toIso` is looked up. */
  riskKey: string;
}

export interface RateFacts {
  /** Placements and modifications with their time in (minuteFrom, to]. */
  messagesLastMinute: number;
  /** Placements and modifications with their time in [dayFrom, to]. */
  messagesToday: number;
  /** created_at of the latest placement with this risk key at or before `to`, or null. */
  lastIdenticalAt: string | null;
}

/** The statement's one row. */
export interface RateFactsRow {
  minute_first: number | null;
  day_first: number | null;
  last_seq: number | null;
  modified_minute: number | string;
  modified_day: number | string;
  last_identical: string | null;
}

type Param = 'minute' | 'day' | 'to' | 'key';

const MODIFICATIONS = "event_type IN ('ORDER_MODIFY_REQUESTED', 'ORDER_MODIFY_SIMULATED')";

/**
 * `p(name)`: the back end's placeholder for a parameter; `modificationsFrom`: the audit_log table
 * as the back end names it for the modifications' partial index (SQLite: with INDEXED BY).
 */
export const rateFactsSql = (p: (name: Param) => string, modificationsFrom: string): string =>
  [
    `SELECT ${firstPlacedSql('>', p('minute'), p('to'))} AS minute_first`,
    `${firstPlacedSql('>=', p('day'), p('to'))} AS day_first`,
    `${lastPlacedSql(p('to'))} AS last_seq`,
    `(SELECT COUNT(*) FROM ${modificationsFrom} WHERE ${MODIFICATIONS} AND timestamp > ${p('minute')} AND timestamp <= ${p('to')}) AS modified_minute`,
    `(SELECT COUNT(*) FROM ${modificationsFrom} WHERE ${MODIFICATIONS} AND timestamp >= ${p('day')} AND timestamp <= ${p('to')}) AS modified_day`,
    `(SELECT created_at FROM order_history WHERE risk_key = ${p('key')} AND created_at <= ${p('to')} ORDER BY created_at DESC LIMIT 1) AS last_identical`,
  ].join(', ');

export function rateFactsOf(row: RateFactsRow | undefined): RateFacts {
  if (row === undefined) return { messagesLastMinute: 0, messagesToday: 0, lastIdenticalAt: null };
  return {
    messagesLastMinute: placedInRange({ first_seq: row.minute_first, last_seq: row.last_seq }) + Number(row.modified_minute),
    messagesToday: placedInRange({ first_seq: row.day_first, last_seq: row.last_seq }) + Number(row.modified_day),
    lastIdenticalAt: row.last_identical,
  };
}
