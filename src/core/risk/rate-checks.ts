/**
 * Checks fed by the engine's memory of placed orders: the two rate limits and
 * the duplicate guard. `value` is the count this order would make, so the
 * bound itself passes and one more fails.
 */
import type { RiskLimits } from '../config.js';
import type { RiskCheck } from '../models.js';
import { check } from './checks.js';

/** Where the limit comes from: the environment (every account's messages counted) or the account's own (RISK_FILE accounts). */
const source = (variable: string, account: string | undefined): string => (account === undefined ? variable : `account ${account}'s own limit`);

/** `sentLastMinute`: order messages (placements and modifications, see history.ts) in the last 60 s; `account`: counted for that account alone. */
export function checkOrdersPerMinute(sentLastMinute: number, l: RiskLimits, account?: string): RiskCheck {
  const n = sentLastMinute + 1;
  const ok = n <= l.maxOrdersPerMinute;
  const what = account === undefined ? `order ${n} in the last 60 s` : `order ${n} of account ${account} in the last 60 s`;
  return check('maxOrdersPerMinute', ok, n, l.maxOrdersPerMinute, ok ? `${what}, within ${l.maxOrdersPerMinute} (placements and modifications count alike)` : `${what} would exceed ${source('MAX_ORDERS_PER_MINUTE', account)} ${l.maxOrdersPerMinute} (placements and modifications count alike); wait and retry`);
}

export function checkOrdersPerDay(sentToday: number, l: RiskLimits, account?: string): RiskCheck {
  const n = sentToday + 1;
  const ok = n <= l.maxOrdersPerDay;
  const what = account === undefined ? `order ${n} today` : `order ${n} of account ${account} today`;
  return check('maxOrdersPerDay', ok, n, l.maxOrdersPerDay, ok ? `${what}, within ${l.maxOrdersPerDay} (placements and modifications count alike)` : `${what} would exceed ${source('MAX_ORDERS_PER_DAY', account)} ${l.maxOrdersPerDay} (placements and modifications count alike); the count resets at DAILY_LOSS_RESET_TIME (${l.dailyLossResetTime} New York)`);
}

/** `sinceLastMs`: time since the same order (same account) was placed, null if not recently. */
export function checkDuplicate(sinceLastMs: number | null, l: RiskLimits): RiskCheck {
  const windowS = l.duplicateOrderWindowSeconds;
  if (windowS === 0) return check('duplicateOrder', true, null, 0, 'duplicate-order guard is off (DUPLICATE_ORDER_WINDOW_SECONDS=0)');
  if (sinceLastMs === null || sinceLastMs >= windowS * 1000) {
    return check('duplicateOrder', true, sinceLastMs === null ? null : sinceLastMs / 1000, windowS, `no identical order in the last ${windowS} s`);
  }
  const s = sinceLastMs / 1000;
  return check('duplicateOrder', false, s, windowS, `an identical order for this account was placed ${s} s ago (DUPLICATE_ORDER_WINDOW_SECONDS=${windowS}); wait or change the order`);
}
