/**
 * Desk-wide limits (the risk file's "desk"): gross exposure and the day's
 * loss summed over every account of every gateway on the shared store.
 *
 * The order's own account is counted live, exactly as its own checks count it
 * (gross after the order; realised from the store plus unrealised). Every
 * other account is counted from its latest publication in the store
 * (publisher.ts writes them at start, after fills and on an interval).
 *
 * A publication older than `staleAfterSeconds` (its gateway stopped, lost the
 * store or hung) cannot say what the account holds now, so it counts as the
 * worse of what it last said and the account's own limit: gross as at least
 * its maxGrossExposure, the day's P&L as at most minus its maxDailyLoss. That
 * is the most that account's gateway would let it reach through orders, so the
 * desk stays inside its limits whatever a silent gateway did since. (Market
 * moves can take an account past its limits too; a fresh publication shows
 * them.) A publication in a currency other than the desk's fails a check it
 * would feed: its amount cannot be added.
 */
import { Decimal } from 'decimal.js';
import type { ExposurePublication } from '../audit/types.js';
import type { AccountSummary, RiskCheck } from '../models.js';
import { toCents } from '../money.js';
import { check } from './checks.js';
import { grossAfterOrder, unknownPrice } from './exposure-checks.js';
import type { Exposure } from './exposure.js';
import type { DeskLimits } from './risk-file.js';
import type { RiskInput } from './types.js';

/** Desk currency per unit of the account's currency, or null when the account's figures give no rate. */
export function rateToDesk(summary: Pick<AccountSummary, 'currency' | 'cashBalances'>, deskCurrency: string): Decimal | null {
  if (summary.currency === deskCurrency) return new Decimal(1);
  // cashBalances' rate is account currency per unit of that currency.
  const rate = summary.cashBalances?.find((b) => b.currency === deskCurrency)?.rate;
  return rate !== undefined && rate > 0 ? new Decimal(1).dividedBy(rate) : null;
}

interface OtherAccounts {
  gross: Decimal;
  pnl: Decimal;
  counted: number;
  stale: string[];
  /** Accounts whose publication is not in the desk currency. */
  foreign: string[];
}

export const isStale = (p: ExposurePublication, desk: DeskLimits, now: number): boolean => now - Date.parse(p.publishedAt) > desk.staleAfterSeconds * 1000;

/** Every account but the order's own, from the publications, stale ones counted at their limits. */
export function otherAccounts(publications: readonly ExposurePublication[], ownAccount: string, desk: DeskLimits, now: number): OtherAccounts {
  const out: OtherAccounts = { gross: new Decimal(0), pnl: new Decimal(0), counted: 0, stale: [], foreign: [] };
  for (const p of publications) {
    if (p.accountId === ownAccount) continue;
    if (p.currency !== desk.currency) {
      out.foreign.push(`${p.accountId} (${p.currency})`);
      continue;
    }
    const stale = isStale(p, desk, now);
    if (stale) out.stale.push(p.accountId);
    const gross = new Decimal(p.grossExposure).abs();
    out.gross = out.gross.plus(stale ? Decimal.max(gross, p.maxGrossExposure) : gross);
    // No P&L from the broker counts like a stale one: the account may be at its loss limit.
    const floor = new Decimal(p.maxDailyLoss).negated();
    const pnl = p.dailyPnl === null ? floor : new Decimal(p.dailyPnl);
    out.pnl = out.pnl.plus(stale || p.dailyPnl === null ? Decimal.min(pnl, floor) : pnl);
    out.counted += 1;
  }
  return out;
}

const notes = (o: OtherAccounts): string =>
  [
    `${o.counted} other account(s) counted from their publications`,
    o.stale.length > 0 ? `stale, counted at least at their own limits: ${o.stale.join(', ')}` : '',
  ]
    .filter((s) => s !== '')
    .join('; ');

export function checkDeskGrossExposure(input: RiskInput, e: Exposure, desk: DeskLimits & { maxGrossExposure: number }, publications: readonly ExposurePublication[]): RiskCheck {
  const limit = desk.maxGrossExposure;
  const own = grossAfterOrder(input, e);
  if (own === null) return check('maxDeskGrossExposure', false, null, limit, unknownPrice(input));
  const others = otherAccounts(publications, input.accountId, desk, input.now);
  const rate = rateToDesk(input.summary, desk.currency);
  if (!own.raises) return check('maxDeskGrossExposure', true, null, limit, 'the order does not raise gross exposure, so it cannot raise the desk\'s');
  if (rate === null) return check('maxDeskGrossExposure', false, null, limit, `no ${input.summary.currency}/${desk.currency} rate in account ${input.accountId}'s figures to count it in the desk currency ${desk.currency}`);
  if (others.foreign.length > 0) return check('maxDeskGrossExposure', false, null, limit, `published in a currency other than the desk's ${desk.currency}, so the desk gross cannot be summed: ${others.foreign.join(', ')}`);
  const total = own.gross.times(rate).plus(others.gross);
  const ok = total.lessThanOrEqualTo(limit);
  const what = `desk gross exposure after the order ${toCents(total)} ${desk.currency} (this account ${toCents(own.gross.times(rate))}; ${notes(others)})`;
  return check('maxDeskGrossExposure', ok, toCents(total), limit, ok ? `${what} is within ${limit}` : `${what} exceeds the desk limit ${limit} (RISK_FILE desk.maxGrossExposure)`);
}

/** `ownPnl`: the order's account's P&L today (realised + unrealised, signed), in its own currency. */
export function checkDeskDailyLoss(input: RiskInput, ownPnl: Decimal, desk: DeskLimits & { maxDailyLoss: number }, publications: readonly ExposurePublication[]): RiskCheck {
  const limit = desk.maxDailyLoss;
  const others = otherAccounts(publications, input.accountId, desk, input.now);
  const rate = rateToDesk(input.summary, desk.currency);
  if (rate === null) return check('maxDeskDailyLoss', false, null, limit, `no ${input.summary.currency}/${desk.currency} rate in account ${input.accountId}'s figures to count it in the desk currency ${desk.currency}`);
  if (others.foreign.length > 0) return check('maxDeskDailyLoss', false, null, limit, `published in a currency other than the desk's ${desk.currency}, so the desk P&L cannot be summed: ${others.foreign.join(', ')}`);
  const loss = Decimal.max(0, ownPnl.times(rate).plus(others.pnl).negated());
  const ok = loss.lessThan(limit);
  const what = `desk loss today ${toCents(loss)} ${desk.currency} (${notes(others)})`;
  return check('maxDeskDailyLoss', ok, toCents(loss), limit, ok ? `${what} is below ${limit}` : `${what} has reached the desk limit ${limit} (RISK_FILE desk.maxDailyLoss): new orders are blocked until the risk day resets`);
}
