/**
 * The SQL both back ends use to count one account's order messages in a time
 * window (placements the gates let through plus modifications sent or
 * simulated), for an account with its own order-rate limits (RISK_FILE
 * accounts). Each is a range of a partial index by (account, time): the
 * SQLite migration 7 / PostgreSQL migration 5.
 */
const op = (fromInclusive: boolean): string => (fromInclusive ? '>=' : '>');

/** `p(n)`: the back end's n-th placeholder ('?' or '$n'); parameters are (accountId, from, to) for each statement. */
export const accountPlacementsSql = (fromInclusive: boolean, p: (n: number) => string): string =>
  `SELECT COUNT(*) AS n FROM order_history WHERE account_id = ${p(1)} AND placed_seq IS NOT NULL AND created_at ${op(fromInclusive)} ${p(2)} AND created_at <= ${p(3)}`;

export const accountModificationsSql = (fromInclusive: boolean, p: (n: number) => string): string =>
  `SELECT COUNT(*) AS n FROM audit_log WHERE account_id = ${p(1)} AND event_type IN ('ORDER_MODIFY_REQUESTED', 'ORDER_MODIFY_SIMULATED') AND timestamp ${op(fromInclusive)} ${p(2)} AND timestamp <= ${p(3)}`;
