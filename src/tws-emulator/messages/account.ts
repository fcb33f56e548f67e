/**
 * Account messages: summary (+End), account updates (values, portfolio,
 * update time, download end), positions (+End), PnL and PnL single, and the
 * managedAccounts / nextValidId / currentTime that bracket a session.
 */
import type { AccountSummary, Position } from '../../core/models.js';
import { UNSET_DOUBLE, type Field } from '../framing.js';
import { Msg } from '../protocol.js';
import type { WireContract } from './contract.js';

export const managedAccountsMessage = (accounts: readonly string[]): Field[] => [Msg.MANAGED_ACCTS, 1, accounts.join(',')];
export const nextValidIdMessage = (orderId: number): Field[] => [Msg.NEXT_VALID_ID, 1, orderId];
export const currentTimeMessage = (epochSeconds: number): Field[] => [Msg.CURRENT_TIME, 1, epochSeconds];

/** Account values by TWS tag, from the simulator's summary. */
export function summaryValues(s: AccountSummary): { tag: string; value: string; currency: string }[] {
  const money = (tag: string, v: number): { tag: string; value: string; currency: string } => ({ tag, value: v.toFixed(2), currency: s.currency });
  return [
    { tag: 'AccountType', value: 'INDIVIDUAL', currency: '' },
    money('NetLiquidation', s.netLiquidation),
    money('TotalCashValue', s.totalCash),
    money('SettledCash', s.totalCash),
    money('AccruedCash', 0),
    money('BuyingPower', s.buyingPower),
    money('EquityWithLoanValue', s.equityWithLoanValue),
    money('PreviousDayEquityWithLoanValue', s.equityWithLoanValue),
    money('GrossPositionValue', s.grossPositionValue),
    money('RegTEquity', s.equityWithLoanValue),
    money('RegTMargin', s.initMarginReq),
    money('SMA', s.excessLiquidity),
    money('InitMarginReq', s.initMarginReq),
    money('MaintMarginReq', s.maintMarginReq),
    money('AvailableFunds', s.availableFunds),
    money('ExcessLiquidity', s.excessLiquidity),
    { tag: 'Cushion', value: s.netLiquidation > 0 ? (s.excessLiquidity / s.netLiquidation).toFixed(6) : '0', currency: '' },
    money('FullInitMarginReq', s.initMarginReq),
    money('FullMaintMarginReq', s.maintMarginReq),
    money('FullAvailableFunds', s.availableFunds),
    money('FullExcessLiquidity', s.excessLiquidity),
    { tag: 'DayTradesRemaining', value: '-1', currency: '' },
    { tag: 'Leverage', value: s.netLiquidation > 0 ? (s.grossPositionValue / s.netLiquidation).toFixed(4) : '0', currency: '' },
    ...cashBalanceValues(s),
  ];
}

/**
 * IBKR's ledger values: CashBalance in each currency held (in that currency),
 * and once more for "BASE" (every balance in the base currency), with the
 * rate used for each (ExchangeRate: base currency per unit).
 */
function cashBalanceValues(s: AccountSummary): { tag: string; value: string; currency: string }[] {
  const balances = s.cashBalances ?? [];
  if (balances.length === 0) return [];
  const rows: { tag: string; value: string; currency: string }[] = [{ tag: 'CashBalance', value: s.totalCash.toFixed(2), currency: 'BASE' }];
  for (const b of balances) {
    rows.push({ tag: 'CashBalance', value: b.amount.toFixed(2), currency: b.currency });
    rows.push({ tag: 'ExchangeRate', value: String(b.rate), currency: b.currency });
  }
  return rows;
}

export const accountSummaryMessage = (reqId: number, account: string, tag: string, value: string, currency: string): Field[] => [
  Msg.ACCOUNT_SUMMARY, 1, reqId, account, tag, value, currency,
];
export const accountSummaryEndMessage = (reqId: number): Field[] => [Msg.ACCOUNT_SUMMARY_END, 1, reqId];

export const accountValueMessage = (key: string, value: string, currency: string, account: string): Field[] => [Msg.ACCT_VALUE, 2, key, value, currency, account];

/** PORTFOLIO_VALUE version 8: conId, full contract incl. multiplier/primaryExch/tradingClass, then values. */
export function portfolioValueMessage(w: WireContract, p: Position): Field[] {
  return [
    Msg.PORTFOLIO_VALUE, 8,
    w.conId, w.symbol, w.secType, w.lastTradeDateOrContractMonth, w.strike, w.right, w.multiplier, w.primaryExch, w.currency, w.localSymbol, w.tradingClass,
    p.quantity, p.marketPrice ?? 0, p.marketValue ?? 0, p.avgCost, p.unrealizedPnl ?? 0, p.realizedPnl, p.accountId,
  ];
}

export const accountUpdateTimeMessage = (hhmm: string): Field[] => [Msg.ACCT_UPDATE_TIME, 1, hhmm];
export const accountDownloadEndMessage = (account: string): Field[] => [Msg.ACCT_DOWNLOAD_END, 1, account];

/** POSITION version 3 (with tradingClass and average cost). */
export function positionMessage(account: string, w: WireContract, quantity: number, avgCost: number): Field[] {
  return [
    Msg.POSITION, 3, account,
    w.conId, w.symbol, w.secType, w.lastTradeDateOrContractMonth, w.strike, w.right, w.multiplier, w.exchange, w.currency, w.localSymbol, w.tradingClass,
    quantity, avgCost,
  ];
}
export const positionEndMessage = (): Field[] => [Msg.POSITION_END, 1];

/** PNL at >= REALIZED_PNL (135): no version; daily, unrealized, realized. */
export const pnlMessage = (reqId: number, daily: number, unrealized: number, realized: number): Field[] => [Msg.PNL, reqId, daily, unrealized, realized];

/** PNL_SINGLE: position, daily, unrealized, realized, value. */
export const pnlSingleMessage = (reqId: number, pos: number, daily: number | null, unrealized: number | null, realized: number, value: number | null): Field[] => [
  // Unknown values go out as Double.MAX_VALUE, which decoders turn into "undefined" rather than 0.
  Msg.PNL_SINGLE, reqId, pos, daily ?? UNSET_DOUBLE, unrealized ?? UNSET_DOUBLE, realized, value ?? UNSET_DOUBLE,
];

/** POSITION_MULTI version 1: like POSITION, with the request id first and the model code last. */
export function positionMultiMessage(reqId: number, account: string, w: WireContract, quantity: number, avgCost: number, modelCode: string): Field[] {
  return [
    Msg.POSITION_MULTI, 1, reqId, account,
    w.conId, w.symbol, w.secType, w.lastTradeDateOrContractMonth, w.strike, w.right, w.multiplier, w.exchange, w.currency, w.localSymbol, w.tradingClass,
    quantity, avgCost, modelCode,
  ];
}
export const positionMultiEndMessage = (reqId: number): Field[] => [Msg.POSITION_MULTI_END, 1, reqId];

export const accountUpdateMultiMessage = (reqId: number, account: string, modelCode: string, key: string, value: string, currency: string): Field[] => [
  Msg.ACCOUNT_UPDATE_MULTI, 1, reqId, account, modelCode, key, value, currency,
];
export const accountUpdateMultiEndMessage = (reqId: number): Field[] => [Msg.ACCOUNT_UPDATE_MULTI_END, 1, reqId];
